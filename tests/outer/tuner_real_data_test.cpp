// The outer loop on real data: hypergradient methods reach the optimum of a dense grid.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "shine/data/libsvm_io.hpp"
#include "shine/data/split.hpp"
#include "shine/objective/inner_objective.hpp"
#include "shine/objective/l2_regularizer.hpp"
#include "shine/objective/outer_objective.hpp"
#include "shine/outer/checkpoint.hpp"
#include "shine/outer/tuner.hpp"
#include "support/fd_check.hpp"
#include "support/paths.hpp"

namespace shine::outer {
namespace {

// The first `rows` e-mails of the shipped SpamAssassin set, with the features they never use
// dropped (so the O(d) work of L-BFGS matches the data), split 80 / 10 / 10.
data::Split spam_subset(Index rows, std::uint64_t seed = 0) {
  const data::Dataset all =
      data::read_libsvm(test::source_dir() / "datasets/spamassassin/spamassassin.uni.svm.xz");
  std::vector<int> remap(static_cast<std::size_t>(all.features()), -1);
  std::vector<Eigen::Triplet<double>> triplets;
  int used = 0;
  for (Index i = 0; i < rows; ++i) {
    for (SparseMatrix::InnerIterator it(all.X, i); it; ++it) {
      int& column = remap[static_cast<std::size_t>(it.col())];
      if (column < 0) column = used++;
      triplets.emplace_back(static_cast<int>(i), column, it.value());
    }
  }
  SparseMatrix X(rows, used);
  X.setFromTriplets(triplets.begin(), triplets.end());
  const data::Dataset subset = data::make_dataset(std::move(X), all.y.head(rows), "spam-subset");
  return data::split_dataset(subset, {.train = 0.8, .validation = 0.1, .test = 0.1, .seed = seed});
}

TEST(TunerOnRealData, HypergradientMethodsReachTheBestOfADense50PointGrid) {
  const data::Split parts = spam_subset(1500);
  TuneProblem problem;
  problem.train = &parts.train;
  problem.validation = &parts.validation;
  problem.test = &parts.test;
  const TuneResult grid = tune(problem, {.method = TuneMethod::Grid, .candidates = 50});
  ASSERT_TRUE(grid.has_result);
  // The grid optimum is inside the range, not at a bound: the comparison is meaningful.
  EXPECT_GT(grid.theta[0], -12.0);
  EXPECT_LT(grid.theta[0], 12.0);
  for (TuneMethod method : {TuneMethod::Hoag, TuneMethod::Shine, TuneMethod::ShineOpa}) {
    TuneOptions options{.method = method, .max_iterations = 25};
    // shine-opa with H0 = γΔ (the default) stops at λ = 5.6e-5 here, 27 % above the grid's
    // loss: its outer-aware pairs are not made for a diagonal H0 (docs/hypergradients.md).
    if (method == TuneMethod::ShineOpa) options.lbfgs.diagonal_scaling = false;
    const TuneResult r = tune(problem, options);
    ASSERT_TRUE(r.has_result) << to_string(method);
    EXPECT_LE(r.validation_loss, 1.01 * grid.validation_loss)
        << to_string(method) << ": " << r.message << "; grid: " << grid.message;
    RecordProperty(std::string(to_string(method)) + "_over_grid",
                   std::to_string(r.validation_loss / grid.validation_loss));
  }
}

// Keeps, after every evaluation, its record with the solution w and the q it used.
struct EvaluationLog final : Observer {
  struct Entry {
    OuterRecord record;
    Vector w, q;
  };
  std::vector<Entry> entries;
  [[nodiscard]] bool wants_checkpoints() const override { return true; }
  void on_checkpoint(const TuneCheckpoint& c) override {
    entries.push_back({c.result.records.back(), c.w, c.q});
  }
};

TEST(Tuner, AfterABounceEveryHypergradientIsAnAccurateConjugateGradient) {
  // On this subset the default run bounces, with and without diagonal scaling. Independent
  // check of each CG hypergradient after the bounce: its residual ‖Hq − ∇f‖, with H·q by central
  // differences of the inner gradient, and p = −λ wᵀq.
  const data::Split parts = spam_subset(1500);
  TuneProblem problem;
  problem.train = &parts.train;
  problem.validation = &parts.validation;
  int checked = 0;
  for (const bool diagonal : {false, true}) {
    TuneOptions options;
    options.lbfgs.diagonal_scaling = diagonal;
    EvaluationLog log;
    Observer* observers[] = {&log};
    const TuneResult r = tune(problem, options, observers);
    ASSERT_EQ(r.termination, Termination::Converged) << r.message;
    bool bounced = false;
    for (const EvaluationLog::Entry& e : log.entries) {
      const OuterRecord& record = e.record;
      SCOPED_TRACE(std::string(diagonal ? "diagonal" : "scalar") + " H0, evaluation " +
                   std::to_string(record.iteration));
      const std::string& message = record.hypergradient_summary.message;
      const bool after_bounce = message.starts_with("after a bounce");
      // Once bounced, every evaluation uses CG; the polishing one (after a `confirm`) always
      // does, to confirm the convergence.
      const bool polishing =
          record.iteration > 0 &&
          r.records[static_cast<std::size_t>(record.iteration) - 1].step == StepOutcome::Confirm;
      EXPECT_EQ(message.starts_with("confirming convergence"), polishing);
      if (bounced && !polishing) {
        EXPECT_TRUE(after_bounce);
      }
      bounced = bounced || after_bounce;
      const bool cg = after_bounce || polishing;
      if (!cg) continue;
      EXPECT_EQ(record.hypergradient_summary.method, hypergrad::Method::Hoag);
      const objective::InnerObjective inner(
          *problem.train, objective::L2Regularizer::uniform(e.w.size(), record.theta[0]), {});
      const objective::OuterObjective outer(*problem.validation, {});
      Vector grad_f;
      outer.value_and_gradient(e.w, grad_f);
      const Vector hq = test::fd_directional(
          [&inner](const Vector& w) { return inner.evaluate(w).gradient; }, e.w, e.q, 1e-6);
      const double residual = (hq - grad_f).norm() / grad_f.norm();
      if (record.hypergradient_summary.termination == Termination::Converged) {
        EXPECT_LE(residual, 1.01 * TuneOptions{}.bounce_cg_tolerance);
      }
      EXPECT_NEAR(record.hypergradient[0], -std::exp(record.theta[0]) * e.w.dot(e.q),
                  1e-9 * std::abs(record.hypergradient[0]) + 1e-15);
      ++checked;
    }
    EXPECT_TRUE(bounced) << (diagonal ? "diagonal" : "scalar") << " H0: the run did not bounce";
  }
  EXPECT_GE(checked, 4);
  // A run resumed from the checkpoint of its first CG evaluation continues bit for bit (the
  // bounce and the origin of q are in the checkpoint).
  {
    EvaluationLog log;
    Observer* observers[] = {&log};
    const TuneResult whole = tune(problem, {}, observers);
    std::size_t first_cg = 0;
    while (
        first_cg < log.entries.size() &&
        !log.entries[first_cg].record.hypergradient_summary.message.starts_with("after a bounce")) {
      ++first_cg;
    }
    ASSERT_LT(first_cg + 1, log.entries.size());
    struct StopAt final : Observer {
      int at;
      std::optional<TuneCheckpoint> kept;
      explicit StopAt(int i) : at(i) {}
      [[nodiscard]] bool wants_checkpoints() const override { return true; }
      bool on_iteration(const OuterRecord& record) override { return record.iteration >= at; }
      void on_checkpoint(const TuneCheckpoint& c) override { kept = c; }
    } stop(static_cast<int>(first_cg));
    Observer* first[] = {&stop};
    (void)tune(problem, {}, first);
    ASSERT_TRUE(stop.kept.has_value());
    const TuneResult resumed = resume(problem, {}, *stop.kept);
    ASSERT_EQ(resumed.records.size(), whole.records.size());
    for (std::size_t i = 0; i < whole.records.size(); ++i) {
      EXPECT_TRUE(resumed.records[i].theta == whole.records[i].theta) << i;
      EXPECT_TRUE(resumed.records[i].hypergradient == whole.records[i].hypergradient) << i;
    }
    EXPECT_TRUE(resumed.w == whole.w);
  }
  // Off: no evaluation uses CG, the polishing one included.
  for (const OuterRecord& record : tune(problem, {.bounce_cg_tolerance = 0.0}).records) {
    EXPECT_EQ(record.hypergradient_summary.hessian_products, 0);
  }
}

TEST(Tuner, AConvergenceThePolishedCgHypergradientDoesNotConfirmGoesOnWithCg) {
  // On this subset the loose solves' SHINE hypergradients announce a convergence at θ ≈ −4.1;
  // the CG hypergradient of the accurate solve at the confirmed λ asks for a step longer than
  // 5·theta_tolerance, so the run goes on with CG hypergradients and converges at a λ of lower
  // validation loss. Without CG (bounce_cg_tolerance = 0) it ends at the first convergence.
  const data::Split parts = spam_subset(600, 0);
  TuneProblem problem;
  problem.train = &parts.train;
  problem.validation = &parts.validation;
  const TuneResult r = tune(problem, {});
  ASSERT_EQ(r.termination, Termination::Converged) << r.message;
  std::size_t confirm = 0;
  while (confirm < r.records.size() && r.records[confirm].step != StepOutcome::Confirm)
    ++confirm;
  ASSERT_LT(confirm + 2, r.records.size()) << "the first convergence was confirmed";
  const OuterRecord& polished = r.records[confirm + 1];
  EXPECT_TRUE(polished.hypergradient_summary.message.starts_with("confirming convergence"));
  EXPECT_EQ(polished.hypergradient_summary.method, hypergrad::Method::Hoag);
  EXPECT_NE(polished.step, StepOutcome::Converged);
  // Its secant step is longer than 5·theta_tolerance (the curvature kept from the long steps).
  ASSERT_GT(polished.curvature, 0.0);
  EXPECT_GT(std::abs(polished.hypergradient[0]) / polished.curvature,
            5.0 * SecantStepOptions{}.theta_tolerance);
  for (std::size_t i = confirm + 2; i < r.records.size(); ++i) {
    // CG from then on: after the bounce, or confirming a later convergence.
    const std::string& message = r.records[i].hypergradient_summary.message;
    EXPECT_TRUE(message.starts_with("after a bounce") ||
                message.starts_with("confirming convergence"))
        << i << ": " << message;
    EXPECT_EQ(r.records[i].hypergradient_summary.method, hypergrad::Method::Hoag) << i;
  }
  EXPECT_LT(r.validation_loss, polished.validation_loss);
  EXPECT_EQ(r.best_iteration, r.records.back().iteration);

  const TuneResult unchecked = tune(problem, {.bounce_cg_tolerance = 0.0});
  ASSERT_EQ(unchecked.termination, Termination::Converged) << unchecked.message;
  ASSERT_EQ(unchecked.records.size(), confirm + 2);
  EXPECT_EQ(unchecked.records.back().theta[0], polished.theta[0]);
  EXPECT_LT(r.validation_loss, unchecked.validation_loss);
}

}  // namespace
}  // namespace shine::outer
