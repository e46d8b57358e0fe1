// A whole tuning run over rows spread across ranks (threads here,
// tests/support/thread_communicator.hpp) against the same run in one process: λ and w agree to
// 1e-10, every rank holds the same result, and a second run with as many ranks gives the same
// bits. The MPI build runs the same comparison across processes (tests/mpi/).
#include <gtest/gtest.h>

#include <mutex>
#include <optional>
#include <span>
#include <tuple>
#include <vector>

#include "shine/data/distributed.hpp"
#include "shine/data/split.hpp"
#include "shine/estimator.hpp"
#include "shine/outer/checkpoint.hpp"
#include "support/random_problems.hpp"
#include "support/thread_communicator.hpp"

namespace shine::outer {
namespace {

struct Outcome {
  double lambda = 0.0;
  Vector w;
  double validation_loss = 0.0;
  double test_loss = 0.0;
  std::size_t evaluations = 0;
};

Outcome outcome_of(const Tuned& tuned) {
  return {tuned.lambda, tuned.trajectory.w, tuned.trajectory.validation_loss,
          tuned.trajectory.test_loss, tuned.trajectory.records.size()};
}

class DistributedTune : public testing::TestWithParam<std::tuple<TuneMethod, int>> {};

TEST_P(DistributedTune, AgreesWithOneProcessAndRepeatsBitForBit) {
  // Plain variables, not a structured binding: the lambdas below capture them (Clang 14, which
  // `make test-tsan` uses, cannot capture a structured binding).
  const TuneMethod method = std::get<0>(GetParam());
  const int ranks = std::get<1>(GetParam());
  const data::Dataset whole = test::random_dataset(500, 25, 0.25, 77);
  const data::SplitOptions split_options{.train = 0.7, .validation = 0.2, .test = 0.1, .seed = 3};
  TuneOptions options;
  options.method = method;
  options.max_iterations = 8;
  options.candidates = 5;
  options.objective.num_threads = 1;
  options.lbfgs.num_threads = 1;
  const data::Split split = data::split_dataset(whole, split_options);
  const Outcome reference =
      outcome_of(shine::tune(split.train, split.validation, split.test, options));

  const auto run = [&] {
    std::vector<Outcome> by_rank(static_cast<std::size_t>(ranks));
    test::run_ranks(ranks, [&](const core::Communicator& communicator) {
      const data::DatasetPart part = data::rows_of_rank(whole, communicator);
      const data::Split parts = data::split_part(part, split_options);
      by_rank[static_cast<std::size_t>(communicator.rank())] =
          outcome_of(shine::tune(parts.train, parts.validation, parts.test, options));
    });
    return by_rank;
  };
  const std::vector<Outcome> first = run();
  const Outcome& got = first[0];
  EXPECT_EQ(got.evaluations, reference.evaluations);
  EXPECT_NEAR(got.lambda, reference.lambda, 1e-10 * reference.lambda);
  EXPECT_LE((got.w - reference.w).norm(), 1e-10 * reference.w.norm());
  EXPECT_NEAR(got.validation_loss, reference.validation_loss, 1e-10 * reference.validation_loss);
  EXPECT_NEAR(got.test_loss, reference.test_loss, 1e-10 * reference.test_loss);
  for (const Outcome& other : first) {
    EXPECT_EQ(other.lambda, got.lambda) << "the ranks disagree";
    EXPECT_EQ(other.w, got.w) << "the ranks disagree";
  }
  const std::vector<Outcome> second = run();
  EXPECT_EQ(second[0].lambda, got.lambda) << "a second run differs";
  EXPECT_EQ(second[0].w, got.w) << "a second run differs";
}

TEST(DistributedTune, CrossValidationAgreesWithOneProcessAndRepeatsBitForBit) {
  const data::Dataset whole = test::random_dataset(400, 20, 0.3, 78);
  const data::KFoldOptions kfold{.folds = 3, .seed = 1};
  TuneOptions options;
  options.method = TuneMethod::Hoag;
  options.max_iterations = 5;
  options.objective.num_threads = 1;
  options.lbfgs.num_threads = 1;
  // Asks for the folds at once: with rows over ranks the tuner solves them one after the other
  // (each data pass ends in a sum every rank must reach in the same order).
  options.fold_workers = 3;
  const Outcome reference = outcome_of(shine::tune_cv(whole, kfold, options));
  const auto run = [&] {
    Outcome got;
    test::run_ranks(3, [&](const core::Communicator& communicator) {
      const data::DatasetPart part = data::rows_of_rank(whole, communicator);
      const std::vector<data::Split> folds = data::kfold_part(part, kfold);
      TuneProblem problem;
      problem.train = &part.data;
      for (const data::Split& fold : folds)
        problem.folds.push_back({&fold.train, &fold.validation});
      struct Seen final : Observer {
        int fold_workers = 0;
        void on_begin(const TuneInfo& info) override { fold_workers = info.fold_workers; }
      } seen;
      std::vector<Observer*> observers{&seen};
      const Outcome mine = outcome_of(shine::tune(problem, options, observers));
      EXPECT_EQ(seen.fold_workers, 1);
      if (communicator.rank() == 0) got = mine;
    });
    return got;
  };
  const Outcome first = run();
  EXPECT_EQ(first.evaluations, reference.evaluations);
  EXPECT_NEAR(first.lambda, reference.lambda, 1e-10 * reference.lambda);
  EXPECT_LE((first.w - reference.w).norm(), 1e-10 * reference.w.norm());
  EXPECT_NEAR(first.validation_loss, reference.validation_loss, 1e-10 * reference.validation_loss);
  const Outcome second = run();
  EXPECT_EQ(second.lambda, first.lambda);
  EXPECT_EQ(second.w, first.w);
}

// A run stopped after 3 evaluations, its checkpoint taken on rank 0 only (as shine-mpi writes
// it), resumed on every rank from that checkpoint: the bits of a run never stopped. The
// fingerprint describes the whole data cut into as many parts, the same on every rank, and
// names the process count.
TEST(DistributedTune, ACheckpointOfRankZeroResumesOnEveryRankBitForBit) {
  const data::Dataset whole = test::random_dataset(400, 20, 0.3, 79);
  const data::SplitOptions split_options{.train = 0.7, .validation = 0.3, .test = 0.0, .seed = 4};
  TuneOptions options;
  options.method = TuneMethod::Shine;
  options.objective.num_threads = 1;
  options.lbfgs.num_threads = 1;
  struct Keeper final : Observer {
    std::optional<TuneCheckpoint> last;
    [[nodiscard]] bool wants_checkpoints() const override { return true; }
    void on_checkpoint(const TuneCheckpoint& checkpoint) override { last = checkpoint; }
  };
  constexpr int kRanks = 2;
  std::vector<Outcome> full(kRanks), resumed(kRanks);
  TuneCheckpoint saved;
  test::run_ranks(kRanks, [&](const core::Communicator& communicator) {
    const data::DatasetPart part = data::rows_of_rank(whole, communicator);
    const data::Split parts = data::split_part(part, split_options);
    const auto r = static_cast<std::size_t>(communicator.rank());
    TuneOptions long_run = options;
    long_run.max_iterations = 6;
    full[r] = outcome_of(shine::tune(parts.train, parts.validation, long_run));
    TuneOptions short_run = options;
    short_run.max_iterations = 3;
    Keeper keeper;
    std::vector<Observer*> observers;
    if (r == 0) observers.push_back(&keeper);
    (void)shine::tune(parts.train, parts.validation, short_run, observers);
    if (r == 0) saved = *keeper.last;
    double sync = 0.0;  // a collective: rank 0 has kept `saved` before any rank reads it
    communicator.sum(std::span<double>(&sync, 1));
    outer::TuneProblem problem;
    problem.train = &parts.train;
    problem.validation = &parts.validation;
    resumed[r] = outcome_of(shine::resume(problem, long_run, saved));
  });
  EXPECT_EQ(saved.evaluations(), 3);
  bool names_processes = false;
  for (const auto& [key, value] : saved.fingerprint)
    names_processes = names_processes || value.find("over 2 processes") != std::string::npos;
  EXPECT_TRUE(names_processes);
  for (std::size_t r = 0; r < kRanks; ++r) {
    EXPECT_EQ(resumed[r].evaluations, full[r].evaluations);
    EXPECT_EQ(resumed[r].lambda, full[r].lambda) << "rank " << r;
    EXPECT_EQ(resumed[r].w, full[r].w) << "rank " << r;
  }
}

INSTANTIATE_TEST_SUITE_P(MethodsAndRanks, DistributedTune,
                         testing::Combine(testing::Values(TuneMethod::Shine, TuneMethod::Hoag,
                                                          TuneMethod::Grid),
                                          testing::Values(1, 2, 3)));

}  // namespace
}  // namespace shine::outer
