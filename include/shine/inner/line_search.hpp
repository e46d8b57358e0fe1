#pragma once
/// @file
/// A line search for the strong Wolfe conditions on a one-dimensional function φ(α).
///
/// Given φ(α) = h(w + αd) and φ'(α) = ∇h(w + αd)ᵀd with φ'(0) < 0, it looks for α > 0 with
///
///     φ(α) ≤ φ(0) + c1·α·φ'(0)          (sufficient decrease)
///     |φ'(α)| ≤ c2·|φ'(0)|               (strong curvature)
///
/// by the bracketing-and-zoom scheme of Nocedal & Wright (Algorithms 3.5 and 3.6): trial steps
/// grow by 4× until an interval is known to contain such a step, which is then shrunk by the
/// minimizer of the cubic interpolating φ and φ' at both ends, safeguarded to stay in the middle
/// 80 % of the interval (bisection otherwise). A non-finite φ(α) is treated as "too long".
///
/// φ is supplied by the caller as a callable, so each trial can be as cheap as the objective
/// allows (O(n) for the logistic objective, after one pass over the data).

#include <string_view>

#include "shine/linalg/function_ref.hpp"

namespace shine::inner {

/// A point on the line: step α, φ(α), φ'(α).
struct LinePoint {
  double step = 0.0;   ///< α.
  double value = 0.0;  ///< φ(α).
  double slope = 0.0;  ///< φ'(α).
};

/// Parameters of `strong_wolfe_search` (the solver fills them from `LbfgsOptions`).
struct LineSearchOptions {
  double c1 = 1e-4;          ///< Sufficient-decrease constant, 0 < c1 < c2.
  double c2 = 0.9;           ///< Strong-curvature constant, c1 < c2 < 1.
  int max_evaluations = 20;  ///< Most evaluations of φ, >= 1.
  /// Approximate-Wolfe slack (Hager & Zhang): a step meeting the strong curvature condition with
  /// φ(α) ≤ φ(0) + value_noise·|φ(0)| is accepted even if the decrease is lost in rounding.
  double value_noise = 1e-12;
  double max_step = 1e20;  ///< Largest step tried, > 0.
};

/// How a line search ended.
enum class LineSearchOutcome {
  StrongWolfe,         ///< Both strong Wolfe conditions hold at the returned step.
  ApproximateWolfe,    ///< Strong curvature holds; decrease within the noise slack.
  SufficientDecrease,  ///< The budget ran out; the returned step only meets sufficient decrease.
  Failed,              ///< No step with sufficient decrease was found (or φ'(0) ≥ 0).
};

/// Stable lower-case name, e.g. "strong_wolfe".
std::string_view to_string(LineSearchOutcome outcome) noexcept;

/// Result of a line search. When `outcome` is `Failed`, `point` is the origin (step 0).
struct LineSearchResult {
  LineSearchOutcome outcome = LineSearchOutcome::Failed;  ///< How the search ended.
  LinePoint point;      ///< The step returned with φ and φ' there.
  int evaluations = 0;  ///< Evaluations of φ made.
  /// True unless `Failed`: the step can be taken.
  [[nodiscard]] bool usable() const noexcept { return outcome != LineSearchOutcome::Failed; }
};

/// Searches α > 0 meeting the strong Wolfe conditions, starting from `initial_step` (> 0).
/// `phi(α)` returns φ(α) and φ'(α) as a `LinePoint` (its `step` field is ignored); `origin` holds
/// φ(0) and φ'(0). Never throws for a numerical outcome: non-finite values shrink the step, and a
/// search that cannot meet the conditions within the budget returns the best step with
/// sufficient decrease, or `Failed`. Throws `std::invalid_argument` only for invalid options.
LineSearchResult strong_wolfe_search(linalg::FunctionRef<LinePoint(double)> phi,
                                     const LinePoint& origin, double initial_step,
                                     const LineSearchOptions& options);

}  // namespace shine::inner
