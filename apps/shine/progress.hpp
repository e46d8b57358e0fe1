#pragma once
// Console output of a tuning run: one line per outer iteration on stderr (an observer of the
// outer loop: the library itself never prints).

#include <iosfwd>
#include <string>

#include "shine/outer/tuner.hpp"

namespace shine::cli {

/// How much the commands print on stderr.
enum class Verbosity { Quiet, Normal, Verbose };

/// Prints a header at the start and one fixed-width line per outer iteration:
///
///     it      lambda    val loss   held-out    |hypergrad|  inner it   elapsed  step
///      0   1.000e+00    0.512345   0.520001      3.2e+01         12    0.08 s  accepted
///
/// A step whose hypergradient came from conjugate gradient in a run of another method (the
/// accurate hypergradients after a bounce of the secant step, and the one that confirms a
/// convergence) reads e.g. `secant+cg`.
/// Verbose adds the inner solve and the hypergradient computation under each line.
class ConsoleProgress final : public outer::Observer {
 public:
  ConsoleProgress(std::ostream& err, Verbosity verbosity);
  void on_begin(const outer::TuneInfo& info) override;
  bool on_iteration(const outer::OuterRecord& record) override;

  /// The column header (without a newline).
  static std::string header();
  /// One line for a record of a run of `method` (without a newline).
  static std::string line(const outer::OuterRecord& record, outer::TuneMethod method);

 private:
  std::ostream& err_;
  Verbosity verbosity_;
  outer::TuneMethod method_ = outer::TuneMethod::Shine;
};

/// λ of a record for display: the value for one λ, else the geometric mean prefixed by '~'.
std::string lambda_text(const Vector& lambda);

}  // namespace shine::cli
