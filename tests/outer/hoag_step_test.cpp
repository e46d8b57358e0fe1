#include "shine/outer/hoag_step.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

#include "shine/outer/tolerance_schedule.hpp"

namespace shine::outer {
namespace {

Vector vec(std::initializer_list<double> values) {
  Vector v(static_cast<Index>(values.size()));
  Index i = 0;
  for (double x : values)
    v[i++] = x;
  return v;
}

TEST(HoagStep, FirstStepMovesOneUnitSingleAndTwoUnitsDouble) {
  HoagStep single({.rule = StepRule::Single});
  auto u = single.update(vec({0.0}), vec({3.5}), 10.0, 1e-3, 9e-4);
  EXPECT_EQ(u.outcome, StepOutcome::Accepted);
  EXPECT_DOUBLE_EQ(u.theta[0], -1.0);
  EXPECT_DOUBLE_EQ(u.lipschitz, 3.5 * 0.95);
  HoagStep twice({.rule = StepRule::Double});
  u = twice.update(vec({0.0}), vec({-0.2}), 10.0, 1e-3, 9e-4);
  EXPECT_DOUBLE_EQ(u.theta[0], 2.0);  // exactly ±2 in log-λ, whatever |p|
}

TEST(HoagStep, InitialLipschitzScalesWithDimensionAndSmallGradients) {
  HoagStep step;
  auto u = step.update(Vector::Zero(4), vec({1.0, 1.0, 1.0, 1.0}), 5.0, 1e-3, 1e-3);
  // L = ‖p‖/√4 = 1, so θ moves by −p.
  EXPECT_TRUE(u.theta.isApprox(vec({-1.0, -1.0, -1.0, -1.0})));
  HoagStep tiny;
  u = tiny.update(vec({0.0}), vec({1e-4}), 5.0, 1e-3, 1e-3);
  EXPECT_DOUBLE_EQ(u.step_size, 1.0);  // ‖p‖ ≤ 1e-3 → L = 1
}

TEST(HoagStep, RejectsAGrowingLossRestoresThetaAndGrowsL) {
  HoagStep step;
  auto u = step.update(vec({0.0}), vec({2.0}), 10.0, 1e-3, 9e-4);
  const double L = u.lipschitz;
  u = step.update(vec({-1.0}), vec({2.0}), 12.5, 9e-4, 8e-4);  // 12.5 ≥ 1.2·10
  EXPECT_EQ(u.outcome, StepOutcome::Rejected);
  EXPECT_DOUBLE_EQ(u.theta[0], -1.0);
  EXPECT_DOUBLE_EQ(u.lipschitz, 2.0 * L);
  EXPECT_TRUE(u.halve_tolerance);
  EXPECT_DOUBLE_EQ(step.previous_loss(), 12.5);
}

TEST(HoagStep, KeepsLWhenNeitherTestFires) {
  HoagStep step;
  auto u = step.update(vec({0.0}), vec({2.0}), 10.0, 1e-3, 9e-4);
  const double L = u.lipschitz;
  u = step.update(vec({-1.0}), vec({2.0}), 11.0, 9e-4, 8e-4);  // above the bound, below 12
  EXPECT_EQ(u.outcome, StepOutcome::Kept);
  EXPECT_DOUBLE_EQ(u.lipschitz, L);
  EXPECT_DOUBLE_EQ(u.theta[0], -1.0 - 2.0 / L);
}

TEST(HoagStep, SufficientDecreaseFollowsTheReferenceFormula) {
  HoagStep step;
  step.update(vec({0.0}), vec({1.0}), 10.0, 1e-3, 1e-3);  // L: 1 → 0.95
  const double L = *step.lipschitz();
  const double p = 0.5, incr = p / L;
  const double bound = 10.0 + 0.25 * 8e-4 + 1.25 * 9e-4 * incr - L * incr * incr;
  HoagStep copy = step;
  EXPECT_EQ(copy.update(vec({-1.0}), vec({p}), bound - 1e-12, 9e-4, 8e-4).outcome,
            StepOutcome::Accepted);
  copy = step;
  EXPECT_EQ(copy.update(vec({-1.0}), vec({p}), bound + 1e-9, 9e-4, 8e-4).outcome,
            StepOutcome::Kept);
}

TEST(HoagStep, NeverLeavesTheBounds) {
  HoagStep step({.rule = StepRule::Double, .lower_bound = -12.0, .upper_bound = 12.0});
  auto u = step.update(vec({11.5, -11.5}), vec({-100.0, 100.0}), 1.0, 1e-3, 1e-3);
  EXPECT_LE(u.theta.maxCoeff(), 12.0);
  EXPECT_GE(u.theta.minCoeff(), -12.0);
}

TEST(HoagStep, NonFiniteHypergradientOrLossNeverMovesTheta) {
  HoagStep step;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto u = step.update(vec({0.5}), vec({nan}), 1.0, 1e-3, 1e-3);
  EXPECT_EQ(u.outcome, StepOutcome::NonFinite);
  EXPECT_DOUBLE_EQ(u.theta[0], 0.5);
  EXPECT_FALSE(step.lipschitz().has_value());
  u = step.update(vec({0.5}), vec({1.0}), std::numeric_limits<double>::infinity(), 1e-3, 1e-3);
  EXPECT_EQ(u.outcome, StepOutcome::NonFinite);
  u = step.update(vec({0.5}), vec({0.0}), 1.0, 1e-3, 1e-3);
  EXPECT_EQ(u.outcome, StepOutcome::ZeroGradient);
  EXPECT_DOUBLE_EQ(u.theta[0], 0.5);
}

TEST(HoagStep, ValidatesOptionsAndSizes) {
  EXPECT_THROW(HoagStep({.lower_bound = 1.0, .upper_bound = 0.0}), std::invalid_argument);
  EXPECT_THROW(HoagStep({.grow = 1.0}), std::invalid_argument);
  HoagStep step;
  EXPECT_THROW(step.update(vec({0.0}), vec({1.0, 2.0}), 1.0, 1e-3, 1e-3), std::invalid_argument);
  EXPECT_EQ(parse_step_rule("double"), StepRule::Double);
  EXPECT_THROW(parse_step_rule("triple"), std::invalid_argument);
}

TEST(StepOutcome, EveryOutcomeHasItsOwnStableName) {
  // The names are written into the JSON records and the progress lines.
  const std::vector<std::pair<StepOutcome, std::string_view>> names = {
      {StepOutcome::Accepted, "accepted"},    {StepOutcome::Kept, "kept"},
      {StepOutcome::Rejected, "rejected"},    {StepOutcome::ZeroGradient, "zero_gradient"},
      {StepOutcome::NonFinite, "non_finite"}, {StepOutcome::Secant, "secant"},
      {StepOutcome::Capped, "capped"},        {StepOutcome::Converged, "converged"},
      {StepOutcome::Confirm, "confirm"},      {StepOutcome::Tighten, "tighten"}};
  for (const auto& [outcome, name] : names)
    EXPECT_EQ(to_string(outcome), name);
}

TEST(ToleranceSchedule, ExponentialQuadraticCubicAndFloor) {
  ToleranceSchedule exp{.kind = ScheduleKind::Exponential, .initial = 1e-3, .rho = 0.5};
  EXPECT_DOUBLE_EQ(exp.next(1e-3, 1), 5e-4);
  EXPECT_DOUBLE_EQ(exp.next(1e-12, 40), 1e-12);  // floor
  ToleranceSchedule quad{.kind = ScheduleKind::Quadratic, .initial = 1e-2};
  EXPECT_DOUBLE_EQ(quad.next(0.0, 10), 1e-4);
  ToleranceSchedule cubic{.kind = ScheduleKind::Cubic, .initial = 1e-3};
  EXPECT_DOUBLE_EQ(cubic.next(0.0, 10), 1e-6);
  EXPECT_NO_THROW(exp.validate());
  EXPECT_THROW((ToleranceSchedule{.rho = 1.0}.validate()), std::invalid_argument);
  EXPECT_THROW((ToleranceSchedule{.initial = 0.0}.validate()), std::invalid_argument);
  EXPECT_EQ(parse_schedule_kind("cubic"), ScheduleKind::Cubic);
  EXPECT_THROW(parse_schedule_kind("linear"), std::invalid_argument);
}

}  // namespace
}  // namespace shine::outer
