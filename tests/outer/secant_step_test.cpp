#include "shine/outer/secant_step.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>

namespace shine::outer {
namespace {

Vector one(double v) {
  return Vector::Constant(1, v);
}

// f(θ) = a/2 (θ − θ*)² + 1 and p = f' = a (θ − θ*): the secant model is exact once two points
// are known, so the step after them lands on θ*.
struct Quadratic {
  double a = 3.0;
  double target = -5.0;
  [[nodiscard]] double f(double t) const { return 0.5 * a * (t - target) * (t - target) + 1.0; }
  [[nodiscard]] double p(double t) const { return a * (t - target); }
};

TEST(SecantStep, FirstStepHasTheTrustRadiusAndTheSecantThenSolvesAQuadratic) {
  const Quadratic q;
  SecantStep step({.initial_radius = 2.0, .max_radius = 4.0, .theta_tolerance = 0.02}, -12, 12);
  double t = 0.0;
  SecantStep::Update u = step.update(one(t), one(q.p(t)), q.f(t));
  EXPECT_EQ(u.outcome, StepOutcome::Capped);
  EXPECT_DOUBLE_EQ(u.theta[0], -2.0);  // steepest descent, radius 2
  EXPECT_DOUBLE_EQ(u.radius, 4.0);     // first capped step: the radius doubles
  t = u.theta[0];
  u = step.update(one(t), one(q.p(t)), q.f(t));
  EXPECT_NEAR(u.curvature, q.a, 1e-12);
  EXPECT_NEAR(u.theta[0], q.target, 1e-12);  // secant step of length 3 < radius 4
  EXPECT_EQ(u.outcome, StepOutcome::Secant);
  t = u.theta[0];
  u = step.update(one(t), one(q.p(t)), q.f(t));
  EXPECT_EQ(u.outcome, StepOutcome::Converged);
  EXPECT_NEAR(u.theta[0], q.target, 1e-12);
  EXPECT_LE(u.step_norm, 1e-12);
}

TEST(SecantStep, ConvergesSuperlinearlyOnANonQuadraticMinimum) {
  // f = cosh(θ − 1): p = sinh(θ − 1), curvature cosh; from θ = −3 with radius 1. The θ
  // criterion alone (the loss criterion would stop within 1e-4 of f's minimum value).
  SecantStep step(
      {.initial_radius = 1.0, .max_radius = 4.0, .theta_tolerance = 1e-6, .loss_tolerance = 0.0},
      -12, 12);
  double t = -3.0;
  int updates = 0;
  for (; updates < 30; ++updates) {
    const SecantStep::Update u = step.update(one(t), one(std::sinh(t - 1.0)), std::cosh(t - 1.0));
    t = u.theta[0];
    if (u.outcome == StepOutcome::Converged) break;
  }
  EXPECT_LT(updates, 12);
  EXPECT_NEAR(t, 1.0, 1e-6);
}

TEST(SecantStep, AnIncreaseOfTheLossShrinksTheRadiusToHalfTheLastStep) {
  // Negative curvature seen (p grows the wrong way): steepest descent, capped by the radius.
  SecantStep step({.initial_radius = 2.0, .max_radius = 4.0, .theta_tolerance = 0.02}, -12, 12);
  SecantStep::Update u = step.update(one(0.0), one(1.0), 1.0);  // to −2, radius → 4
  ASSERT_DOUBLE_EQ(u.theta[0], -2.0);
  u = step.update(one(-2.0), one(3.0), 2.0);  // f rose: radius ← 2·½ = 1; c = −1 < 0
  EXPECT_EQ(u.curvature, 0.0);
  EXPECT_DOUBLE_EQ(u.theta[0], -3.0);
  EXPECT_EQ(u.outcome, StepOutcome::Capped);
  EXPECT_DOUBLE_EQ(u.radius, 1.0);  // f rose, so no doubling
}

TEST(SecantStep, AStepCutByTheRadiusNeverCountsAsConverged) {
  // Radius = tolerance: every steepest-descent step has the tolerance's length but is the
  // radius's choice, not the model's.
  SecantStep step({.initial_radius = 0.02, .max_radius = 0.02, .theta_tolerance = 0.02}, -12, 12);
  const SecantStep::Update u = step.update(one(0.0), one(5.0), 1.0);
  EXPECT_EQ(u.outcome, StepOutcome::Capped);
  EXPECT_DOUBLE_EQ(u.theta[0], -0.02);
}

TEST(SecantStep, ShortStepsKeepTheCurvatureOfALongerOne) {
  // p = 2(θ + 1) plus an error of ±0.05 that alternates: over a step of 0.01 the secant slope would
  // be 2 ± 10; the chord keeps the slope 2 measured over the first, long step.
  SecantStep step({.initial_radius = 1.0, .max_radius = 4.0, .theta_tolerance = 0.01}, -12, 12);
  const auto p = [](double t, int k) { return 2.0 * (t + 1.0) + (k % 2 == 0 ? 0.05 : -0.05); };
  double t = 0.0;
  SecantStep::Update u = step.update(one(t), one(p(t, 0)), 1.0);  // to −1
  t = u.theta[0];
  u = step.update(one(t), one(p(t, 0)), 0.5);  // long step: slope exactly 2
  EXPECT_DOUBLE_EQ(u.curvature, 2.0);
  t = u.theta[0];
  u = step.update(one(t), one(p(t, 1)), 0.4);  // short step (0.025 < 5·0.01): slope kept
  EXPECT_DOUBLE_EQ(u.curvature, 2.0);
}

TEST(SecantStep, ANonPositiveSlopeKeepsTheLastPositiveCurvature) {
  // After a slope of 2 is known, a hypergradient with an error makes the slope over a long step
  // negative: the step stays the model's −p/c with c = 2 (a capped step would throw θ the whole
  // radius, 4, along −p).
  SecantStep step({.initial_radius = 2.0, .max_radius = 4.0, .theta_tolerance = 0.02}, -12, 12);
  SecantStep::Update u = step.update(one(0.0), one(1.0), 3.0);  // to −2, radius → 4
  ASSERT_DOUBLE_EQ(u.theta[0], -2.0);
  u = step.update(one(-2.0), one(-3.0), 2.0);  // slope (−3 − 1)/(−2) = 2
  ASSERT_DOUBLE_EQ(u.curvature, 2.0);
  u = step.update(one(-1.0), one(-5.0), 1.0);  // slope (−5 + 3)/1 = −2 over a long step
  EXPECT_DOUBLE_EQ(u.curvature, 2.0);
  EXPECT_EQ(u.outcome, StepOutcome::Secant);
  EXPECT_DOUBLE_EQ(u.theta[0], 1.5);  // −1 + 5/2
  // Without any positive slope yet, a negative one leaves steepest descent of the radius.
  SecantStep fresh({.initial_radius = 2.0, .max_radius = 4.0, .theta_tolerance = 0.02}, -12, 12);
  (void)fresh.update(one(0.0), one(1.0), 3.0);
  u = fresh.update(one(-2.0), one(2.0), 2.0);  // slope (2 − 1)/(−2) < 0
  EXPECT_EQ(u.curvature, 0.0);
  EXPECT_EQ(u.outcome, StepOutcome::Capped);
}

TEST(SecantStep, ConvergesWhenTheModelPredictsAlmostNoDecreaseOfTheLoss) {
  // f = 1000 + (θ − 0)²/2, p = θ: from θ = 1 (steepest descent to −1) the secant slope is 1 and
  // the model's minimum lies 0.5 below f = 1000.5, a fraction 5.0e-4 of it, one unit of θ away.
  for (const double tolerance : {1e-3, 0.0}) {
    SecantStep step({.initial_radius = 2.0,
                     .max_radius = 4.0,
                     .theta_tolerance = 0.02,
                     .loss_tolerance = tolerance},
                    -12, 12);
    SecantStep::Update u = step.update(one(1.0), one(1.0), 1000.5);
    ASSERT_EQ(u.outcome, StepOutcome::Capped);
    EXPECT_EQ(u.predicted_decrease, std::numeric_limits<double>::infinity());  // no slope yet
    u = step.update(one(-1.0), one(-1.0), 1000.5);
    ASSERT_DOUBLE_EQ(u.curvature, 1.0);
    EXPECT_DOUBLE_EQ(u.predicted_decrease, 0.5 / 1000.5);
    EXPECT_DOUBLE_EQ(u.theta[0], 0.0);  // the model's step either way
    EXPECT_EQ(u.outcome, tolerance > 0.0 ? StepOutcome::Converged : StepOutcome::Secant);
  }
  // The default, 1e-4, does not stop there.
  SecantStep step({}, -12, 12);
  (void)step.update(one(1.0), one(1.0), 1000.5);
  EXPECT_EQ(step.update(one(-1.0), one(-1.0), 1000.5).outcome, StepOutcome::Secant);
}

TEST(SecantStep, StopsOnABoundThatTheGradientPushesAgainst) {
  const Quadratic q{.a = 1.0, .target = 20.0};
  SecantStep step({}, -3.0, 3.0);
  double t = 0.0;
  SecantStep::Update u;
  for (int i = 0; i < 10; ++i) {
    u = step.update(one(t), one(q.p(t)), q.f(t));
    t = u.theta[0];
    if (u.outcome == StepOutcome::Converged) break;
  }
  EXPECT_EQ(u.outcome, StepOutcome::Converged);
  EXPECT_DOUBLE_EQ(t, 3.0);
}

TEST(SecantStep, NonFiniteInputKeepsThetaAndHalvesTheRadius) {
  SecantStep step({.initial_radius = 2.0}, -12, 12);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  SecantStep::Update u = step.update(one(1.5), one(nan), 1.0);
  EXPECT_EQ(u.outcome, StepOutcome::NonFinite);
  EXPECT_DOUBLE_EQ(u.theta[0], 1.5);
  EXPECT_DOUBLE_EQ(u.radius, 1.0);
  u = step.update(one(1.5), one(1.0), std::numeric_limits<double>::infinity());
  EXPECT_EQ(u.outcome, StepOutcome::NonFinite);
  EXPECT_THROW(step.update(one(0.0), Vector::Ones(2), 1.0), std::invalid_argument);
}

TEST(SecantStep, BarzilaiBorweinStepsSolveAQuadraticInSeveralGroups) {
  // f = ½ Σ a_j (θ_j − t_j)², p_j = a_j (θ_j − t_j), mildly conditioned.
  const Vector a = (Vector(3) << 1.0, 1.5, 2.0).finished();
  const Vector target = (Vector(3) << -4.0, -2.0, -3.0).finished();
  SecantStep step({.initial_radius = 2.0, .max_radius = 4.0, .theta_tolerance = 1e-4}, -12, 12);
  Vector t = Vector::Zero(3);
  bool converged = false;
  for (int i = 0; i < 60 && !converged; ++i) {
    const Vector p = a.cwiseProduct(t - target);
    const SecantStep::Update u = step.update(t, p, 0.5 * p.dot(t - target));
    t = u.theta;
    converged = u.outcome == StepOutcome::Converged;
  }
  EXPECT_TRUE(converged);
  EXPECT_LT((t - target).norm(), 1e-3);
}

TEST(SecantStep, ARiseOverAShortStepIsABounceAndRestartsTheRadiusOnce) {
  // Near the minimum of a quadratic, hypergradients with an error that flips their sign step
  // back and forth over less than 5·theta_tolerance: f rises on such a short step.
  const Quadratic q{.a = 1.0, .target = 0.0};
  for (const auto after_bounce :
       {SecantStep::AfterBounce::Same, SecantStep::AfterBounce::Accurate}) {
    SecantStep step({.initial_radius = 2.0, .max_radius = 4.0, .theta_tolerance = 0.02}, -12, 12);
    // A long, reliable first step sets the curvature (a) and the previous point.
    SecantStep::Update u = step.update(one(-2.0), one(q.p(-2.0)), q.f(-2.0));
    u = step.update(one(0.01), one(q.p(0.01) + 0.05), q.f(0.01));
    EXPECT_FALSE(u.bounced);
    const double t = u.theta[0];
    ASSERT_LT(std::abs(t - 0.01), 5 * 0.02);  // a short step ...
    ASSERT_GT(q.f(t), q.f(0.01));             // ... that raised f
    // The caller can tell before the update, and a rise over a long step is no bounce.
    EXPECT_TRUE(step.bounces(one(t), q.f(t)));
    EXPECT_FALSE(step.bounces(one(t), q.f(0.01)));  // f did not rise
    u = step.update(one(t), one(q.p(t)), q.f(t), after_bounce);
    EXPECT_TRUE(u.bounced);
    EXPECT_TRUE(step.state().bounced);
    if (after_bounce == SecantStep::AfterBounce::Accurate) {
      EXPECT_EQ(u.radius, 2.0);  // back to initial_radius
    } else {
      EXPECT_EQ(u.radius, std::max(0.5 * std::abs(t - 0.01), 0.02));
    }
    // After the bounce, accurate hypergradients re-estimate the curvature over short steps
    // too (here exactly a = 1); otherwise the long step's estimate, biased by the error of the
    // hypergradient at 0.01, is kept.
    const double t2 = u.theta[0];
    u = step.update(one(t2), one(q.p(t2)), q.f(t2), after_bounce);
    if (after_bounce == SecantStep::AfterBounce::Accurate) {
      EXPECT_NEAR(u.curvature, q.a, 1e-12);
    } else {
      EXPECT_NEAR(u.curvature, (q.p(0.01) + 0.05 - q.p(-2.0)) / 2.01, 1e-12);
    }
    // Sticky, and the radius restarts only once: a later rise shrinks it as usual.
    const double t3 = u.theta[0] + 0.01;
    u = step.update(one(t3), one(q.p(t3)), q.f(t3) + 1.0, after_bounce);
    EXPECT_TRUE(u.bounced);
    EXPECT_TRUE(step.bounces(one(0.0), 0.0));
    EXPECT_LT(u.radius, 2.0);
  }
  // A rise of f over a long step is an overshoot, not a bounce.
  SecantStep step({}, -12, 12);
  step.update(one(-2.0), one(q.p(-2.0)), q.f(-2.0));
  EXPECT_FALSE(step.bounces(one(3.0), q.f(3.0)));
  EXPECT_FALSE(step.update(one(3.0), one(q.p(3.0)), q.f(3.0)).bounced);
}

TEST(SecantStep, RequiringAccuracyActsAsABounceWithoutOne) {
  const Quadratic q{.a = 1.0, .target = 0.0};
  SecantStep step({.initial_radius = 2.0, .max_radius = 4.0, .theta_tolerance = 0.02}, -12, 12);
  (void)step.update(one(-2.0), one(q.p(-2.0)), q.f(-2.0));
  SecantStep::Update u = step.update(one(-0.5), one(q.p(-0.5) + 0.3), q.f(-0.5));
  EXPECT_FALSE(step.bounces(one(-0.49), q.f(-0.49)));  // f fell: no bounce
  step.require_accuracy();
  EXPECT_TRUE(step.state().bounced);
  EXPECT_TRUE(step.bounces(one(-0.49), q.f(-0.49)));
  EXPECT_EQ(step.state().radius, 2.0);
  // Accurate hypergradients now re-estimate the curvature over every short step: from two
  // exact ones, exactly a.
  u = step.update(one(-0.49), one(q.p(-0.49)), q.f(-0.49), SecantStep::AfterBounce::Accurate);
  EXPECT_TRUE(u.bounced);
  u = step.update(one(-0.48), one(q.p(-0.48)), q.f(-0.48), SecantStep::AfterBounce::Accurate);
  EXPECT_NEAR(u.curvature, q.a, 1e-12);
  // Once bounced, it changes nothing: a later call keeps the radius.
  (void)step.update(one(-0.45), one(q.p(-0.45)), q.f(-0.45) + 1.0,
                    SecantStep::AfterBounce::Accurate);
  const double radius = step.state().radius;
  ASSERT_LT(radius, 2.0);
  step.require_accuracy();
  EXPECT_EQ(step.state().radius, radius);
}

TEST(SecantStep, RestoredStateContinuesIdentically) {
  const Quadratic q{.a = 0.7, .target = 2.5};
  SecantStep a({}, -12, 12);
  double t = -1.0;
  SecantStep::Update u = a.update(one(t), one(q.p(t)), q.f(t));
  t = u.theta[0];
  SecantStep b({}, -12, 12);
  b.restore(a.state());
  const SecantStep::Update ua = a.update(one(t), one(q.p(t)), q.f(t));
  const SecantStep::Update ub = b.update(one(t), one(q.p(t)), q.f(t));
  EXPECT_EQ(ua.theta[0], ub.theta[0]);
  EXPECT_EQ(ua.radius, ub.radius);
  EXPECT_EQ(ua.outcome, ub.outcome);
  SecantStep::State bounced = a.state();
  bounced.bounced = true;
  b.restore(bounced);
  EXPECT_TRUE(b.state().bounced);
  SecantStep::State bad = a.state();
  bad.radius = -1.0;
  EXPECT_THROW(b.restore(bad), std::invalid_argument);
}

TEST(SecantStepOptions, ValidationNamesTheField) {
  const auto message = [](SecantStepOptions o) {
    try {
      o.validate();
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(message({.initial_radius = 5.0, .max_radius = 4.0}).find("initial_radius"),
            std::string::npos);
  EXPECT_NE(message({.max_radius = 30.0}).find("max_radius"), std::string::npos);
  EXPECT_NE(message({.theta_tolerance = 0.0}).find("theta_tolerance"), std::string::npos);
  EXPECT_NE(message({.loss_tolerance = 1.0}).find("loss_tolerance"), std::string::npos);
  EXPECT_NE(message({.loss_tolerance = -1e-3}).find("loss_tolerance"), std::string::npos);
  EXPECT_TRUE(message({.loss_tolerance = 0.0}).empty());  // off
  EXPECT_TRUE(message({}).empty());
  EXPECT_THROW(SecantStep({}, 1.0, 0.0), std::invalid_argument);
}

}  // namespace
}  // namespace shine::outer
