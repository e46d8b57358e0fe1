// HOAG's adaptive outer step (Pedregosa, "Hyperparameter optimization with approximate
// gradient", ICML 2016, Algorithm 1, as its published code runs it): a gradient step of length
// 1/L on θ with L an estimate of the Lipschitz constant of the outer gradient, adapted by a
// sufficient-decrease test that allows for the inexactness of the inner solves.
//
// With p the hypergradient at θ_k, f_k the outer loss there, ε_used the inner tolerance that
// produced them and ε_next the one the next solve will use, the step is θ_{k+1} = Π(θ_k − p/L),
// Π the clip to [lower_bound, upper_bound], and ‖Δ‖ = ‖p‖/L its length before the clip. Then
//
//   f_k ≤ f_{k−1} + C·ε_next + (C + 1)·ε_used·‖Δ‖ − L·‖Δ‖²   → accepted: L ← shrink·L
//   f_k ≥ reject_ratio · f_{k−1}                            → rejected: L ← grow·L, θ stays,
//                                                              the tolerance is halved
//   otherwise                                               → kept (the step stands, L as is)
//
// C = decrease_slack (0.25 in the reference), shrink 0.95, grow 2, reject_ratio 1.2. The test
// compares this loss with the previous one, i.e. it judges the step that led here. The first L
// is ‖p‖/√k (or 1 when ‖p‖ ≤ 1e-3), k = θ's dimension. The "double" rule of the 2017 code moves θ
// a second time by the same step unless the step was rejected (so its first accepted step is
// 2/L·‖p‖). Invariants: L > 0 once set; θ always within the bounds; previous_loss_ is the loss of
// the last finite update (+∞ before the first).
#include "shine/outer/hoag_step.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "core/check.hpp"

namespace shine::outer {

std::string_view to_string(StepRule rule) noexcept {
  switch (rule) {
    case StepRule::Single:
      return "single";
    case StepRule::Double:
      return "double";
    case StepRule::Secant:
      return "secant";
  }
  return "secant";
}

StepRule parse_step_rule(std::string_view name) {
  if (name == "single") return StepRule::Single;
  if (name == "double") return StepRule::Double;
  if (name == "secant") return StepRule::Secant;
  throw std::invalid_argument("unknown step rule '" + std::string(name) +
                              "': use secant (converges and stops), single (HOAG 2016) or double "
                              "(HOAG 2017 code)");
}

std::string_view to_string(StepOutcome outcome) noexcept {
  switch (outcome) {
    case StepOutcome::Accepted:
      return "accepted";
    case StepOutcome::Kept:
      return "kept";
    case StepOutcome::Rejected:
      return "rejected";
    case StepOutcome::ZeroGradient:
      return "zero_gradient";
    case StepOutcome::NonFinite:
      return "non_finite";
    case StepOutcome::Secant:
      return "secant";
    case StepOutcome::Capped:
      return "capped";
    case StepOutcome::Converged:
      return "converged";
    case StepOutcome::Confirm:
      return "confirm";
    case StepOutcome::Tighten:
      return "tighten";
  }
  return "kept";
}

void HoagStepOptions::validate() const {
  require(std::isfinite(lower_bound), "HoagStepOptions::lower_bound", lower_bound,
          "must be finite");
  require(std::isfinite(upper_bound) && upper_bound > lower_bound, "HoagStepOptions::upper_bound",
          upper_bound, "must be finite and > lower_bound");
  require(decrease_slack > 0.0 && decrease_slack <= 1.0, "HoagStepOptions::decrease_slack",
          decrease_slack, "must be in (0, 1]");
  require(shrink > 0.0 && shrink <= 1.0, "HoagStepOptions::shrink", shrink, "must be in (0, 1]");
  require(grow > 1.0 && std::isfinite(grow), "HoagStepOptions::grow", grow, "must be > 1");
  require(reject_ratio > 1.0 && std::isfinite(reject_ratio), "HoagStepOptions::reject_ratio",
          reject_ratio, "must be > 1");
}

HoagStep::HoagStep(HoagStepOptions options)
    : options_(options), previous_loss_(std::numeric_limits<double>::infinity()) {
  options_.validate();
}

HoagStep::Update HoagStep::update(const Vector& theta, const Vector& hypergradient,
                                  double outer_loss, double tolerance_used, double tolerance_next) {
  if (theta.size() != hypergradient.size()) {
    throw std::invalid_argument("HoagStep::update: theta has " + std::to_string(theta.size()) +
                                " entries but the hypergradient has " +
                                std::to_string(hypergradient.size()));
  }
  const auto clip = [this](const Vector& v) {
    return v.cwiseMax(options_.lower_bound).cwiseMin(options_.upper_bound).eval();
  };
  Update result{clip(theta), StepOutcome::Kept, lipschitz_.value_or(0.0), 0.0, 0.0, false};
  if (!hypergradient.allFinite() || !std::isfinite(outer_loss)) {
    result.outcome = StepOutcome::NonFinite;
    return result;
  }
  const double norm = hypergradient.norm();
  if (norm == 0.0) {
    result.outcome = StepOutcome::ZeroGradient;
    previous_loss_ = outer_loss;
    return result;
  }
  if (!lipschitz_) {
    lipschitz_ = norm > 1e-3 ? norm / std::sqrt(static_cast<double>(theta.size())) : 1.0;
  }
  const double L = *lipschitz_;
  const double step = 1.0 / L;
  const double increment = step * norm;
  result.step_size = step;
  result.increment = increment;
  result.theta = clip(theta - step * hypergradient);

  const double C = options_.decrease_slack;
  const double bound = previous_loss_ + C * tolerance_next +
                       (C + 1.0) * tolerance_used * increment - L * increment * increment;
  if (outer_loss <= bound) {
    lipschitz_ = L * options_.shrink;
    result.outcome = StepOutcome::Accepted;
  } else if (outer_loss >= options_.reject_ratio * previous_loss_) {
    lipschitz_ = L * options_.grow;
    result.outcome = StepOutcome::Rejected;
    result.theta = clip(theta);
    result.halve_tolerance = true;
  } else {
    result.outcome = StepOutcome::Kept;
  }
  if (options_.rule == StepRule::Double && result.outcome != StepOutcome::Rejected) {
    result.theta = clip(result.theta - step * hypergradient);
  }
  previous_loss_ = outer_loss;
  result.lipschitz = *lipschitz_;
  return result;
}

}  // namespace shine::outer
