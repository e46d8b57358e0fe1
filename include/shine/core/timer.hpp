#pragma once
/// @file
/// A monotonic wall-clock stopwatch.

#include <chrono>

namespace shine {

/// Wall-clock stopwatch on `std::chrono::steady_clock`; starts at construction.
class Timer {
 public:
  Timer() noexcept : start_(Clock::now()) {}

  /// Restarts the stopwatch.
  void reset() noexcept { start_ = Clock::now(); }

  /// Seconds elapsed since construction or the last `reset()`.
  [[nodiscard]] double seconds() const noexcept {
    return std::chrono::duration<double>(Clock::now() - start_).count();
  }

 private:
  using Clock = std::chrono::steady_clock;
  Clock::time_point start_;
};

}  // namespace shine
