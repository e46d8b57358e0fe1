// The high-level API: shine::tune / shine::fit and datasets built from Eigen matrices.
#include "shine/estimator.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "shine/data/sample_weights.hpp"
#include "shine/data/split.hpp"
#include "support/random_problems.hpp"

namespace shine {
namespace {

TEST(FromEigen, MapsAnyTwoLabelValuesAndTakesTheMatrix) {
  SparseMatrix X = test::random_sparse(30, 6, 0.5, 1);
  std::vector<double> labels(30, 0.0);
  for (std::size_t i = 0; i < labels.size(); i += 3)
    labels[i] = 7.0;
  const SparseMatrix copy = X;
  const data::Dataset d = data::from_eigen(std::move(X), labels, "mine");
  EXPECT_EQ(d.name, "mine");
  EXPECT_EQ(d.labels.negative, 0.0);
  EXPECT_EQ(d.labels.positive, 7.0);
  EXPECT_EQ(d.positives(), 10);
  EXPECT_TRUE(d.X.isApprox(copy, 0.0));
  EXPECT_EQ(d.Xt.rows(), 6);
}

TEST(FromEigen, AcceptsColumnMajorMatricesAndRejectsBadLabels) {
  const Eigen::SparseMatrix<double> column_major = test::random_sparse(10, 4, 0.5, 2);
  std::vector<double> labels(10, -1.0);
  labels[3] = 1.0;
  const data::Dataset d = data::from_eigen(SparseMatrix(column_major), labels);
  EXPECT_EQ(d.rows(), 10);
  EXPECT_TRUE(d.labels.is_identity());
  labels[4] = 2.0;
  EXPECT_THROW(data::from_eigen(SparseMatrix(column_major), labels), std::invalid_argument);
  labels.pop_back();
  EXPECT_THROW(data::from_eigen(SparseMatrix(column_major), labels), std::invalid_argument);
}

TEST(Fit, MatchesTheStationaryConditionAndChecksLambda) {
  const data::Dataset d = test::random_dataset(200, 15, 0.3, 4);
  const Fitted fitted = fit(d, 0.5);
  EXPECT_EQ(fitted.summary.termination, Termination::Converged);
  // At the optimum ∇h = Xᵀ r + λ w = 0 with r_i = −y_i σ(−y_i x_iᵀw).
  const Vector margins = d.y.cwiseProduct(d.X * fitted.model.weights);
  Vector r(d.rows());
  for (Index i = 0; i < d.rows(); ++i)
    r[i] = -d.y[i] / (1.0 + std::exp(margins[i]));
  const Vector gradient = d.Xt * r + 0.5 * fitted.model.weights;
  EXPECT_LT(gradient.norm(), 1e-5 * (d.Xt * d.y).norm());
  EXPECT_DOUBLE_EQ(fitted.model.lambda[0], 0.5);
  EXPECT_THROW(fit(d, 0.0), std::invalid_argument);
  EXPECT_THROW(fit(d, std::nan("")), std::invalid_argument);
}

// A warm start (a model of part of the rows, with its intercept) reaches the accuracy of a start
// from zero — the tolerance stays relative to ‖∇h(0)‖ —; from the solution it stops at once; bad
// starts are refused with the field named.
TEST(Fit, WarmStartsReachTheSameAccuracySooner) {
  const data::Dataset d = test::random_dataset(1500, 80, 0.3, 14);
  const data::Split part =
      data::split_dataset(d, {.train = 0.8, .validation = 0.2, .test = 0.0, .seed = 3});
  FitOptions options;
  options.objective.fit_intercept = true;
  options.objective.num_threads = 1;
  options.lbfgs.tolerance = 1e-8;
  const Fitted cold = fit(d, 0.02, options);
  const Fitted on_part = fit(part.train, 0.02, options);
  FitOptions warm = options;
  warm.initial_weights.resize(d.features() + 1);
  warm.initial_weights << on_part.model.weights, on_part.model.intercept;
  const Fitted hot = fit(d, 0.02, warm);
  EXPECT_EQ(hot.summary.termination, Termination::Converged);
  EXPECT_LT(hot.summary.initial_gradient_norm, cold.summary.initial_gradient_norm);
  // Both within the same gradient level of the optimum: their weights agree closely (h is
  // 0.02-strongly convex, so ‖w − w*‖ ≤ ‖∇h‖ / 0.02).
  const double level = 1e-8 * cold.summary.initial_gradient_norm;
  EXPECT_LE(hot.summary.final_gradient_norm, level * (1 + 1e-12));
  EXPECT_LT((hot.model.weights - cold.model.weights).norm(), 2 * level / 0.02);
  EXPECT_NEAR(hot.model.intercept, cold.model.intercept, 2 * level / 0.02);

  // From the solution itself: nothing left to do.
  FitOptions done = options;
  done.initial_weights.resize(d.features() + 1);
  done.initial_weights << cold.model.weights, cold.model.intercept;
  EXPECT_LE(fit(d, 0.02, done).summary.iterations, 1);

  FitOptions wrong = options;
  wrong.initial_weights = Vector::Zero(d.features());  // the intercept is missing
  EXPECT_THROW((void)fit(d, 0.02, wrong), std::invalid_argument);
  wrong.initial_weights = Vector::Constant(d.features() + 1, std::nan(""));
  EXPECT_THROW((void)fit(d, 0.02, wrong), std::invalid_argument);
}

TEST(Tune, ReturnsAModelAtTheBestLambda) {
  const data::Split parts = data::split_dataset(test::random_dataset(400, 80, 0.05, 6, 0.1),
                                                {.train = 0.6, .validation = 0.2, .test = 0.2});
  TuneOptions options;
  const Tuned tuned = tune(parts.train, parts.validation, parts.test, options);
  ASSERT_TRUE(tuned.trajectory.has_result);
  EXPECT_LT(tuned.trajectory.records.size(), 30U);
  EXPECT_EQ(tuned.trajectory.termination, Termination::Converged) << tuned.trajectory.message;
  EXPECT_DOUBLE_EQ(tuned.lambda, tuned.trajectory.lambda[0]);
  EXPECT_EQ(tuned.model.n_features(), parts.train.features());
  // The model predicts what the tuner measured on the test set.
  const model::Metrics metrics = tuned.model.evaluate(parts.test);
  EXPECT_NEAR(metrics.accuracy, tuned.trajectory.test_accuracy, 1e-12);
  EXPECT_NEAR(metrics.log_loss, tuned.trajectory.test_loss, 1e-12);
}

TEST(Tune, ConcurrentRunsInSeparateThreadsAgreeWithASequentialRun) {
  const data::Split parts = data::split_dataset(test::random_dataset(300, 40, 0.1, 8, 0.1));
  TuneOptions options;
  options.max_iterations = 6;
  options.method = TuneMethod::Hoag;
  const Tuned reference = tune(parts.train, parts.validation, options);
  std::vector<Tuned> results(3);
  std::vector<std::thread> threads;
  for (auto& result : results) {
    threads.emplace_back([&] { result = tune(parts.train, parts.validation, options); });
  }
  for (auto& thread : threads)
    thread.join();
  for (const auto& result : results) {
    EXPECT_EQ(result.lambda, reference.lambda);
    EXPECT_EQ(result.model.weights, reference.model.weights);
  }
}

TEST(Tune, TakesAProblemWithFeatureGroupsAndResumesFromACheckpoint) {
  const data::Split parts = data::split_dataset(test::random_dataset(300, 20, 0.3, 8, 0.1),
                                                {.train = 0.6, .validation = 0.2, .test = 0.2});
  outer::TuneProblem problem{&parts.train, &parts.validation, &parts.test};
  problem.group_of.resize(20);
  for (std::size_t j = 0; j < problem.group_of.size(); ++j)
    problem.group_of[j] = static_cast<std::int32_t>(j % 3);
  problem.groups = 3;
  TuneOptions options;
  options.max_iterations = 6;
  options.objective.num_threads = 1;
  const Tuned whole = shine::tune(problem, options);
  ASSERT_TRUE(whole.trajectory.has_result);
  EXPECT_EQ(whole.lambdas.size(), 3);
  EXPECT_EQ(whole.model.lambda.size(), 3);
  EXPECT_EQ(whole.lambdas, whole.trajectory.lambda);
  EXPECT_EQ(whole.model.weights, whole.trajectory.w);

  // Stopped after the third evaluation, then resumed through the façade: the same run.
  struct StopAfter final : outer::Observer {
    std::optional<outer::TuneCheckpoint> kept;
    [[nodiscard]] bool wants_checkpoints() const override { return true; }
    bool on_iteration(const outer::OuterRecord& r) override { return r.iteration >= 2; }
    void on_checkpoint(const outer::TuneCheckpoint& c) override { kept = c; }
  } stop;
  std::vector<outer::Observer*> observers{&stop};
  (void)shine::tune(problem, options, observers);
  ASSERT_TRUE(stop.kept.has_value());
  const Tuned resumed = shine::resume(problem, options, *stop.kept);
  EXPECT_EQ(resumed.lambdas, whole.lambdas);
  EXPECT_EQ(resumed.model.weights, whole.model.weights);
  EXPECT_EQ(resumed.trajectory.records.size(), whole.trajectory.records.size());

  // A checkpoint of other options is a ResumeError naming the option.
  TuneOptions other = options;
  other.lbfgs.c1 = 1e-3;
  try {
    (void)shine::resume(problem, other, *stop.kept);
    FAIL() << "resumed with other options";
  } catch (const outer::ResumeError& e) {
    EXPECT_NE(std::string(e.what()).find("lbfgs.c1"), std::string::npos) << e.what();
  }
}

// Integer sample weights are repeated rows: tuning on weighted train and validation sets finds
// the λ that tuning on the sets with each row repeated finds (the sums differ only by rounding).
TEST(Tune, IntegerSampleWeightsTuneLikeRepeatedRows) {
  const data::Split parts = data::split_dataset(test::random_dataset(400, 25, 0.3, 12, 0.15),
                                                {.train = 0.6, .validation = 0.4, .test = 0.0});
  const auto weigh = [](const data::Dataset& source, data::Dataset& weighted,
                        data::Dataset& repeated) {
    Vector weights(source.rows());
    std::vector<Index> rows;
    for (Index i = 0; i < source.rows(); ++i) {
      weights[i] = static_cast<double>((i * 5 + 1) % 3);  // 1, 0, 2, 1, 0, 2, …
      for (int r = 0; r < static_cast<int>(weights[i]); ++r)
        rows.push_back(i);
    }
    weighted = source;
    data::set_sample_weights(weighted, weights);
    repeated = data::select_rows(source, rows, "repeated");
  };
  data::Dataset train_w, train_r, validation_w, validation_r;
  weigh(parts.train, train_w, train_r);
  weigh(parts.validation, validation_w, validation_r);
  TuneOptions options;
  options.objective.num_threads = 1;
  const Tuned weighted = shine::tune(train_w, validation_w, options);
  const Tuned repeated = shine::tune(train_r, validation_r, options);
  ASSERT_TRUE(weighted.trajectory.has_result);
  EXPECT_EQ(weighted.trajectory.termination, Termination::Converged);
  EXPECT_NEAR(std::log(weighted.lambda), std::log(repeated.lambda), 1e-6);
  EXPECT_NEAR(weighted.trajectory.validation_loss, repeated.trajectory.validation_loss,
              1e-8 * repeated.trajectory.validation_loss);
  // Unweighted, the same rows give another λ: the weights were used.
  const Tuned plain = shine::tune(parts.train, parts.validation, options);
  EXPECT_GT(std::abs(std::log(plain.lambda) - std::log(weighted.lambda)), 1e-3);

  // shine::fit on weighted data solves the weighted problem: ∇h = XᵀCr + λw = 0.
  const Fitted fitted = fit(train_w, 0.3);
  const Vector margins = train_w.y.cwiseProduct(train_w.X * fitted.model.weights);
  Vector r(train_w.rows());
  for (Index i = 0; i < train_w.rows(); ++i)
    r[i] = -train_w.weights[i] * train_w.y[i] / (1.0 + std::exp(margins[i]));
  const Vector gradient = train_w.Xt * r + 0.3 * fitted.model.weights;
  EXPECT_LE(gradient.norm(),
            1e-5 * (train_w.Xt * Vector(-0.5 * train_w.weights.cwiseProduct(train_w.y))).norm());

  // The checkpoint fingerprint covers the weights: a checkpoint of the unweighted run does not
  // resume the weighted one.
  struct Keep final : outer::Observer {
    std::optional<outer::TuneCheckpoint> kept;
    [[nodiscard]] bool wants_checkpoints() const override { return true; }
    bool on_iteration(const outer::OuterRecord& record) override { return record.iteration >= 1; }
    void on_checkpoint(const outer::TuneCheckpoint& c) override { kept = c; }
  } keep;
  std::vector<outer::Observer*> observers{&keep};
  (void)shine::tune(parts.train, parts.validation, options, observers);
  ASSERT_TRUE(keep.kept.has_value());
  const outer::TuneProblem weighted_problem{&train_w, &validation_w, nullptr};
  EXPECT_THROW((void)shine::resume(weighted_problem, options, *keep.kept), outer::ResumeError);
}

TEST(Fit, StopsWhenInterruptedAndSaysSo) {
  const data::Dataset d = test::random_dataset(200, 15, 0.3, 4);
  const std::atomic<bool> stop{true};
  FitOptions options;
  options.interrupt = &stop;
  const Fitted fitted = fit(d, 0.01, options);
  EXPECT_EQ(fitted.summary.termination, Termination::Interrupted);
  EXPECT_TRUE(fitted.model.weights.allFinite());
  EXPECT_LE(fitted.summary.iterations, 1);
  const std::atomic<bool> go{false};
  options.interrupt = &go;
  EXPECT_EQ(fit(d, 0.01, options).summary.termination, Termination::Converged);
}

TEST(PublicHeaders, TheUmbrellaHeaderIncludesEveryInstalledHeader) {
  namespace fs = std::filesystem;
  const fs::path include = fs::path(SHINE_SOURCE_DIR) / "include";
  std::ifstream in(include / "shine" / "shine.hpp");
  const std::string umbrella((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  ASSERT_FALSE(umbrella.empty());
  int headers = 0;
  for (const auto& entry : fs::recursive_directory_iterator(include / "shine")) {
    if (entry.path().extension() != ".hpp" || entry.path().filename() == "shine.hpp") continue;
    const std::string name = fs::relative(entry.path(), include).generic_string();
    EXPECT_NE(umbrella.find("#include \"" + name + "\""), std::string::npos) << name;
    ++headers;
  }
  EXPECT_GT(headers, 20);
}

// An installed header may include only the standard library, Eigen and other installed headers:
// the library's private headers (src/) are not installed.
TEST(PublicHeaders, NoInstalledHeaderIncludesAPrivateOne) {
  namespace fs = std::filesystem;
  const fs::path include = fs::path(SHINE_SOURCE_DIR) / "include";
  int headers = 0;
  for (const auto& entry : fs::recursive_directory_iterator(include / "shine")) {
    if (entry.path().extension() != ".hpp") continue;
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line)) {
      const auto start = line.find_first_not_of(" \t");
      if (start == std::string::npos || line.compare(start, 1, "#") != 0) continue;
      const auto quote = line.find('"', start);
      if (line.find("include", start) == std::string::npos || quote == std::string::npos) continue;
      const std::string target = line.substr(quote + 1, line.find('"', quote + 1) - quote - 1);
      EXPECT_EQ(target.rfind("shine/", 0), 0U) << entry.path() << ": " << line;
      EXPECT_TRUE(fs::is_regular_file(include / target)) << entry.path() << ": " << line;
    }
    ++headers;
  }
  EXPECT_GT(headers, 20);
}

}  // namespace
}  // namespace shine
