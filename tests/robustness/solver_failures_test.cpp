// Numerical edge cases coming from the solvers: an inner solve at its iteration cap, a line
// search that cannot succeed, a conjugate gradient that does not converge. Each must end with a
// finite result and a termination (and message) that says what happened, and the outer loop
// must carry on.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "robustness/robustness_support.hpp"
#include "shine/hypergrad/hypergradient.hpp"
#include "shine/inner/lbfgs_solver.hpp"
#include "shine/inner/line_search.hpp"
#include "shine/inner/smooth_objective.hpp"
#include "shine/objective/inner_objective.hpp"
#include "shine/objective/outer_objective.hpp"
#include "shine/outer/tuner.hpp"
#include "support/logistic_bilevel.hpp"
#include "support/random_problems.hpp"

namespace shine::test {
namespace {

using outer::TuneMethod;

// Case 8. An inner solve that hits its iteration cap (max_iterations 2, and 0 which only
// evaluates w₀): the summary says MaxIterations with the cap in its message, the iterate is
// finite (w₀ itself for a cap of 0), and the gradient is not claimed to meet the tolerance.
TEST(RobustnessIterationCap, InnerSolveReportsTheCap) {
  const data::Dataset train = random_dataset(60, 15, 0.3, 61, 0.2);
  const objective::InnerObjective inner_objective(train, -6.0, {false, 1});
  for (int cap : {0, 1, 2}) {
    SCOPED_TRACE("max_iterations = " + std::to_string(cap));
    inner::LbfgsOptions lbfgs;
    lbfgs.num_threads = 1;
    lbfgs.max_iterations = cap;
    lbfgs.tolerance = 1e-12;
    const Vector w0 = random_vector(15, 62, 0.1);
    const inner::InnerResult solved = inner::minimize(inner_objective, w0, lbfgs);
    expect_honest_inner(solved, {Termination::MaxIterations}, cap);
    EXPECT_NE(solved.summary.message.find("max_iterations = " + std::to_string(cap)),
              std::string::npos);
    if (cap == 0) {
      EXPECT_EQ(solved.w, w0);
    } else {
      EXPECT_LT(solved.value, solved.summary.initial_value);
    }
  }
}

// Case 8 (outer loop). Every inner solve capped at one iteration: the records say so, the loop
// still runs its whole budget with finite hypergradients, and θ stays in its bounds.
TEST(RobustnessIterationCap, OuterLoopContinuesAfterCappedSolves) {
  const auto [train, validation] = random_train_validation(60, 30, 15, 67);
  outer::TuneOptions base = quick_options(TuneMethod::Hoag, 6);
  base.lbfgs.max_iterations = 1;
  for (const outer::TuneResult& result : tune_every_method(train, validation, base)) {
    int capped = 0;
    for (const outer::OuterRecord& record : result.records) {
      EXPECT_LE(record.inner.iterations, 1);
      EXPECT_TRUE(record.inner.termination == Termination::MaxIterations ||
                  record.inner.termination == Termination::Converged)
          << record.inner.message;
      if (record.inner.termination == Termination::MaxIterations) {
        ++capped;
        EXPECT_NE(record.inner.message.find("max_iterations = 1"), std::string::npos);
      }
      if (record.hypergradient.size() > 0) {
        EXPECT_TRUE(record.hypergradient.allFinite());
      }
    }
    EXPECT_GT(capped, 0);
  }
}

// Case 9. A line search that cannot succeed because the gradient is inconsistent with the value.
// (a) The search itself: φ increases but its reported slope says it decreases — Failed, with the
// origin as its point and the evaluation budget respected.
TEST(RobustnessLineSearch, InconsistentSlopeFailsWithinBudget) {
  const auto phi = [](double alpha) { return inner::LinePoint{alpha, 1.0 + alpha, -1.0}; };
  inner::LineSearchOptions options;
  options.max_evaluations = 7;
  const inner::LineSearchResult result =
      inner::strong_wolfe_search(phi, inner::LinePoint{0.0, 1.0, -1.0}, 1.0, options);
  EXPECT_EQ(result.outcome, inner::LineSearchOutcome::Failed);
  EXPECT_FALSE(result.usable());
  EXPECT_EQ(result.point.step, 0.0);
  EXPECT_EQ(result.point.value, 1.0);
  EXPECT_LE(result.evaluations, options.max_evaluations);
  EXPECT_EQ(inner::to_string(result.outcome), "failed");
}

// (b) A SmoothObjective whose gradient is right far from its minimizer c and lies (points away
// from c) within distance 1 of it: the solver makes progress, then can find no step with
// sufficient decrease; it must stop with LineSearchFailed at the last accepted (finite) iterate,
// whose value is below the starting one.
TEST(RobustnessLineSearch, LyingGradientStopsAtTheLastGoodIterate) {
  const Vector c = Vector::Constant(4, 3.0);
  inner::CallableObjective lying(4, [c](const Vector& w, Vector& g) {
    const Vector r = w - c;
    g = r.norm() > 1.0 ? Vector(r) : Vector(-r - Vector::Constant(4, 0.5));
    return 0.5 * r.squaredNorm();
  });
  inner::LbfgsOptions lbfgs;
  lbfgs.num_threads = 1;
  lbfgs.tolerance = 1e-10;
  const Vector w0 = Vector::Zero(4);
  const inner::InnerResult solved = inner::minimize(lying, w0, lbfgs);
  expect_honest_inner(solved, {Termination::LineSearchFailed}, lbfgs.max_iterations);
  EXPECT_LT(solved.value, solved.summary.initial_value);
  EXPECT_NE(solved.w, w0);
  EXPECT_DOUBLE_EQ(solved.value, 0.5 * (solved.w - c).squaredNorm());
  EXPECT_GT(solved.summary.line_search_evaluations, 0);
}

// (c) A value that jumps up (a wall) in front of the minimizer while the gradient keeps pointing
// through it, and NaN beyond: the solver creeps up to the wall and stops there with an honest
// status; w is finite and outside the wall.
TEST(RobustnessLineSearch, WallInFrontOfTheMinimizerGivesAnHonestStop) {
  const Vector c = Vector::Constant(3, 5.0);
  inner::CallableObjective walled(3, [c](const Vector& w, Vector& g) {
    const Vector r = w - c;
    g = r;
    const double distance = r.norm();
    if (distance < 0.5) return std::numeric_limits<double>::quiet_NaN();
    return 0.5 * r.squaredNorm() + (distance < 2.0 ? 100.0 : 0.0);
  });
  inner::LbfgsOptions lbfgs;
  lbfgs.num_threads = 1;
  lbfgs.tolerance = 1e-10;
  lbfgs.max_iterations = 200;
  const inner::InnerResult solved = inner::minimize(walled, Vector::Zero(3), lbfgs);
  expect_honest_inner(solved, {Termination::LineSearchFailed, Termination::MaxIterations},
                      lbfgs.max_iterations);
  EXPECT_GE((solved.w - c).norm(), 2.0);
  EXPECT_LT(solved.value, solved.summary.initial_value);
}

// Case 10. A conjugate gradient that does not converge, for hoag: with a budget of one
// iteration, and on an ill-conditioned system (columns scaled by 1e4 and 1e-4 at λ = e^−12) with
// a budget of five. The hypergradient is the last CG iterate's, finite; the summary says
// MaxIterations with "CG" in its message; the guard does not replace q (it only acts on a
// breakdown for hoag).
TEST(RobustnessConjugateGradient, UnconvergedCgGivesAFiniteHonestHypergradient) {
  const auto [train, validation] = random_train_validation(60, 30, 20, 71);
  std::vector<Row> rows;
  std::vector<double> labels;
  for (Index i = 0; i < train.rows(); ++i) {
    Row row;
    for (SparseMatrix::InnerIterator it(train.X, i); it; ++it)
      row.push_back({it.col(), it.value() * (it.col() % 2 == 0 ? 1e4 : 1e-4)});
    rows.push_back(row);
    labels.push_back(train.y[i]);
  }
  const data::Dataset ill = dataset_from_rows(20, rows, labels, "ill-conditioned");

  struct Setting {
    const data::Dataset* data;
    double theta;
    int budget;
  };
  for (const Setting& setting : {Setting{&train, 0.0, 1}, Setting{&ill, -12.0, 5}}) {
    SCOPED_TRACE(setting.data->name);
    const objective::InnerObjective inner_objective(*setting.data, setting.theta, {false, 1});
    const objective::OuterObjective outer_objective(validation, {false, 1});
    inner::LbfgsOptions lbfgs;
    lbfgs.num_threads = 1;
    inner::LogisticObjective adapter(inner_objective);
    const inner::InnerResult solved = inner::minimize(adapter, Vector::Zero(20), lbfgs);
    Vector grad_f;
    outer_objective.value_and_gradient(solved.w, grad_f);
    for (bool fallback : {false, true}) {
      hypergrad::HypergradOptions options;
      options.method = hypergrad::Method::Hoag;
      options.max_cg_iterations = setting.budget;
      options.fallback = fallback;
      const auto strategy = hypergrad::make_strategy(options);
      const hypergrad::HypergradResult result = strategy->compute(hypergrad::logistic_context(
          inner_objective, adapter.state(), grad_f, solved.memory, 1e-10));
      const hypergrad::HypergradSummary& summary = result.summary;
      SCOPED_TRACE(summary.brief() + " | " + summary.message);
      EXPECT_EQ(summary.termination, Termination::MaxIterations);
      EXPECT_EQ(summary.cg_iterations, setting.budget);
      EXPECT_EQ(summary.cg_budget, setting.budget);
      EXPECT_NE(summary.message.find("CG"), std::string::npos);
      EXPECT_GT(summary.relative_residual, 1e-10);
      EXPECT_FALSE(summary.fallback_fired);
      EXPECT_TRUE(result.q.allFinite());
      EXPECT_TRUE(result.hypergradient.allFinite());
      EXPECT_NE(result.q, grad_f);  // the CG iterate, not the fallback
    }
  }
}

// Case 10 (guard). shine-refine with the fallback guard set to fire on any q (ratio 1e-9): the
// SHINE start is replaced by ∇f and reported, CG refines it within its budget, and the result is
// finite and not a NumericalError.
TEST(RobustnessConjugateGradient, FallbackGuardIsReportedAndFinite) {
  const auto [train, validation] = random_train_validation(60, 30, 20, 73);
  const objective::InnerObjective inner_objective(train, -4.0, {false, 1});
  const objective::OuterObjective outer_objective(validation, {false, 1});
  inner::LbfgsOptions lbfgs;
  lbfgs.num_threads = 1;
  inner::LogisticObjective adapter(inner_objective);
  const inner::InnerResult solved = inner::minimize(adapter, Vector::Zero(20), lbfgs);
  Vector grad_f;
  outer_objective.value_and_gradient(solved.w, grad_f);
  for (hypergrad::Method method : {hypergrad::Method::Shine, hypergrad::Method::ShineRefine}) {
    SCOPED_TRACE(std::string(hypergrad::to_string(method)));
    hypergrad::HypergradOptions options;
    options.method = method;
    options.max_cg_iterations = 1;
    options.fallback = true;
    options.fallback_ratio = 1e-9;
    const auto strategy = hypergrad::make_strategy(options);
    const hypergrad::HypergradResult result = strategy->compute(
        hypergrad::logistic_context(inner_objective, adapter.state(), grad_f, solved.memory, 1e-6));
    const hypergrad::HypergradSummary& summary = result.summary;
    SCOPED_TRACE(summary.brief());
    EXPECT_TRUE(summary.fallback_fired);
    EXPECT_NE(summary.fallback_reason.find("|q|"), std::string::npos) << summary.fallback_reason;
    EXPECT_NE(summary.termination, Termination::NumericalError);
    EXPECT_TRUE(result.hypergradient.allFinite());
    if (method == hypergrad::Method::Shine) {
      EXPECT_EQ(result.q, grad_f);
    } else {
      EXPECT_LE(summary.cg_iterations, 1);
    }
  }
}

// Case 10 (outer loop). hoag with one CG iteration per hypergradient: every record says its CG
// did not converge (or converged in one step), the hypergradients are finite, the loop runs its
// budget and θ stays in bounds.
TEST(RobustnessConjugateGradient, OuterLoopWithOneCgIteration) {
  const auto [train, validation] = random_train_validation(60, 30, 20, 79);
  outer::TuneProblem problem;
  problem.train = &train;
  problem.validation = &validation;
  outer::TuneOptions options = quick_options(TuneMethod::Hoag, 6);
  options.hypergrad.max_cg_iterations = 1;
  const outer::TuneResult result = outer::tune(problem, options);
  expect_sound_tune(result, options);
  int unconverged = 0;
  for (const outer::OuterRecord& record : result.records) {
    const hypergrad::HypergradSummary& summary = record.hypergradient_summary;
    EXPECT_LE(summary.cg_iterations, 1);
    EXPECT_TRUE(record.hypergradient.allFinite());
    EXPECT_NE(summary.termination, Termination::NumericalError) << summary.message;
    if (summary.termination == Termination::MaxIterations) ++unconverged;
  }
  EXPECT_GT(unconverged, 0);
  EXPECT_EQ(result.non_finite_hypergradients, 0);
}

}  // namespace
}  // namespace shine::test
