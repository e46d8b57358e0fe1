#pragma once
// The arithmetic kernels of the L-BFGS memory sweeps (lbfgs_memory.cpp): dot products of a few
// "probes" against many stored vectors, linear combinations of stored vectors, and the
// conversions of the 16-bit storage. The stored vectors are doubles, floats or IEEE binary16
// values (`Half`, raw bits). Double and float storage is widened exactly to double and computed
// in double precision. Binary16 storage is computed in single precision, which is exact for its
// products with another binary16 vector and far finer than its own rounding (2^-11 of the
// largest entry) otherwise: the kernels then read float probes and coefficients (their caller
// scales them by powers of two into float range) and add their float partial sums into double
// accumulators.
//
// Two builds of every kernel exist: a portable one (the compiler's baseline instruction set) and
// one for x86-64 with AVX2 and F16C, chosen once at run time when the processor has both. They
// perform the same operations in the same order (no fused multiply-add, whose rounding differs;
// this file's translation unit is compiled with -ffp-contract=off), so their results are
// identical bit for bit: results depend neither on the thread count nor on the processor.
//
// Summation order of a dot product over `len` coordinates (fixed, whatever the operands):
// - double and float storage: four double lanes, lane t summing the terms j ≡ t (mod 4) with
//   j < 4⌊len/4⌋ in increasing j; then (l0 + l1) + (l2 + l3); then the remaining terms in
//   increasing j.
// - binary16 storage: the coordinates j < 8⌊len/8⌋ in blocks of 128 (the last block shorter);
//   within a block eight float lanes, lane t summing the float products of the terms j ≡ t
//   (mod 8) in increasing j from zero; at the end of each block float lane t is widened and added
//   to double lane t; then ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)); then the remaining
//   terms (float products, widened) in increasing j.

#include <cstddef>
#include <cstdint>

#include "shine/core/types.hpp"

namespace shine::inner::kernels {

/// An IEEE binary16 value, as its 16 bits.
using Half = std::uint16_t;

/// out[b·ld + a] = p_aᵀv_b over `len` coordinates for the `np` probes p_a and the `nv` vectors
/// v_b (each stored vector read once per call for all probes).
void dot_products(Index len, int np, const double* const* p, int nv, const double* const* v,
                  double* out, int ld);
void dot_products(Index len, int np, const double* const* p, int nv, const float* const* v,
                  double* out, int ld);
/// The binary16 version reads float probes (see above).
void dot_products(Index len, int np, const float* const* p, int nv, const Half* const* v,
                  double* out, int ld);

/// o[j] += Σ_i c_i·A_i[at + j] for j < len, the terms added to o[j] in increasing i (one rounding
/// per term: o ← o + c_i·A_i).
void add_combination(Index len, std::size_t n, const double* const* A, const double* c, Index at,
                     double* o);
void add_combination(Index len, std::size_t n, const float* const* A, const double* c, Index at,
                     double* o);
/// The binary16 version, in single precision: the vectors in groups of eight (i = 8g … 8g + 7,
/// the last group shorter), each group with the power of two 2^e of its largest |c_i|
/// (float_range_exponent); per coordinate t = (c'_0·A_0 + c'_1·A_1) + … + c'_7·A_7 in float from
/// left to right, with c'_i = float(c_i·2^-e), then o ← o + 2^e·t in double, group after group.
void add_combination(Index len, std::size_t n, const Half* const* A, const double* c, Index at,
                     double* o);

/// out[j] = binary16 of (float)(x[j]·factor), rounded to nearest even at both steps. The caller
/// keeps |x[j]·factor| < 32768 (no overflow; `factor` is a power of two, so x·factor is exact).
void encode_half(const double* x, Index n, double factor, Half* out);
/// out[j] = scale·(value of h[j]) (exact when `scale` is a power of two and nothing underflows).
void decode_half(const Half* h, Index n, double scale, double* out);
/// The value of one binary16 (finite or not), exactly.
double half_value(Half h) noexcept;

/// The largest |x[j]| that is not NaN (0 for n = 0 or all NaN).
double largest_magnitude(const double* x, Index n);
/// The float probe of the binary16 kernels for doubles x[0 … n): out[j] = float(x[j]·2^-e) with
/// e = float_range_exponent(largest |x[j]| that is not NaN); returns e.
int narrow_to_float(const double* x, Index n, float* out);
/// out[j] = the value of h[j] as a float (exact).
void half_to_float(const Half* h, Index n, float* out);

/// The power-of-two exponent e that brings numbers of largest magnitude `max_abs` into float
/// range for the binary16 kernels: max_abs·2^-e in [1, 2), e clamped to [−1000, 1000]; 0 when
/// `max_abs` is zero or not finite (non-finite values then stay non-finite).
int float_range_exponent(double max_abs) noexcept;

/// The instruction set of the kernels in use: "avx2+f16c" or "portable".
const char* isa() noexcept;
/// Whether the AVX2+F16C kernels can run on this processor.
bool avx2_available() noexcept;
/// Selects the kernels: the portable ones when `portable` is true, else the fastest available
/// (the default). For tests; not thread-safe with running sweeps.
void force_portable(bool portable) noexcept;

}  // namespace shine::inner::kernels
