#pragma once
// Ctrl-C (SIGINT) and SIGTERM as a flag the outer loop reads: the run stops at the next check,
// keeps what it found and the command still writes its outputs, then exits with code 130.

#include <atomic>

namespace shine::cli {

/// While alive, SIGINT and SIGTERM set `flag()` instead of killing the process, and print one
/// line on stderr; a second signal restores the default action and re-raises it, so a second
/// Ctrl-C ends the process at once. The destructor restores the previous handlers. One guard at a
/// time (the handlers are process-wide).
class InterruptGuard {
 public:
  InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
  ~InterruptGuard();

  /// The flag to give to `outer::TuneOptions::interrupt`.
  [[nodiscard]] const std::atomic<bool>* flag() const noexcept;
  /// True once a signal arrived.
  [[nodiscard]] bool interrupted() const noexcept;
};

}  // namespace shine::cli
