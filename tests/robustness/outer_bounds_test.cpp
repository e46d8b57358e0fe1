// Numerical edge cases of the outer loop: λ at both bounds, steps pushing against a bound, and
// non-finite hypergradients. θ must never become NaN nor leave [lower, upper], and a non-finite
// hypergradient must be counted and leave θ where it was.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "robustness/robustness_support.hpp"
#include "shine/inner/lbfgs_solver.hpp"
#include "shine/objective/inner_objective.hpp"
#include "shine/outer/hoag_step.hpp"
#include "shine/outer/tuner.hpp"
#include "support/logistic_bilevel.hpp"
#include "support/random_problems.hpp"

namespace shine::test {
namespace {

using outer::StepOutcome;
using outer::TuneMethod;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

Vector vec(std::initializer_list<double> values) {
  Vector v(static_cast<Index>(values.size()));
  Index i = 0;
  for (double x : values)
    v[i++] = x;
  return v;
}

// Case 7a. λ at both default bounds (θ = −12 and θ = 12): the inner solve is finite and honest,
// and a tuning run started on either bound stays within [−12, 12].
TEST(RobustnessBounds, InnerSolveAndTuneAtEachBound) {
  const auto [train, validation] = random_train_validation(60, 30, 15, 83);
  for (double theta : {-12.0, 12.0}) {
    SCOPED_TRACE("theta = " + std::to_string(theta));
    const objective::InnerObjective inner_objective(train, theta, {false, 1});
    inner::LbfgsOptions lbfgs;
    lbfgs.num_threads = 1;
    const inner::InnerResult solved = inner::minimize(inner_objective, Vector::Zero(15), lbfgs);
    expect_honest_inner(solved, {Termination::Converged, Termination::MaxIterations},
                        lbfgs.max_iterations);
    outer::TuneOptions base = quick_options(TuneMethod::Hoag, 4);
    base.initial_theta = theta;
    tune_every_method(train, validation, base, /*with_grid=*/false);
  }
}

// Case 7b. Steps pushing against each bound, with narrow bounds [−2, 2] and the double step rule
// so that the bound is reached: a validation set whose labels are the training labels flipped
// rewards ever stronger regularization (θ pushed to the upper bound); the training set itself as
// validation rewards ever weaker regularization (θ pushed to the lower bound). Every record's θ
// stays within the bounds and the bound is reached exactly (θ is clipped, not overshot).
TEST(RobustnessBounds, OuterLoopPushingAgainstEachBoundStaysInside) {
  const data::Dataset train = random_dataset(60, 12, 0.4, 89, 0.05);
  data::Dataset flipped = train;
  flipped.y = -train.y;
  flipped.name = "flipped";
  struct Push {
    const data::Dataset* validation;
    double bound;
  };
  for (const Push& push : {Push{&flipped, 2.0}, Push{&train, -2.0}}) {
    for (TuneMethod method : kHypergradientMethods) {
      SCOPED_TRACE(std::string(outer::to_string(method)) + " towards " +
                   std::to_string(push.bound));
      outer::TuneProblem problem;
      problem.train = &train;
      problem.validation = push.validation;
      outer::TuneOptions options = quick_options(method, 8);
      options.step.lower_bound = -2.0;
      options.step.upper_bound = 2.0;
      options.step.rule = outer::StepRule::Double;
      const outer::TuneResult result = outer::tune(problem, options);
      expect_sound_tune(result, options);
      bool reached = false;
      for (const outer::OuterRecord& record : result.records)
        reached = reached || record.theta[0] == push.bound;
      EXPECT_TRUE(reached);
    }
  }
}

// Case 7c. The adaptive step itself at the bounds: a step pushing outward from a bound leaves θ
// exactly on it, a step from inside is clipped to the bound, and a θ given outside the bounds is
// clipped back even when the step is not taken.
TEST(RobustnessBounds, HoagStepClipsAtBothBounds) {
  const outer::HoagStepOptions bounds{.lower_bound = -3.0, .upper_bound = 3.0};
  outer::HoagStep up(bounds);
  // The first step moves each θ_j by one unit (L = ‖p‖/√k): 2.5 + 1 is clipped to 3.
  auto update = up.update(vec({3.0, 2.5}), vec({-50.0, -50.0}), 1.0, 1e-3, 1e-3);
  EXPECT_EQ(update.theta, vec({3.0, 3.0}).eval());
  update = up.update(update.theta, vec({-1e300, -1e300}), 0.5, 1e-3, 1e-3);
  EXPECT_EQ(update.theta, vec({3.0, 3.0}).eval());
  outer::HoagStep down(bounds);
  update = down.update(vec({-3.0, -2.9}), vec({1e3, 1e3}), 1.0, 1e-3, 1e-3);
  EXPECT_EQ(update.theta, vec({-3.0, -3.0}).eval());
  outer::HoagStep outside(bounds);
  update = outside.update(vec({7.0, -9.0}), vec({kNaN, 1.0}), 1.0, 1e-3, 1e-3);
  EXPECT_EQ(update.outcome, StepOutcome::NonFinite);
  EXPECT_EQ(update.theta, vec({3.0, -3.0}).eval());
}

// Case 11a. HoagStep::update with a NaN or infinite hypergradient, or a NaN loss: θ is kept
// (outcome NonFinite, no step taken), the state (L, previous loss) is untouched, and the next
// finite update behaves as if the bad one never happened.
TEST(RobustnessNonFinite, HoagStepNeverMovesOnNonFiniteInput) {
  outer::HoagStep reference;
  const auto expected = reference.update(vec({0.5}), vec({2.0}), 10.0, 1e-3, 9e-4);

  outer::HoagStep step;
  const Vector theta = vec({0.5});
  struct Bad {
    Vector p;
    double loss;
  };
  for (const Bad& bad : {Bad{vec({kNaN}), 10.0}, Bad{vec({kInf}), 10.0}, Bad{vec({-kInf}), 10.0},
                         Bad{vec({1.0}), kNaN}, Bad{vec({1.0}), kInf}}) {
    const auto update = step.update(theta, bad.p, bad.loss, 1e-3, 9e-4);
    EXPECT_EQ(update.outcome, StepOutcome::NonFinite);
    EXPECT_EQ(update.theta, theta);
    EXPECT_EQ(update.step_size, 0.0);
    EXPECT_EQ(update.increment, 0.0);
    EXPECT_FALSE(update.halve_tolerance);
    EXPECT_FALSE(step.lipschitz().has_value());
    EXPECT_EQ(step.previous_loss(), kInf);
  }
  const auto after = step.update(theta, vec({2.0}), 10.0, 1e-3, 9e-4);
  EXPECT_EQ(after.outcome, expected.outcome);
  EXPECT_EQ(after.theta, expected.theta);
  EXPECT_EQ(after.lipschitz, expected.lipschitz);
}

// Case 11b. A NaN hypergradient inside the outer loop, from legitimate (finite) data: validation
// samples with a value of 1.5e308 in a feature that no training sample uses. Its weight is exactly
// 0, so the validation loss is finite, but ∇f overflows to −∞ there and the hypergradient
// −λ Σ w_j q_j gets 0·∞ = NaN. Every method must report NumericalError, the loop must count each
// non-finite hypergradient, never move θ, and still return the (finite) best evaluation.
TEST(RobustnessNonFinite, OverflowingOuterGradientNeverMovesTheta) {
  const data::Dataset base_data = random_dataset(40, 6, 0.5, 97, 0.1);
  std::vector<Row> rows;
  std::vector<double> labels;
  for (Index i = 0; i < base_data.rows(); ++i) {
    Row row;
    for (SparseMatrix::InnerIterator it(base_data.X, i); it; ++it)
      row.push_back({it.col(), it.value()});
    if (i >= 30 && i < 35) row.push_back({6, 1.5e308});
    rows.push_back(row);
    labels.push_back(i >= 30 && i < 35 ? 1.0 : base_data.y[i]);
  }
  const data::Dataset all = dataset_from_rows(7, rows, labels, "overflow");
  const data::Dataset train = row_range(all, 0, 30, "train");
  const data::Dataset validation = row_range(all, 30, 40, "validation");

  outer::TuneOptions base = quick_options(TuneMethod::Hoag, 4);
  base.initial_theta = -1.0;
  for (const outer::TuneResult& result :
       tune_every_method(train, validation, base, /*with_grid=*/false)) {
    SCOPED_TRACE(result.message);
    EXPECT_EQ(result.non_finite_hypergradients, static_cast<int>(result.records.size()));
    for (const outer::OuterRecord& record : result.records) {
      EXPECT_EQ(record.theta[0], -1.0);
      EXPECT_EQ(record.step, StepOutcome::NonFinite);
      EXPECT_FALSE(record.hypergradient.allFinite());
      EXPECT_EQ(record.hypergradient_summary.termination, Termination::NumericalError);
      EXPECT_TRUE(std::isfinite(record.validation_loss));
    }
    EXPECT_EQ(result.w[6], 0.0);
    EXPECT_EQ(result.theta[0], -1.0);
  }
}

}  // namespace
}  // namespace shine::test
