// The L-BFGS sweep kernels (lbfgs_kernels.hpp), in a portable build and an AVX2+F16C build
// chosen at run time.
//
// Sources. IEEE 754-2008 binary16: 1 sign bit, 5 exponent bits (bias 15), 10 fraction bits.
// binary16 → binary32 below shifts the exponent and fraction into place and multiplies by 2^112
// (= 2^(127 − 15)), which also normalizes the subnormals exactly; binary32 → binary16 with
// rounding to nearest even follows F. Giesen's "float_to_half_fast3_rtne" (public domain,
// https://gist.github.com/rygorous/2156668): the subnormal range is rounded by the floating-point
// adder (adding 0.5, whose ulp is 2^-24, the binary16 subnormal spacing), the normal range by
// adding 0xfff plus the lowest kept fraction bit before truncating 13 bits. The AVX2 build uses
// the F16C instructions VCVTPH2PS and VCVTPS2PH (round to nearest even), which compute the same
// values (the tests compare the two builds).

#include "inner/lbfgs_kernels.hpp"

#include <immintrin.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#endif

#include <algorithm>
#include <atomic>
#include <cmath>

namespace shine::inner::kernels {
namespace {

using D4 = double __attribute__((vector_size(32)));
using F4 = float __attribute__((vector_size(16)));

inline std::uint32_t float_bits(float f) noexcept {
  std::uint32_t u;
  __builtin_memcpy(&u, &f, sizeof u);
  return u;
}

inline float bits_float(std::uint32_t u) noexcept {
  float f;
  __builtin_memcpy(&f, &u, sizeof f);
  return f;
}

// binary32 → binary16, rounding to nearest even (Giesen, see above). Overflow gives ±∞, NaN a
// quiet NaN.
inline Half float_to_half(float f) noexcept {
  std::uint32_t x = float_bits(f);
  const std::uint32_t sign = x & 0x80000000u;
  x ^= sign;
  std::uint32_t h = 0;
  if (x >= 0x47800000u) {  // |f| >= 2^16, ∞ or NaN
    h = x > 0x7f800000u ? 0x7e00u : 0x7c00u;
  } else if (x < 0x38800000u) {  // |f| < 2^-14: a subnormal binary16 or zero
    h = float_bits(bits_float(x) + 0.5f) - float_bits(0.5f);
  } else {
    const std::uint32_t odd = (x >> 13) & 1u;
    x += 0xc8000fffu;  // exponent bias 127 → 15, plus the rounding increment 0xfff
    x += odd;
    h = x >> 13;
  }
  return static_cast<Half>(h | (sign >> 16));
}

// binary16 → binary32 bits (exact for every input).
inline std::uint32_t half_to_float_bits(std::uint32_t h) noexcept {
  const std::uint32_t sign = (h & 0x8000u) << 16;
  const std::uint32_t magnitude = (h & 0x7fffu) << 13;
  if ((h & 0x7c00u) == 0x7c00u) return sign | 0x7f800000u | magnitude;  // ∞ or NaN
  return sign | float_bits(bits_float(magnitude) * 0x1p112f);
}

}  // namespace

double half_value(Half h) noexcept {
  return static_cast<double>(bits_float(half_to_float_bits(h)));
}

int float_range_exponent(double max_abs) noexcept {
  if (!(max_abs > 0.0) || !std::isfinite(max_abs)) return 0;
  return std::clamp(std::ilogb(max_abs), -1000, 1000);
}

namespace {

inline float half_float(Half h) noexcept {
  return bits_float(half_to_float_bits(h));
}

using F8 = float __attribute__((vector_size(32)));

// ---------------------------------------------------------------------------------------------
// Portable build.
namespace portable {

inline D4 load4(const double* p) {
  D4 x;
  __builtin_memcpy(&x, p, sizeof x);
  return x;
}

inline D4 load4(const float* p) {
  F4 f;
  __builtin_memcpy(&f, p, sizeof f);
  return __builtin_convertvector(f, D4);
}

inline void store4(double* p, D4 x) {
  __builtin_memcpy(p, &x, sizeof x);
}

// Binary16 values widened exactly to float, lane by lane (half_to_float_bits): H, U and F are
// vectors of as many uint16, uint32 and float lanes.
template <typename H, typename U, typename F>
inline F half_lanes(const Half* p) {
  H h;
  __builtin_memcpy(&h, p, sizeof h);
  const U w = __builtin_convertvector(h, U);
  const U sign = (w & 0x8000u) << 16;
  const U magnitude = (w & 0x7fffu) << 13;
  F f;
  __builtin_memcpy(&f, &magnitude, sizeof f);
  f *= 0x1p112f;
  U bits;
  __builtin_memcpy(&bits, &f, sizeof bits);
  const U special = (w & 0x7c00u) == 0x7c00u;  // all ones where ∞ or NaN
  bits = (special & (0x7f800000u | magnitude)) | (~special & bits);
  bits |= sign;
  __builtin_memcpy(&f, &bits, sizeof f);
  return f;
}

inline F8 load8(const float* p) {
  F8 x;
  __builtin_memcpy(&x, p, sizeof x);
  return x;
}

inline F8 load8(const Half* p) {
  using H8 = std::uint16_t __attribute__((vector_size(16)));
  using U8 = std::uint32_t __attribute__((vector_size(32)));
  return half_lanes<H8, U8, F8>(p);
}

inline D4 widen_lo(F8 x) {
  return __builtin_convertvector(__builtin_shufflevector(x, x, 0, 1, 2, 3), D4);
}

inline D4 widen_hi(F8 x) {
  return __builtin_convertvector(__builtin_shufflevector(x, x, 4, 5, 6, 7), D4);
}

void encode_half(const double* x, Index n, double factor, Half* out) {
  for (Index j = 0; j < n; ++j)
    out[j] = float_to_half(static_cast<float>(x[j] * factor));
}

void decode_half(const Half* h, Index n, double scale, double* out) {
  for (Index j = 0; j < n; ++j)
    out[j] = scale * half_value(h[j]);
}

double largest_magnitude(const double* x, Index n) {
  double largest = 0.0;
  for (Index j = 0; j < n; ++j) {
    const double a = std::abs(x[j]);
    if (a > largest) largest = a;
  }
  return largest;
}

int narrow_to_float(const double* x, Index n, float* out) {
  const int e = float_range_exponent(largest_magnitude(x, n));
  const double down = std::ldexp(1.0, -e);
  for (Index j = 0; j < n; ++j)
    out[j] = static_cast<float>(x[j] * down);
  return e;
}

void half_to_float(const Half* h, Index n, float* out) {
  for (Index j = 0; j < n; ++j)
    out[j] = half_float(h[j]);
}

#include "inner/lbfgs_kernels_body.inc"

}  // namespace portable

// ---------------------------------------------------------------------------------------------
// AVX2 + F16C build (x86-64 only).
// GCC and Clang both compile this part for AVX2 + F16C whatever the build's -march; it runs only
// where the processor reports both (best_table below).
#if defined(__x86_64__) && defined(__GNUC__)
#define SHINE_LBFGS_AVX2 1
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,f16c"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,f16c")
#endif
namespace avx2 {

// Unaligned loads and stores by intrinsics (one instruction each).
inline D4 load4(const double* p) {
  return _mm256_loadu_pd(p);
}

inline void store4(double* p, D4 x) {
  _mm256_storeu_pd(p, x);
}

inline D4 load4(const float* p) {
  return _mm256_cvtps_pd(_mm_loadu_ps(p));
}

inline D4 load4(const Half* p) {
  return _mm256_cvtps_pd(_mm_cvtph_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
}

inline F8 load8(const float* p) {
  return _mm256_loadu_ps(p);
}

inline F8 load8(const Half* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

inline D4 widen_lo(F8 x) {
  return _mm256_cvtps_pd(_mm256_castps256_ps128(x));
}

inline D4 widen_hi(F8 x) {
  return _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1));
}

void encode_half(const double* x, Index n, double factor, Half* out) {
  const __m256d k = _mm256_set1_pd(factor);
  Index j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m128 lo = _mm256_cvtpd_ps(_mm256_mul_pd(_mm256_loadu_pd(x + j), k));
    const __m128 hi = _mm256_cvtpd_ps(_mm256_mul_pd(_mm256_loadu_pd(x + j + 4), k));
    const __m128i h =
        _mm256_cvtps_ph(_mm256_set_m128(hi, lo), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + j), h);
  }
  for (; j < n; ++j)
    out[j] = float_to_half(static_cast<float>(x[j] * factor));
}

