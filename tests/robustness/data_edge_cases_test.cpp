// Numerical edge cases coming from the data: separable sets at tiny λ, identical and empty rows,
// features never seen in training, one-sample classes, huge and tiny feature values. Each case
// checks the inner solver, the hypergradients and the outer loop: finite results, an honest
// termination, and θ finite and within its bounds.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "robustness/robustness_support.hpp"
#include "shine/estimator.hpp"
#include "shine/hypergrad/hypergradient.hpp"
#include "shine/inner/lbfgs_solver.hpp"
#include "shine/objective/heldout_metrics.hpp"
#include "shine/objective/inner_objective.hpp"
#include "shine/objective/logistic_loss.hpp"
#include "shine/objective/outer_objective.hpp"
#include "shine/outer/tuner.hpp"
#include "support/random_problems.hpp"

namespace shine::test {
namespace {

using outer::TuneMethod;

constexpr std::initializer_list<Termination> kConvergedOrCap = {Termination::Converged,
                                                                Termination::MaxIterations};

// Every hypergradient method at the inner solution of `inner_objective` (solved from 0 with
// `lbfgs`), against the outer loss on `validation`: the hypergradient must be finite and its
// summary must say how it was obtained.
void expect_finite_hypergradients(const objective::InnerObjective& inner_objective,
                                  const data::Dataset& validation,
                                  const inner::LbfgsOptions& lbfgs) {
  const objective::OuterObjective outer_objective(validation, {false, 1});
  for (hypergrad::Method method :
       {hypergrad::Method::Hoag, hypergrad::Method::Shine, hypergrad::Method::ShineOpa,
        hypergrad::Method::ShineRefine, hypergrad::Method::JacobianFree}) {
    SCOPED_TRACE(std::string(hypergrad::to_string(method)));
    hypergrad::HypergradOptions options;
    options.method = method;
    const auto strategy = hypergrad::make_strategy(options);
    hypergrad::InnerSolveContext solve;
    solve.outer_gradient = [&](const Vector& w, Vector& g) {
      outer_objective.value_and_gradient(w, g);
    };
    inner::LogisticObjective adapter(inner_objective);
    const inner::InnerResult solved = inner::minimize(adapter, Vector::Zero(inner_objective.dim()),
                                                      lbfgs, {}, strategy->inner_hook(solve));
    EXPECT_TRUE(solved.w.allFinite());
    Vector grad_f;
    const double f = outer_objective.value_and_gradient(solved.w, grad_f);
    EXPECT_TRUE(std::isfinite(f));
    ASSERT_TRUE(grad_f.allFinite());
    const hypergrad::HypergradResult result = strategy->compute(
        hypergrad::logistic_context(inner_objective, adapter.state(), grad_f, solved.memory, 1e-3));
    SCOPED_TRACE(result.summary.brief() + " | " + result.summary.message);
    EXPECT_TRUE(result.hypergradient.allFinite());
    EXPECT_TRUE(result.q.allFinite());
    // A replaced q is always reported with its reason.
    if (result.summary.fallback_fired) {
      EXPECT_FALSE(result.summary.fallback_reason.empty());
    }
    if (result.summary.termination == Termination::NumericalError) {
      EXPECT_TRUE(result.summary.fallback_fired);
    }
  }
}

// Case 1. Linearly separable data at λ = e^−12, the lower bound: the unregularized problem has
// no minimizer, so w grows until the tiny penalty stops it. The inner solve must end with a
// finite w and an honest status (converged or at its iteration cap), and tuning with θ starting
// on the bound −12 must give a finite result within the bounds.
TEST(RobustnessSeparable, TinyLambdaInnerSolveIsFiniteAndHonest) {
  const data::Dataset all = separable_dataset(90, 12, 0.4, 31);
  const data::Dataset train = row_range(all, 0, 60, "train");
  const data::Dataset validation = row_range(all, 60, 90, "validation");
  const objective::InnerObjective inner_objective(train, -12.0, {false, 1});

  inner::LbfgsOptions lbfgs;
  lbfgs.num_threads = 1;
  lbfgs.max_iterations = 1000;
  const inner::InnerResult solved = inner::minimize(inner_objective, Vector::Zero(12), lbfgs);
  expect_honest_inner(solved, kConvergedOrCap, lbfgs.max_iterations);
  // Nearly unregularized on separable data: every training sample is classified correctly.
  const objective::HeldOutMetrics fit = objective::evaluate_heldout(train, solved.w, false, 1);
  EXPECT_DOUBLE_EQ(fit.accuracy, 1.0);
  EXPECT_TRUE(std::isfinite(fit.loss_sum));

  // The same through the façade.
  FitOptions fit_options;
  fit_options.objective.num_threads = 1;
  const Fitted fitted = shine::fit(train, std::exp(-12.0), fit_options);
  EXPECT_TRUE(fitted.summary.termination == Termination::Converged ||
              fitted.summary.termination == Termination::MaxIterations)
      << fitted.summary.message;
  EXPECT_TRUE(std::isfinite(fitted.summary.final_value));

  expect_finite_hypergradients(inner_objective, validation, lbfgs);
}

TEST(RobustnessSeparable, TuneFromTheLowerBoundStaysFinite) {
  const data::Dataset all = separable_dataset(90, 12, 0.4, 31);
  const data::Dataset train = row_range(all, 0, 60, "train");
  const data::Dataset validation = row_range(all, 60, 90, "validation");
  outer::TuneOptions base = quick_options(TuneMethod::Hoag, 4);
  base.initial_theta = -12.0;
  base.step.lower_bound = -12.0;
  tune_every_method(train, validation, base);
}

// Case 2a. Every sample is the same x with mixed labels (7 positive, 13 negative): the data say
// only P(y = 1 | x) = 7/20, which a nearly unregularized fit must reproduce; nothing diverges.
TEST(RobustnessIdenticalRows, MixedLabelsFitTheEmpiricalRate) {
  const Row x = {{0, 1.0}, {1, -2.0}, {3, 0.5}};
  std::vector<Row> rows(20, x);
  std::vector<double> labels(20, -1.0);
  for (int i = 0; i < 7; ++i)
    labels[static_cast<std::size_t>(i)] = 1.0;
  const data::Dataset train = dataset_from_rows(4, rows, labels, "identical-mixed");

  const objective::InnerObjective inner_objective(train, -12.0, {false, 1});
  inner::LbfgsOptions lbfgs;
  lbfgs.num_threads = 1;
  lbfgs.tolerance = 1e-10;
  const inner::InnerResult solved = inner::minimize(inner_objective, Vector::Zero(4), lbfgs);
  expect_honest_inner(solved, {Termination::Converged}, lbfgs.max_iterations);
  const double score = 1.0 * solved.w[0] - 2.0 * solved.w[1] + 0.5 * solved.w[3];
  EXPECT_NEAR(objective::sigmoid(score), 7.0 / 20.0, 1e-4);
  EXPECT_EQ(solved.w[2], 0.0);  // a column no sample uses

  expect_finite_hypergradients(inner_objective, train, lbfgs);
  tune_every_method(train, train, quick_options(TuneMethod::Hoag));
}

// Case 2b. Every sample is the same x with the same label: separable along x, so at λ = e^−12 the
// margin grows to about log(n/λ); the solve must stay finite and honest, and tuning (with a
// validation set of the same rows with both labels) must too.
TEST(RobustnessIdenticalRows, IdenticalLabelsStayFinite) {
  const Row x = {{0, 3.0}, {2, -1.0}};
  const data::Dataset train =
      dataset_from_rows(3, std::vector<Row>(15, x), std::vector<double>(15, 1.0), "identical");
  const data::Dataset validation =
      dataset_from_rows(3, std::vector<Row>(6, x), {1.0, 1.0, 1.0, 1.0, -1.0, 1.0}, "val");
  const objective::InnerObjective inner_objective(train, -12.0, {false, 1});
  inner::LbfgsOptions lbfgs;
  lbfgs.num_threads = 1;
  const inner::InnerResult solved = inner::minimize(inner_objective, Vector::Zero(3), lbfgs);
  expect_honest_inner(solved, kConvergedOrCap, lbfgs.max_iterations);
  const double margin = 3.0 * solved.w[0] - 1.0 * solved.w[2];
  EXPECT_GT(margin, 0.0);
  EXPECT_LT(margin, 40.0);  // log(n/λ) ≈ 14.7; the stationarity equation bounds it
  EXPECT_EQ(solved.w[1], 0.0);

  expect_finite_hypergradients(inner_objective, validation, lbfgs);
  outer::TuneOptions base = quick_options(TuneMethod::Hoag);
  base.initial_theta = -6.0;
  tune_every_method(train, validation, base);
}

// Case 3. Samples with no non-zero: each contributes log 2 to the loss and nothing to the
// gradient. A mix of empty and normal rows tunes normally; a training set made only of empty rows
// has ∇h(0) = 0, so the solve converges at once with w = 0, every hypergradient is 0 and θ never
// moves.
TEST(RobustnessEmptyRows, SomeEmptyRowsAreHarmless) {
  const data::Dataset base_data = random_dataset(80, 10, 0.3, 41, 0.15);
  std::vector<Row> rows;
  std::vector<double> labels;
  for (Index i = 0; i < base_data.rows(); ++i) {
    Row row;
    if (i % 3 != 2) {
      for (SparseMatrix::InnerIterator it(base_data.X, i); it; ++it)
        row.push_back({it.col(), it.value()});
    }
    rows.push_back(row);
    labels.push_back(base_data.y[i]);
  }
  const data::Dataset all = dataset_from_rows(10, rows, labels, "some-empty");
  const data::Dataset train = row_range(all, 0, 50, "train");
  const data::Dataset validation = row_range(all, 50, 80, "validation");

  const objective::InnerObjective inner_objective(train, 0.0, {false, 1});
  const objective::LogisticState at_zero = inner_objective.evaluate(Vector::Zero(10));
  EXPECT_NEAR(at_zero.loss, 50.0 * std::log(2.0), 1e-12);
  inner::LbfgsOptions lbfgs;
  lbfgs.num_threads = 1;
  const inner::InnerResult solved = inner::minimize(inner_objective, Vector::Zero(10), lbfgs);
  expect_honest_inner(solved, {Termination::Converged}, lbfgs.max_iterations);
  expect_finite_hypergradients(inner_objective, validation, lbfgs);
  tune_every_method(train, validation, quick_options(TuneMethod::Hoag));
}

TEST(RobustnessEmptyRows, AllEmptyTrainingRowsKeepThetaAndWeightsAtZero) {
  const data::Dataset train =
      dataset_from_rows(5, std::vector<Row>(12), {1, -1, 1, 1, -1, -1, 1, 1, -1, 1, -1, 1}, "e");
  const data::Dataset validation = dataset_from_rows(
      5, {{{0, 1.0}}, {{1, -1.0}, {4, 2.0}}, {{2, 0.5}}, {}}, {1, -1, -1, 1}, "validation");
  const objective::InnerObjective inner_objective(train, -3.0, {false, 1});
  inner::LbfgsOptions lbfgs;
  lbfgs.num_threads = 1;
  const inner::InnerResult solved = inner::minimize(inner_objective, Vector::Zero(5), lbfgs);
  expect_honest_inner(solved, {Termination::Converged}, lbfgs.max_iterations);
  EXPECT_EQ(solved.summary.iterations, 0);
  EXPECT_TRUE(solved.w.isZero(0.0));
  EXPECT_NEAR(solved.value, 12.0 * std::log(2.0), 1e-12);
  expect_finite_hypergradients(inner_objective, validation, lbfgs);

  outer::TuneOptions base = quick_options(TuneMethod::Hoag, 3);
  base.initial_theta = 1.5;
  const auto results = tune_every_method(train, validation, base);
  for (const outer::TuneResult& result : results) {
    EXPECT_TRUE(result.w.isZero(0.0));
    for (const outer::OuterRecord& record : result.records) {
      if (record.hypergradient.size() == 0) continue;  // grid search: θ follows its grid
      EXPECT_EQ(record.theta[0], 1.5);
      EXPECT_EQ(record.hypergradient.norm(), 0.0);
      // A zero hypergradient is a stationary point: the secant rule (the default) converges at
      // once, HOAG's rules report it and keep θ.
      EXPECT_EQ(record.step, base.step.rule == outer::StepRule::Secant
                                 ? outer::StepOutcome::Converged
                                 : outer::StepOutcome::ZeroGradient);
    }
  }
}

// Case 4. Features that are never non-zero in training (some of them non-zero in validation):
// ∇h and every solver direction are 0 there, so their weights stay exactly 0 from w₀ = 0, and
// their contributions w_j q_j to the hypergradient are exactly 0 (finite even when q_j is not
// small). With one λ per group, a group made only of such features gets a zero hypergradient and
// its θ never moves. The one exception is shine-opa: its outer-aware secant pairs follow ∇f,
// which is non-zero on the features the validation set uses, so the next directions touch them;
// there the weight is only as small as the inner tolerance makes it (∂h/∂w_j = λ w_j for such a
// feature, so |λ w_j| ≤ ‖∇h‖ at the returned w), and the hypergradient of the group is finite.
TEST(RobustnessEmptyColumns, UnseenFeaturesKeepZeroWeightAndFiniteHypergradient) {
  const data::Dataset base_data = random_dataset(70, 5, 0.5, 43, 0.15);
  std::vector<Row> rows;
  std::vector<double> labels;
  for (Index i = 0; i < base_data.rows(); ++i) {
    Row row;
    for (SparseMatrix::InnerIterator it(base_data.X, i); it; ++it)
      row.push_back({it.col(), it.value()});
    // Validation rows (from 45 on) also use columns 5 and 6, which no training row uses; column
    // 7 is used by no row at all.
    if (i >= 45) {
      row.push_back({5, 2.0 * base_data.y[i]});
      if (i % 2 == 0) row.push_back({6, -30.0});
    }
    rows.push_back(row);
    labels.push_back(base_data.y[i]);
  }
  const data::Dataset all = dataset_from_rows(8, rows, labels, "empty-columns");
  const data::Dataset train = row_range(all, 0, 45, "train");
  const data::Dataset validation = row_range(all, 45, 70, "validation");

  for (bool diagonal : {false, true}) {
    SCOPED_TRACE(diagonal ? "diagonal scaling" : "scaled identity");
    const objective::InnerObjective inner_objective(train, -8.0, {false, 1});
    inner::LbfgsOptions lbfgs;
    lbfgs.num_threads = 1;
    lbfgs.diagonal_scaling = diagonal;
    const inner::InnerResult solved = inner::minimize(inner_objective, Vector::Zero(8), lbfgs);
    expect_honest_inner(solved, {Termination::Converged}, lbfgs.max_iterations);
    EXPECT_EQ(solved.w[5], 0.0);
    EXPECT_EQ(solved.w[6], 0.0);
    EXPECT_EQ(solved.w[7], 0.0);
    expect_finite_hypergradients(inner_objective, validation, lbfgs);
  }

  outer::TuneOptions base = quick_options(TuneMethod::Hoag);
  const auto results = tune_every_method(train, validation, base);
  for (std::size_t m = 0; m < results.size(); ++m) {
    const outer::TuneResult& result = results[m];
    const bool opa =
        m < std::size(kHypergradientMethods) && kHypergradientMethods[m] == TuneMethod::ShineOpa;
    SCOPED_TRACE(opa ? "shine-opa" : "method " + std::to_string(m));
    EXPECT_EQ(result.w[7], 0.0);  // no sample of either set uses it
    const outer::OuterRecord& best =
        result.records[static_cast<std::size_t>(result.best_iteration)];
    for (Index j : {Index{5}, Index{6}}) {
      if (opa) {
        EXPECT_LE(best.lambda[0] * std::abs(result.w[j]), best.inner.final_gradient_norm);
      } else {
        EXPECT_EQ(result.w[j], 0.0);
      }
    }
  }

  // One λ for the seen features (group 0), one for the unseen ones (group 1).
  outer::TuneProblem problem;
  problem.train = &train;
  problem.validation = &validation;
  problem.group_of = {0, 0, 0, 0, 0, 1, 1, 1};
  problem.groups = 2;
  for (TuneMethod method : kHypergradientMethods) {
    SCOPED_TRACE(std::string(outer::to_string(method)));
    outer::TuneOptions options = quick_options(method);
    options.initial_theta = -2.0;
    const outer::TuneResult result = outer::tune(problem, options);
    expect_sound_tune(result, options);
    for (const outer::OuterRecord& record : result.records) {
      ASSERT_EQ(record.hypergradient.size(), 2);
      EXPECT_TRUE(record.hypergradient.allFinite());
      if (method == TuneMethod::ShineOpa) continue;
      EXPECT_EQ(record.hypergradient[1], 0.0);
      EXPECT_EQ(record.theta[1], -2.0);
    }
  }
}

// Case 5. One-sample classes: a training set with a single positive sample, a training set of
// one sample, and validation sets holding a single class (the loss then rewards pushing every
// score one way). Nothing diverges; labels of a one-class set given through from_eigen map to
// ±1 as documented.
TEST(RobustnessOneSampleClasses, SinglePositiveAndSingleClassValidation) {
  const data::Dataset base_data = random_dataset(60, 8, 0.4, 47, 0.1);
  std::vector<Row> rows;
  std::vector<double> labels;
  for (Index i = 0; i < base_data.rows(); ++i) {
    Row row;
    for (SparseMatrix::InnerIterator it(base_data.X, i); it; ++it)
      row.push_back({it.col(), it.value()});
    rows.push_back(row);
    labels.push_back(i == 3 ? 1.0 : -1.0);  // one positive in the training part
  }
  const data::Dataset train =
      dataset_from_rows(8, std::vector<Row>(rows.begin(), rows.begin() + 40),
                        std::vector<double>(labels.begin(), labels.begin() + 40), "train");
  EXPECT_EQ(train.positives(), 1);
  const std::vector<Row> val_rows(rows.begin() + 40, rows.end());

  // Validation with only positives, given with an arbitrary label value (from_eigen).
  SparseMatrix val_X = dataset_from_rows(8, val_rows, std::vector<double>(20, 1.0)).X;
  const std::vector<double> sevens(20, 7.0);
  const data::Dataset only_positive = data::from_eigen(val_X, sevens, "only-positive");
  EXPECT_EQ(only_positive.positives(), 20);
  const data::Dataset only_negative =
      dataset_from_rows(8, val_rows, std::vector<double>(20, -1.0), "only-negative");

  const objective::InnerObjective inner_objective(train, -10.0, {false, 1});
  inner::LbfgsOptions lbfgs;
  lbfgs.num_threads = 1;
  const inner::InnerResult solved = inner::minimize(inner_objective, Vector::Zero(8), lbfgs);
  expect_honest_inner(solved, kConvergedOrCap, lbfgs.max_iterations);
  for (const data::Dataset* validation : {&only_positive, &only_negative}) {
    SCOPED_TRACE(validation->name);
    expect_finite_hypergradients(inner_objective, *validation, lbfgs);
    tune_every_method(train, *validation, quick_options(TuneMethod::Hoag));
  }

  // A single training sample.
  const data::Dataset one = dataset_from_rows(8, {rows[3]}, {1.0}, "one-sample");
  tune_every_method(one, only_negative, quick_options(TuneMethod::Hoag));
}

// Case 6a. The overflow-safe logistic functions at extreme arguments: no NaN, no overflow, the
// right limits, and the subnormal range handled.
TEST(RobustnessExtremeValues, LogisticFunctionsStayFinite) {
  using objective::log_sigmoid;
  using objective::logistic_terms;
  using objective::sigmoid;
  using objective::softplus;
  const double huge = 1e300;
  EXPECT_EQ(softplus(huge), huge);
  EXPECT_EQ(softplus(-huge), 0.0);
  EXPECT_EQ(sigmoid(huge), 1.0);
  EXPECT_EQ(sigmoid(-huge), 0.0);
  EXPECT_EQ(log_sigmoid(-huge), -huge);
  EXPECT_EQ(log_sigmoid(huge), 0.0);
  EXPECT_EQ(softplus(std::numeric_limits<double>::max()), std::numeric_limits<double>::max());
  // exp(−745) is subnormal: σ must return it rather than 0 or NaN.
  EXPECT_GT(sigmoid(-745.0), 0.0);
  EXPECT_LT(sigmoid(-745.0), 1e-320);
  EXPECT_TRUE(std::isfinite(softplus(-745.0)));
  for (double m : {huge, -huge, 1e-300, -1e-300, 4.9e-324, 1e150, -1e150, 745.0, -745.0}) {
    SCOPED_TRACE(m);
    const objective::LogisticTerms t = logistic_terms(m);
    EXPECT_TRUE(std::isfinite(t.loss));
    EXPECT_GE(t.loss, 0.0);
    EXPECT_TRUE(std::isfinite(t.sigma_neg));
    EXPECT_GE(t.sigma_neg, 0.0);
    EXPECT_LE(t.sigma_neg, 1.0);
    EXPECT_GE(t.curvature, 0.0);
    EXPECT_LE(t.curvature, 0.25);
  }
  EXPECT_DOUBLE_EQ(logistic_terms(1e-300).loss, std::log(2.0));
  EXPECT_DOUBLE_EQ(logistic_terms(-huge).loss, huge);
  EXPECT_EQ(logistic_terms(huge).loss, 0.0);
}

// A small problem whose stored values are `scale` times those of a random one (a few columns
// kept at their normal size so that the problem has a non-trivial solution).
data::Dataset scaled_dataset(double scale, Index rows, std::uint64_t seed, bool keep_normal) {
  const data::Dataset base_data = random_dataset(rows, 6, 0.5, seed, 0.15);
  std::vector<Row> out;
  std::vector<double> labels;
  for (Index i = 0; i < base_data.rows(); ++i) {
    Row row;
    for (SparseMatrix::InnerIterator it(base_data.X, i); it; ++it) {
      const bool normal = keep_normal && it.col() < 3;
      row.push_back({it.col(), normal ? it.value() : scale * it.value()});
    }
    out.push_back(row);
    labels.push_back(base_data.y[i]);
  }
  return dataset_from_rows(6, out, labels, "scaled");
}

// Case 6b. Huge feature values (1e150): margins up to 1e150 and beyond, gradients of 1e150.
// Losses, gradients and Hessian-vector products at such points stay finite, the inner solve ends
// honestly with a finite w (the unit first step overshoots by 1e150 and the line search may run
// out of budget: LineSearchFailed at w₀ is then the truth), every hypergradient is finite (a
// conjugate gradient whose products overflow falls back to ∇f and says so), and the outer loop
// keeps θ finite and in bounds. With 1e160 the squared gradient norm overflows although the
// gradient is finite: the norm must still be finite and the status must not be NumericalError.
TEST(RobustnessExtremeValues, HugeFeatureValues) {
  struct Setting {
    double scale;
    bool keep_normal;
  };
  for (const Setting& setting :
       {Setting{1e150, false}, Setting{1e150, true}, Setting{1e160, false}}) {
    SCOPED_TRACE(std::to_string(setting.scale) +
                 (setting.keep_normal ? " with normal columns" : " only"));
    const bool products_fit = setting.scale <= 1e150;  // x·D·x·v stays below 1e308
    const data::Dataset all = scaled_dataset(setting.scale, 18, 53, setting.keep_normal);
    const data::Dataset train = row_range(all, 0, 12, "train");
    const data::Dataset validation = row_range(all, 12, 18, "validation");
    const objective::InnerObjective inner_objective(train, 0.0, {false, 1});
    for (const Vector& w : {Vector(Vector::Zero(6)), Vector(Vector::Constant(6, 1.0)),
                            Vector(Vector::Constant(6, -1e-150)), Vector(random_vector(6, 3))}) {
      const objective::LogisticState state = inner_objective.evaluate(w);
      EXPECT_TRUE(std::isfinite(state.loss));
      EXPECT_TRUE(std::isfinite(state.value));
      EXPECT_TRUE(state.gradient.allFinite());
      EXPECT_TRUE(std::isfinite(state.gradient_norm));
      if (products_fit) {
        Vector hv;
        inner_objective.hessian_vector(state, Vector::Unit(6, 4), hv);
        EXPECT_TRUE(hv.allFinite());
      }
      EXPECT_TRUE(std::isfinite(inner_objective.value(w)));
    }
    inner::LbfgsOptions lbfgs;
    lbfgs.num_threads = 1;
    const inner::InnerResult solved = inner::minimize(inner_objective, Vector::Zero(6), lbfgs);
    expect_honest_inner(
        solved, {Termination::Converged, Termination::MaxIterations, Termination::LineSearchFailed},
        lbfgs.max_iterations);
    expect_finite_hypergradients(inner_objective, validation, lbfgs);
    tune_every_method(train, validation, quick_options(TuneMethod::Hoag));
  }
}

// Case 6c. Tiny feature values (1e-300, and subnormal 1e-310): gradients of that size square to
// zero, so the line search may find no measurable decrease; whatever the solver reports must be
// finite and true, and the outer loop must keep θ finite and in bounds.
TEST(RobustnessExtremeValues, TinyAndSubnormalFeatureValues) {
  for (double scale : {1e-300, 1e-310}) {
    for (bool keep_normal : {false, true}) {
      SCOPED_TRACE(std::to_string(scale) + (keep_normal ? " with normal columns" : " only"));
      const data::Dataset all = scaled_dataset(scale, 18, 59, keep_normal);
      const data::Dataset train = row_range(all, 0, 12, "train");
      const data::Dataset validation = row_range(all, 12, 18, "validation");
      const objective::InnerObjective inner_objective(train, 0.0, {false, 1});
      const objective::LogisticState state = inner_objective.evaluate(Vector::Constant(6, 1e150));
      EXPECT_TRUE(std::isfinite(state.value));
      EXPECT_TRUE(state.gradient.allFinite());
      inner::LbfgsOptions lbfgs;
      lbfgs.num_threads = 1;
      const inner::InnerResult solved = inner::minimize(inner_objective, Vector::Zero(6), lbfgs);
      expect_honest_inner(
          solved,
          {Termination::Converged, Termination::MaxIterations, Termination::LineSearchFailed},
          lbfgs.max_iterations);
      expect_finite_hypergradients(inner_objective, validation, lbfgs);
      tune_every_method(train, validation, quick_options(TuneMethod::Hoag));
    }
  }
}

}  // namespace
}  // namespace shine::test
