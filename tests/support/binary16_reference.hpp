#pragma once
// Binary16 (IEEE 754 half precision) by an implementation independent of shine's kernels, for
// the tests of the half-precision L-BFGS storage: the rounding of a float to nearest even, and the
// value of a binary16 bit pattern. With the compiler's _Float16 where it has one (GCC; Clang from
// 15 on x86-64), else (Clang 14, which `make test-tsan` uses) by the definition of the format in
// double arithmetic: the nearest multiple of the quantum 2^(e − 10) of x's binade (2^-24 below
// 2^-14), ties to even. The two agree on every binary16 value and on every 97th float bit
// pattern below 65520 (checked when this fallback was written).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace shine::test {

using HalfBits = std::uint16_t;

#if defined(__FLT16_MANT_DIG__)
inline HalfBits reference_half(float x) {
  const auto h = static_cast<_Float16>(x);
  HalfBits out;
  std::memcpy(&out, &h, sizeof out);
  return out;
}

inline double reference_value(HalfBits h) {
  _Float16 f;
  std::memcpy(&f, &h, sizeof f);
  return static_cast<double>(static_cast<float>(f));
}
#else
inline HalfBits reference_half(float x) {
  const auto sign = static_cast<HalfBits>(std::signbit(x) ? 0x8000u : 0u);
  const double a = std::fabs(static_cast<double>(x));
  if (std::isnan(a)) return static_cast<HalfBits>(sign | 0x7e00u);
  if (a >= 65520.0) return static_cast<HalfBits>(sign | 0x7c00u);  // rounds to ∞
  const int e = a == 0.0 ? -14 : std::max(std::ilogb(a), -14);
  const double quantum = std::ldexp(1.0, e - 10);
  const double v = std::nearbyint(a / quantum) * quantum;  // exact; ties to even
  if (v < 0x1p-14) return static_cast<HalfBits>(sign | static_cast<unsigned>(v / 0x1p-24));
  const int ev = std::ilogb(v);
  const auto fraction = static_cast<unsigned>((std::ldexp(v, -ev) - 1.0) * 1024.0);
  return static_cast<HalfBits>(sign | (static_cast<unsigned>(ev + 15) << 10) | fraction);
}

inline double reference_value(HalfBits h) {
  const unsigned exponent = (h >> 10) & 0x1fu;
  const unsigned fraction = h & 0x3ffu;
  double v = 0.0;
  if (exponent == 31) {
    v = fraction != 0 ? std::nan("") : INFINITY;
  } else if (exponent == 0) {
    v = std::ldexp(static_cast<double>(fraction), -24);
  } else {
    v = std::ldexp(static_cast<double>(1024 + fraction), static_cast<int>(exponent) - 25);
  }
  return (h & 0x8000u) != 0 ? -v : v;
}
#endif

}  // namespace shine::test