void decode_half(const Half* h, Index n, double scale, double* out) {
  Index j = 0;
  for (; j + 4 <= n; j += 4) {
    const D4 x = load4(h + j) * scale;
    __builtin_memcpy(out + j, &x, sizeof x);
  }
  for (; j < n; ++j)
    out[j] = scale * half_value(h[j]);
}

// VMAXPD returns its second operand when the first is NaN: NaN never enters the maximum.
double largest_magnitude(const double* x, Index n) {
  const __m256d magnitude = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffLL));
  __m256d m = _mm256_setzero_pd();
  Index j = 0;
  for (; j + 4 <= n; j += 4)
    m = _mm256_max_pd(_mm256_and_pd(_mm256_loadu_pd(x + j), magnitude), m);
  double lanes[4];
  _mm256_storeu_pd(lanes, m);
  // The lanes and the remaining entries, by the portable loop (the maximum is exact in any order).
  return std::max(portable::largest_magnitude(lanes, 4), portable::largest_magnitude(x + j, n - j));
}

int narrow_to_float(const double* x, Index n, float* out) {
  const int e = float_range_exponent(largest_magnitude(x, n));
  const double down = std::ldexp(1.0, -e);
  const __m256d k = _mm256_set1_pd(down);
  Index j = 0;
  for (; j + 4 <= n; j += 4)
    _mm_storeu_ps(out + j, _mm256_cvtpd_ps(_mm256_mul_pd(_mm256_loadu_pd(x + j), k)));
  for (; j < n; ++j)
    out[j] = static_cast<float>(x[j] * down);
  return e;
}

