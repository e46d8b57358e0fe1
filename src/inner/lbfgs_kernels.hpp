#pragma once
// The arithmetic kernels of the L-BFGS memory sweeps (lbfgs_memory.cpp): dot products of a few
// double "probes" against many stored vectors, linear combinations of stored vectors, and the
// conversions of the 16-bit storage. The stored vectors are doubles, floats or IEEE binary16
// values (`Half`, raw bits); every kernel widens the stored entries exactly to double and
// computes in double precision.
//
// Two builds of every kernel exist: a portable one (the compiler's baseline instruction set) and
// one for x86-64 with AVX2 and F16C, chosen once at run time when the processor has both. They
// perform the same double-precision operations in the same order (no fused multiply-add, whose
// rounding differs; this file's translation unit is compiled with -ffp-contract=off), so their
// results are identical bit for bit: results depend neither on the thread count nor on the
// processor.
//
// Summation order of a dot product over `len` coordinates (fixed, whatever the operands):
// four lanes, lane t summing the terms j ≡ t (mod 4) with j < 4⌊len/4⌋ in increasing j; then
// (l0 + l1) + (l2 + l3); then the remaining terms in increasing j.

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
void dot_products(Index len, int np, const double* const* p, int nv, const Half* const* v,
                  double* out, int ld);

/// o[j] += Σ_i c_i·A_i[at + j] for j < len, the terms added to o[j] in increasing i (one rounding
/// per term: o ← o + c_i·A_i).
void add_combination(Index len, std::size_t n, const double* const* A, const double* c, Index at,
                     double* o);
void add_combination(Index len, std::size_t n, const float* const* A, const double* c, Index at,
                     double* o);
void add_combination(Index len, std::size_t n, const Half* const* A, const double* c, Index at,
                     double* o);

/// out[j] = binary16 of (float)(x[j]·factor), rounded to nearest even at both steps. The caller
/// keeps |x[j]·factor| < 32768 (no overflow; `factor` is a power of two, so x·factor is exact).
void encode_half(const double* x, Index n, double factor, Half* out);
/// out[j] = scale·(value of h[j]) (exact when `scale` is a power of two and nothing underflows).
void decode_half(const Half* h, Index n, double scale, double* out);
/// The value of one binary16 (finite or not), exactly.
double half_value(Half h) noexcept;

/// The instruction set of the kernels in use: "avx2+f16c" or "portable".
const char* isa() noexcept;
/// Whether the AVX2+F16C kernels can run on this processor.
bool avx2_available() noexcept;
/// Selects the kernels: the portable ones when `portable` is true, else the fastest available
/// (the default). For tests; not thread-safe with running sweeps.
void force_portable(bool portable) noexcept;

}  // namespace shine::inner::kernels
