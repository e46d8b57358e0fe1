// The sequence ε_k of HOAG's inner tolerances (Pedregosa 2016, section 3: the approximate
// hypergradients converge when Σ ε_k < ∞). Under the papers' rule an inner solve stops at
// ‖∇h‖ ≤ ε_k · ‖∇h(w₀, θ₀)‖ · exp(θ_{k−1} − θ₀) (docs/hypergradients.md); the same ε_k bounds the
// error terms of HOAG's sufficient-decrease test (hoag_step.cpp). All three kinds are summable:
// exponential ε_{k+1} = ρ·ε_k (ρ = 0.9 for HOAG, 0.78 for the SHINE methods in the references),
// quadratic ε₀/k², cubic ε₀/k³; every value is floored at `floor` so that a long run never asks
// the solver for a tolerance below rounding. A rejected step halves ε outside this schedule.
#include "shine/outer/tolerance_schedule.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "core/check.hpp"

namespace shine::outer {

std::string_view to_string(ScheduleKind kind) noexcept {
  switch (kind) {
    case ScheduleKind::Exponential:
      return "exponential";
    case ScheduleKind::Quadratic:
      return "quadratic";
    case ScheduleKind::Cubic:
      return "cubic";
  }
  return "exponential";
}

ScheduleKind parse_schedule_kind(std::string_view name) {
  for (auto kind : {ScheduleKind::Exponential, ScheduleKind::Quadratic, ScheduleKind::Cubic}) {
    if (to_string(kind) == name) return kind;
  }
  throw std::invalid_argument("unknown tolerance schedule '" + std::string(name) +
                              "': use exponential, quadratic or cubic");
}

void ToleranceSchedule::validate() const {
  require(initial > 0.0 && initial <= 1.0, "ToleranceSchedule::initial", initial,
          "must be in (0, 1]");
  require(rho > 0.0 && rho < 1.0, "ToleranceSchedule::rho", rho, "must be in (0, 1)");
  require(floor > 0.0 && floor <= initial, "ToleranceSchedule::floor", floor,
          "must be in (0, initial]");
}

double ToleranceSchedule::next(double current, int iteration) const noexcept {
  const double k = static_cast<double>(std::max(iteration, 1));
  double value = current;
  switch (kind) {
    case ScheduleKind::Exponential:
      value = rho * current;
      break;
    case ScheduleKind::Quadratic:
      value = initial / (k * k);
      break;
    case ScheduleKind::Cubic:
      value = initial / (k * k * k);
      break;
  }
  return std::max(value, floor);
}

}  // namespace shine::outer
