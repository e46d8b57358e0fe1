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
