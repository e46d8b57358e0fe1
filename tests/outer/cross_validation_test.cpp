// k-fold cross-validation as the outer objective (TuneProblem::folds): the summed hypergradient
// against finite differences of the summed fold losses, the search against a dense grid of the
// same objective, checkpoints, the refit, and the problem's checks.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "shine/data/libsvm_io.hpp"
#include "shine/data/split.hpp"
#include "shine/estimator.hpp"
#include "shine/objective/heldout_metrics.hpp"
#include "shine/outer/checkpoint.hpp"
#include "shine/outer/tuner.hpp"
#include "support/fd_check.hpp"
#include "support/logistic_bilevel.hpp"
#include "support/paths.hpp"
#include "support/random_problems.hpp"

namespace shine::outer {
namespace {

// The folds of `data` as a problem (the parts live in `parts`).
TuneProblem cv_problem(const data::Dataset& data, const std::vector<data::Split>& parts) {
  TuneProblem problem;
  problem.train = &data;
  for (const data::Split& part : parts)
    problem.folds.push_back({&part.train, &part.validation});
  return problem;
}

TEST(CrossValidation, HypergradientIsTheSumOverFoldsAndMatchesFiniteDifferences) {
  const data::Dataset data = test::random_dataset(300, 30, 0.3, 21, 0.2);
  const std::vector<data::Split> parts = data::kfold_split(data, {.folds = 3, .seed = 2});
  const TuneProblem problem = cv_problem(data, parts);
  const double theta = -1.0;
  // One evaluation of HOAG with tight solves and CG: the exact hypergradient of Σ_k f_k(w_k*).
  TuneOptions options;
  options.method = TuneMethod::Hoag;
  options.max_iterations = 1;
  options.initial_theta = theta;
  options.inner_tolerance = 1e-12;
  options.lbfgs.max_iterations = 5000;
  options.schedule = ToleranceSchedule{.initial = 1e-12, .floor = 1e-12};
  options.hypergrad.max_cg_iterations = 1000;
  options.objective.num_threads = 1;
  const TuneResult result = tune(problem, options);
  ASSERT_EQ(result.records.size(), 1U);
  const OuterRecord& record = result.records[0];

  Vector finite_difference = Vector::Zero(1);
  double loss_sum = 0.0;
  for (const data::Split& part : parts) {
    test::LogisticBilevel fold(part.train, part.validation, 1, theta, false);
    finite_difference += fold.finite_difference_hypergradient();
    EXPECT_EQ(fold.unconverged_solves(), 0);
    const Vector w = fold.tight_solution(fold.theta(), Vector::Zero(fold.dim()));
    loss_sum += fold.outer().value(w);
  }
  EXPECT_LE(test::relative_error(record.hypergradient, finite_difference), 1e-5)
      << record.hypergradient << " vs " << finite_difference;
  // The reported loss is the mean over every fold's validation rows (all 300).
  EXPECT_NEAR(record.validation_loss, loss_sum / 300.0, 1e-9);
  // Each fold made its own solve: the record counts the work of all three.
  EXPECT_GT(record.inner.iterations, 3);
}

// On a shared real set (a9a, 3,000 rows: λ matters there, its optimum is interior), the default
// search over the 5-fold objective ends within 1 % of the best cross-validation loss of a dense
// grid of the same objective.
TEST(CrossValidation, TheSearchReachesTheCrossValidationLossOfADenseGrid) {
  SHINE_REQUIRE_SHARED_DATA(path, "libsvm-a9a-a8a-w8a/a9a.xz");
  const data::Dataset all = data::read_libsvm(path.string());
  std::vector<Index> rows(3000);
  std::iota(rows.begin(), rows.end(), Index{0});
  const data::Dataset data = data::select_rows(all, rows, "a9a[:3000]");
  const std::vector<data::Split> parts = data::kfold_split(data, {.folds = 5, .seed = 1});
  const TuneProblem problem = cv_problem(data, parts);
  TuneOptions options;  // the defaults: shine, secant steps until converged
  options.objective.num_threads = 1;
  const TuneResult tuned = tune(problem, options);
  ASSERT_TRUE(tuned.has_result);
  EXPECT_EQ(tuned.termination, Termination::Converged) << tuned.message;

  TuneOptions grid;
  grid.method = TuneMethod::Grid;
  grid.candidates = 25;  // every 0.5 in log λ over [−4, 8]
  grid.step.lower_bound = -4.0;
  grid.step.upper_bound = 8.0;
  grid.baseline_tolerance = 1e-6;
  grid.objective.num_threads = 1;
  const TuneResult dense = tune(problem, grid);
  ASSERT_TRUE(dense.has_result);
  ASSERT_GT(dense.best_iteration, 0);  // the minimum is inside the grid, not at its end
  ASSERT_LT(dense.best_iteration, 24);
  RecordProperty("tuned_cv_loss", std::to_string(tuned.validation_loss));
  RecordProperty("grid_cv_loss", std::to_string(dense.validation_loss));
  EXPECT_LE(tuned.validation_loss, 1.01 * dense.validation_loss)
      << "tuned lambda " << tuned.lambda[0] << ", grid " << dense.lambda[0];
}

TEST(CrossValidation, ResumesFromACheckpointBitForBit) {
  const data::Dataset data = test::random_dataset(240, 40, 0.2, 8, 0.15);
  const std::vector<data::Split> parts = data::kfold_split(data, {.folds = 3, .seed = 5});
  const TuneProblem problem = cv_problem(data, parts);
  for (const WarmMemory warm_memory : {WarmMemory::Off, WarmMemory::On}) {
    TuneOptions options;
    options.objective.num_threads = 1;
    options.warm_memory = warm_memory;
    const TuneResult whole = tune(problem, options);
    ASSERT_GE(whole.records.size(), 4U);

    struct StopAfter final : Observer {
      std::optional<TuneCheckpoint> kept;
      [[nodiscard]] bool wants_checkpoints() const override { return true; }
      bool on_iteration(const OuterRecord& r) override { return r.iteration >= 2; }
      void on_checkpoint(const TuneCheckpoint& c) override { kept = c; }
    } stop;
    std::vector<Observer*> observers{&stop};
    (void)tune(problem, options, observers);
    ASSERT_TRUE(stop.kept.has_value());
    EXPECT_EQ(stop.kept->folds.size(), 2U);
    // Through the file format too.
    const auto path = std::filesystem::temp_directory_path() / "shine_cv_checkpoint.cbor";
    save_checkpoint(path, *stop.kept);
    const TuneCheckpoint loaded = load_checkpoint(path);
    const TuneResult resumed = resume(problem, options, loaded);
    ASSERT_EQ(resumed.records.size(), whole.records.size());
    EXPECT_EQ(resumed.lambda, whole.lambda);
    EXPECT_EQ(resumed.w, whole.w);
    EXPECT_EQ(resumed.records.back().validation_loss, whole.records.back().validation_loss);

    // Other folds: refused.
    const std::vector<data::Split> other = data::kfold_split(data, {.folds = 3, .seed = 6});
    EXPECT_THROW((void)resume(cv_problem(data, other), options, loaded), ResumeError);
  }
}

TEST(CrossValidation, ResultsAreIdenticalForOneTwoAndFourThreads) {
  const data::Dataset data = test::random_dataset(600, 60, 0.2, 9, 0.15);
  const std::vector<data::Split> parts = data::kfold_split(data, {.folds = 3, .seed = 4});
  const TuneProblem problem = cv_problem(data, parts);
  std::vector<TuneResult> results;
  for (const int threads : {1, 2, 4}) {
    TuneOptions options;
    options.objective.num_threads = threads;
    results.push_back(tune(problem, options));
  }
  for (std::size_t t = 1; t < results.size(); ++t) {
    EXPECT_EQ(results[t].lambda, results[0].lambda);
    EXPECT_EQ(results[t].w, results[0].w);
    EXPECT_EQ(results[t].records.size(), results[0].records.size());
  }
}

// Folds solved at once (fold_workers) give the same bits as one after the other, for every
// method and for grid search, whatever the thread count they share.
TEST(CrossValidation, FoldsSolvedAtOnceGiveTheSameBitsAsOneAfterTheOther) {
  const data::Dataset data = test::random_dataset(500, 50, 0.2, 21, 0.15);
  const std::vector<data::Split> parts = data::kfold_split(data, {.folds = 4, .seed = 2});
  const TuneProblem problem = cv_problem(data, parts);
  for (const TuneMethod method : {TuneMethod::ShineOpa, TuneMethod::Shine, TuneMethod::Hoag,
                                  TuneMethod::JacobianFree, TuneMethod::Grid}) {
    SCOPED_TRACE(to_string(method));
    std::vector<TuneResult> results;
    // (workers, threads): one after the other; two at once on one thread each; three and four
    // at once sharing four threads (uneven shares); automatic on two threads.
    for (const auto& [workers, threads] :
         std::vector<std::pair<int, int>>{{1, 1}, {2, 2}, {3, 4}, {4, 4}, {0, 2}}) {
      TuneOptions options;
      options.method = method;
      options.max_iterations = 8;
      options.candidates = 6;
      options.objective.num_threads = threads;
      options.fold_workers = workers;
      results.push_back(tune(problem, options));
    }
    for (std::size_t r = 1; r < results.size(); ++r) {
      EXPECT_EQ(results[r].lambda, results[0].lambda) << "run " << r;
      EXPECT_EQ(results[r].w, results[0].w) << "run " << r;
      ASSERT_EQ(results[r].records.size(), results[0].records.size()) << "run " << r;
      for (std::size_t i = 0; i < results[0].records.size(); ++i) {
        EXPECT_EQ(results[r].records[i].validation_loss, results[0].records[i].validation_loss);
        EXPECT_EQ(results[r].records[i].inner.gradient_evaluations,
                  results[0].records[i].inner.gradient_evaluations);
      }
    }
  }
}

// warm_memory = Automatic carries the L-BFGS memory with folds and not without; the run reports
// what was in force, and the two settings it resolves to give different runs.
TEST(CrossValidation, AutomaticWarmMemoryIsOnWithFoldsOnly) {
  const data::Dataset data = test::random_dataset(400, 40, 0.2, 27, 0.15);
  const std::vector<data::Split> parts = data::kfold_split(data, {.folds = 3, .seed = 1});
  struct Seen final : Observer {
    TuneInfo info;
    void on_begin(const TuneInfo& i) override { info = i; }
  };
  const auto run = [](const TuneProblem& problem, WarmMemory warm, Seen& seen) {
    TuneOptions options;
    options.objective.num_threads = 1;
    options.warm_memory = warm;
    std::vector<Observer*> observers{&seen};
    return tune(problem, options, observers);
  };
  const TuneProblem cv = cv_problem(data, parts);
  Seen automatic, on, off;
  const TuneResult a = run(cv, WarmMemory::Automatic, automatic);
  const TuneResult b = run(cv, WarmMemory::On, on);
  (void)run(cv, WarmMemory::Off, off);
  EXPECT_TRUE(automatic.info.warm_memory);
  EXPECT_TRUE(on.info.warm_memory);
  EXPECT_FALSE(off.info.warm_memory);
  EXPECT_EQ(a.lambda, b.lambda);
  EXPECT_EQ(a.w, b.w);

  TuneProblem holdout;
  holdout.train = &parts[0].train;
  holdout.validation = &parts[0].validation;
  Seen plain;
  (void)run(holdout, WarmMemory::Automatic, plain);
  EXPECT_FALSE(plain.info.warm_memory);
  EXPECT_EQ(plain.info.fold_workers, 1);
}

// An interrupt while folds are solved at once ends the run as interrupted, with the evaluations
// completed before it.
TEST(CrossValidation, AnInterruptStopsFoldsSolvedAtOnce) {
  const data::Dataset data = test::random_dataset(500, 50, 0.2, 23, 0.15);
  const std::vector<data::Split> parts = data::kfold_split(data, {.folds = 3, .seed = 2});
  const TuneProblem problem = cv_problem(data, parts);
  std::atomic<bool> interrupt{false};
  struct RaiseAfter final : Observer {
    std::atomic<bool>* flag = nullptr;
    bool on_iteration(const OuterRecord& r) override {
      if (r.iteration >= 1) flag->store(true);
      return false;
    }
  } raise;
  raise.flag = &interrupt;
  TuneOptions options;
  options.objective.num_threads = 2;
  options.fold_workers = 3;
  options.interrupt = &interrupt;
  std::vector<Observer*> observers{&raise};
  const TuneResult result = tune(problem, options, observers);
  EXPECT_EQ(result.termination, Termination::Interrupted);
  EXPECT_EQ(result.records.size(), 2U);
}

TEST(CrossValidation, RefitsOnAllTrainingRowsUnlessAskedNotTo) {
  const data::Dataset data = test::random_dataset(300, 25, 0.3, 31, 0.15);
  const data::Dataset test_set = test::random_dataset(100, 25, 0.3, 32, 0.15);
  TuneOptions options;
  options.objective.num_threads = 1;
  const Tuned refit = tune_cv(data, {.folds = 4}, options, &test_set);
  ASSERT_TRUE(refit.trajectory.has_result);
  ASSERT_TRUE(refit.refit.has_value());
  // The model is the minimizer on all rows at the λ found, to the final tolerance: within 1 %
  // of an independent tight solve (λ-strong convexity turns ‖∇h‖ ≤ 0.01·λ·‖w_start‖ into that).
  FitOptions tight;
  tight.lbfgs.tolerance = 1e-12;
  tight.objective.num_threads = 1;
  const Fitted exact = fit(data, refit.lambda, tight);
  EXPECT_LE((refit.model.weights - exact.model.weights).norm(), 0.011 * exact.model.weights.norm());
  EXPECT_EQ(refit.model.weights, refit.trajectory.w);
  const objective::HeldOutMetrics test =
      objective::evaluate_heldout(test_set, refit.model.weights, false, 1);
  EXPECT_EQ(refit.trajectory.test_loss, test.mean_loss);

  options.refit = false;
  const Tuned mean = tune_cv(data, {.folds = 4}, options, &test_set);
  EXPECT_FALSE(mean.refit.has_value());
  EXPECT_EQ(mean.lambda, refit.lambda);  // the search does not depend on the refit
  EXPECT_NE(mean.model.weights, refit.model.weights);
  EXPECT_EQ(mean.model.weights, mean.trajectory.w);  // the mean of the folds' models
}

TEST(CrossValidation, ProblemChecksSayWhatIsWrong) {
  const data::Dataset data = test::random_dataset(60, 5, 0.5, 41);
  const std::vector<data::Split> parts = data::kfold_split(data, {.folds = 3});
  TuneProblem problem = cv_problem(data, parts);
  EXPECT_NO_THROW(problem.validate());
  problem.validation = &parts[0].validation;
  EXPECT_THROW(problem.validate(), std::invalid_argument);
  problem.validation = nullptr;
  problem.folds.resize(1);
  EXPECT_THROW(problem.validate(), std::invalid_argument);
  const data::Dataset narrow = test::random_dataset(60, 4, 0.5, 42);
  problem = cv_problem(data, parts);
  problem.folds[1].validation = &narrow;
  try {
    problem.validate();
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("fold 2"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace shine::outer