void half_to_float(const Half* h, Index n, float* out) {
  Index j = 0;
  for (; j + 8 <= n; j += 8)
    _mm256_storeu_ps(out + j, load8(h + j));
  for (; j < n; ++j)
    out[j] = half_float(h[j]);
}

#include "inner/lbfgs_kernels_body.inc"

}  // namespace avx2
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#endif

// ---------------------------------------------------------------------------------------------
// Dispatch: one table per build, chosen once.

struct Table {
  const char* name;
  void (*dot_d)(Index, int, const double* const*, int, const double* const*, double*, int);
  void (*dot_f)(Index, int, const double* const*, int, const float* const*, double*, int);
  void (*dot_h)(Index, int, const float* const*, int, const Half* const*, double*, int);
  void (*comb_d)(Index, std::size_t, const double* const*, const double*, Index, double*);
  void (*comb_f)(Index, std::size_t, const float* const*, const double*, Index, double*);
  void (*comb_h)(Index, std::size_t, const Half* const*, const double*, Index, double*);
  void (*encode)(const double*, Index, double, Half*);
  void (*decode)(const Half*, Index, double, double*);
  double (*largest)(const double*, Index);
  int (*narrow)(const double*, Index, float*);
  void (*widen_half)(const Half*, Index, float*);
};

constexpr Table kPortable{"portable",
                          portable::dot_products_t<double>,
                          portable::dot_products_t<float>,
                          portable::dot_products_half,
                          portable::add_combination_t<double>,
                          portable::add_combination_t<float>,
                          portable::add_combination_half,
                          portable::encode_half,
                          portable::decode_half,
                          portable::largest_magnitude,
                          portable::narrow_to_float,
                          portable::half_to_float};

#ifdef SHINE_LBFGS_AVX2
constexpr Table kAvx2{"avx2+f16c",
                      avx2::dot_products_t<double>,
                      avx2::dot_products_t<float>,
                      avx2::dot_products_half,
                      avx2::add_combination_t<double>,
                      avx2::add_combination_t<float>,
                      avx2::add_combination_half,
                      avx2::encode_half,
                      avx2::decode_half,
                      avx2::largest_magnitude,
                      avx2::narrow_to_float,
                      avx2::half_to_float};
#endif

#ifdef SHINE_LBFGS_AVX2
// F16C is CPUID leaf 1, ECX bit 29 (Intel SDM vol. 2A, CPUID). Asked directly because Clang's
// __builtin_cpu_supports does not know "f16c"; AVX2 is checked first, and its OS support check
// covers the YMM state F16C needs.
bool cpu_has_f16c() noexcept {
  unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) return false;
  return (ecx & (1u << 29)) != 0;
}
#endif

const Table* best_table() noexcept {
#ifdef SHINE_LBFGS_AVX2
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && cpu_has_f16c()) return &kAvx2;
#endif
  return &kPortable;
}

std::atomic<const Table*>& active() noexcept {
  static std::atomic<const Table*> table{best_table()};
  return table;
}

const Table& table() noexcept {
  return *active().load(std::memory_order_relaxed);
}

}  // namespace

void dot_products(Index len, int np, const double* const* p, int nv, const double* const* v,
                  double* out, int ld) {
  table().dot_d(len, np, p, nv, v, out, ld);
}
void dot_products(Index len, int np, const double* const* p, int nv, const float* const* v,
                  double* out, int ld) {
  table().dot_f(len, np, p, nv, v, out, ld);
}
void dot_products(Index len, int np, const float* const* p, int nv, const Half* const* v,
                  double* out, int ld) {
  table().dot_h(len, np, p, nv, v, out, ld);
}

void add_combination(Index len, std::size_t n, const double* const* A, const double* c, Index at,
                     double* o) {
  table().comb_d(len, n, A, c, at, o);
}
void add_combination(Index len, std::size_t n, const float* const* A, const double* c, Index at,
                     double* o) {
  table().comb_f(len, n, A, c, at, o);
}
void add_combination(Index len, std::size_t n, const Half* const* A, const double* c, Index at,
                     double* o) {
  table().comb_h(len, n, A, c, at, o);
}

void encode_half(const double* x, Index n, double factor, Half* out) {
  table().encode(x, n, factor, out);
}

void decode_half(const Half* h, Index n, double scale, double* out) {
  table().decode(h, n, scale, out);
}

double largest_magnitude(const double* x, Index n) {
  return table().largest(x, n);
}

int narrow_to_float(const double* x, Index n, float* out) {
  return table().narrow(x, n, out);
}

void half_to_float(const Half* h, Index n, float* out) {
  table().widen_half(h, n, out);
}

const char* isa() noexcept {
  return table().name;
}

bool avx2_available() noexcept {
  return best_table() != &kPortable;
}

void force_portable(bool portable) noexcept {
  active().store(portable ? &kPortable : best_table(), std::memory_order_relaxed);
}

}  // namespace shine::inner::kernels
