#pragma once
/// @file
/// HOAG's adaptive step on the hyperparameters θ (log-regularization), as in the reference code.
///
/// At outer iteration k, with the outer loss f_k = F(θ_k) (at the approximate inner solution),
/// its hypergradient p_k and the tolerances ε_used (this iteration's) and ε (the next one):
///
///     L ← ‖p‖/√k_θ if L is unset and ‖p‖ > 1e-3, else 1 if unset      (k_θ = dim θ)
///     θ⁺ = clip(θ − p/L, [lower, upper]),   incr = ‖p‖/L
///     if   f_k ≤ f_{k−1} + C·ε + (C + 1)·ε_used·incr − L·incr²   (C = 0.25):  L ← 0.95·L
///     (accepted) elif f_k ≥ 1.2·f_{k−1}:  L ← 2·L, θ⁺ = θ (the step is undone), ε ← ε/2 (rejected)
///     else: keep L                                                               (kept)
///     f_{k−1} ← f_k
///
/// The 2017 reference code moves θ a second time (θ⁺ ← clip(θ⁺ − p/L)) in the accepted and kept
/// cases; the 2016 paper's code moves once. `StepRule` selects either. With the double rule the
/// first step of a one-λ problem is exactly ±2 in log-λ.

#include <optional>
#include <string_view>

#include "shine/core/types.hpp"

namespace shine::outer {

/// How the outer loop steps θ.
enum class StepRule {
  Single,  ///< HOAG: θ ← θ − p/L once (HOAG 2016 paper and code).
  Double,  ///< HOAG: θ moves by p/L twice per non-rejected iteration (HOAG 2017 code, SHINE paper).
  Secant,  ///< The safeguarded secant step of `SecantStep`, which converges and stops the loop.
};

/// Stable names: "single", "double", "secant".
std::string_view to_string(StepRule rule) noexcept;
/// Inverse of `to_string`; throws `std::invalid_argument` for anything else.
StepRule parse_step_rule(std::string_view name);

/// Options of the adaptive step. Defaults are the reference code's constants.
struct HoagStepOptions {
  /// Single, double (see the file comment) or secant (secant_step.hpp). Default `Secant`, chosen
  /// by the tuning benchmark (BENCHMARKS.md); the constants below are those of the HOAG rules.
  StepRule rule = StepRule::Secant;
  /// Bounds of every θ_j (log λ). Defaults −12 and 12 (λ from 6.1e-6 to 1.6e5). lower < upper.
  double lower_bound = -12.0;
  double upper_bound = 12.0;  ///< Upper bound of every θ_j; see `lower_bound`.
  /// C of the sufficient-decrease test. Range (0, 1]. Default 0.25.
  double decrease_slack = 0.25;
  /// L ← shrink·L after a sufficient decrease. Range (0, 1]. Default 0.95.
  double shrink = 0.95;
  /// L ← grow·L after a rejection. Range (1, ∞). Default 2.
  double grow = 2.0;
  /// Reject the step when f_k ≥ reject_ratio·f_{k−1}. Range (1, ∞). Default 1.2.
  double reject_ratio = 1.2;

  /// Throws `std::invalid_argument` naming the field when a value is out of range.
  void validate() const;
};

/// What one update did.
enum class StepOutcome {
  Accepted,      ///< Sufficient decrease: L shrank (and, with the double rule, θ moved twice).
  Kept,          ///< Neither test fired: L kept.
  Rejected,      ///< The loss grew by the reject ratio: θ restored, L grown, ε to be halved.
  ZeroGradient,  ///< ‖p‖ = 0: nothing to do, θ kept.
  NonFinite,     ///< p or f is NaN or infinite: θ kept, state unchanged.
  Secant,        ///< Secant rule: a step on the secant model, within the trust radius.
  Capped,        ///< Secant rule: a step cut to the trust radius.
  Converged,     ///< Secant rule: the step is below the tolerance (or blocked by a bound).
  /// Secant rule: the step is below the tolerance, but the inner solve was looser than
  /// `TuneOptions::final_tolerance`; the later evaluations solve to it, and the next
  /// convergence ends the run.
  Confirm,
  /// Secant rule: the step is below the tolerance, but the inner solve's gradient was more than
  /// 100 times the final level: a hypergradient that inaccurate cannot announce a convergence.
  /// The step is taken, and the next solves, warm-started, tighten as usual.
  Tighten,
};

/// Stable names: "accepted", "kept", "rejected", "zero_gradient", "non_finite", "secant",
/// "capped", "converged", "confirm", "tighten".
std::string_view to_string(StepOutcome outcome) noexcept;

/// The adaptive step's state across outer iterations (L and the previous outer loss).
/// Not thread-safe; one per outer loop. `StepRule::Secant` is not a HOAG rule: the tuner uses
/// `SecantStep` for it, and this class moves once (as `Single`) if given it.
class HoagStep {
 public:
  /// L unset, f_{k−1} = +∞. Throws `std::invalid_argument` when `options` are invalid.
  explicit HoagStep(HoagStepOptions options = {});

  /// Result of `update`.
  struct Update {
    Vector theta;          ///< θ for the next outer iteration (within the bounds).
    StepOutcome outcome;   ///< What happened.
    double lipschitz;      ///< L after the update (0 when still unset).
    double step_size;      ///< 1/L used for this update (0 when no step was taken).
    double increment;      ///< ‖p‖/L (0 when no step was taken).
    bool halve_tolerance;  ///< True on rejection: the caller halves its next tolerance.
  };

  /// One outer update. `theta`: current θ (within the bounds); `hypergradient`: p at θ;
  /// `outer_loss`: f at θ; `tolerance_used`: ε of this iteration; `tolerance_next`: ε of the
  /// next one. A non-finite `hypergradient` or `outer_loss` never moves θ. Throws
  /// `std::invalid_argument` when the sizes of `theta` and `hypergradient` differ.
  Update update(const Vector& theta, const Vector& hypergradient, double outer_loss,
                double tolerance_used, double tolerance_next);

  /// Current L, unset before the first step.
  [[nodiscard]] std::optional<double> lipschitz() const noexcept { return lipschitz_; }
  /// Previous outer loss f_{k−1} (+∞ before the first update).
  [[nodiscard]] double previous_loss() const noexcept { return previous_loss_; }
  /// Restores a saved state (checkpoint/resume).
  void restore(std::optional<double> lipschitz, double previous_loss) noexcept {
    lipschitz_ = lipschitz;
    previous_loss_ = previous_loss;
  }
  /// The options given at construction.
  [[nodiscard]] const HoagStepOptions& options() const noexcept { return options_; }

 private:
  HoagStepOptions options_;
  std::optional<double> lipschitz_;
  double previous_loss_;
};

}  // namespace shine::outer
