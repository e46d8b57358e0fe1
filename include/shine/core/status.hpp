#pragma once
/// @file
/// How an iterative computation ended, and the summary every solve returns.
///
/// Numerical outcomes (no convergence, a failed line search, a non-finite value) are reported as
/// a `Termination`, never thrown: exceptions are reserved for misuse and I/O errors.

#include <optional>
#include <string>
#include <string_view>

namespace shine {

/// Why an iterative computation (inner solve, conjugate gradient, outer loop) stopped.
enum class Termination {
  Converged,          ///< The stopping criterion (e.g. a gradient norm tolerance) was met.
  MaxIterations,      ///< The iteration budget ran out before convergence.
  LineSearchFailed,   ///< No step satisfying the line-search conditions was found.
  NumericalError,     ///< A non-finite value (NaN or Inf) appeared; the last finite iterate is kept.
  TimeLimit,          ///< The wall-clock budget ran out.
  Interrupted,        ///< An interrupt (e.g. Ctrl-C) was requested; the partial result is kept.
  StoppedByObserver,  ///< An observer or hook asked to stop.
};

/// Stable lower-case name of a termination, e.g. `"converged"`, `"line_search_failed"`.
std::string_view to_string(Termination termination) noexcept;

/// Inverse of `to_string`; `std::nullopt` when `name` is not one of the names above.
std::optional<Termination> parse_termination(std::string_view name) noexcept;

/// True for the outcomes whose result is a proper answer (`Converged`) rather than the best
/// iterate found before stopping early.
constexpr bool is_success(Termination termination) noexcept {
  return termination == Termination::Converged;
}

}  // namespace shine
