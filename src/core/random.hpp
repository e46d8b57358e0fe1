#pragma once
/// @file
/// A seeded random number generator whose streams are identical on every platform.
///
/// The standard distributions (`std::uniform_int_distribution`, `std::normal_distribution`) are
/// implementation-defined, so the same seed could give different splits with another standard
/// library. shine draws from `std::mt19937_64` (whose output the standard fixes) and maps it to
/// integers, uniforms and normals with its own documented formulas.

#include <cstdint>
#include <random>

namespace shine {

/// Deterministic random source: the same seed gives the same stream everywhere.
class Random {
 public:
  /// A stream seeded with `seed` (any value; `std::mt19937_64`'s own seeding).
  explicit Random(std::uint64_t seed) : engine_(seed) {}

  /// Uniform integer in [0, bound), unbiased (rejection sampling). `bound` must be > 0.
  std::uint64_t below(std::uint64_t bound) {
    // Reject the top partial block of the 64-bit range so every residue is equally likely.
    const std::uint64_t limit = std::uint64_t(0) - (std::uint64_t(0) - bound) % bound;
    std::uint64_t x = engine_();
    while (limit != 0 && x >= limit)
      x = engine_();
    return x % bound;
  }

  /// Uniform double in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

  /// Uniform double in [low, high).
  double uniform(double low, double high) { return low + (high - low) * uniform(); }

  /// Standard normal draw (Box–Muller; each call uses two uniforms).
  double normal();

  /// Shuffles `[first, last)` in place (Fisher–Yates with `below`).
  template <typename RandomIt>
  void shuffle(RandomIt first, RandomIt last) {
    const auto n = static_cast<std::uint64_t>(last - first);
    for (std::uint64_t i = n; i > 1; --i) {
      const auto j = below(i);
      std::swap(first[static_cast<std::ptrdiff_t>(i - 1)], first[static_cast<std::ptrdiff_t>(j)]);
    }
  }

  /// The underlying engine, e.g. to save and restore its state with `<<` / `>>`.
  std::mt19937_64& engine() noexcept { return engine_; }

 private:
  std::mt19937_64 engine_;
};

}  // namespace shine
