// Checkpoints of the outer loop: a run stopped after any evaluation and resumed from its
// checkpoint (in memory and through a file) continues bit for bit like the run that was never
// stopped; a checkpoint of other data or options is refused; damaged files are reported.
#include "shine/outer/checkpoint.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "shine/data/split.hpp"
#include "support/many_rows_problem.hpp"
#include "support/random_problems.hpp"

namespace shine::outer {
namespace {

namespace fs = std::filesystem;

struct SmallProblem {
  data::Split split;
  TuneProblem problem;
  explicit SmallProblem(std::uint64_t seed = 5)
      : split(data::split_dataset(test::random_dataset(400, 120, 0.05, seed, 0.1),
                                  {.train = 0.6, .validation = 0.2, .test = 0.2, .seed = 1})) {
    problem.train = &split.train;
    problem.validation = &split.validation;
    problem.test = &split.test;
  }
};

// Keeps the checkpoint taken after evaluation `stop_after` and stops the run there.
class StopAndKeep final : public Observer {
 public:
  explicit StopAndKeep(int stop_after) : stop_after_(stop_after) {}
  [[nodiscard]] bool wants_checkpoints() const override { return true; }
  bool on_iteration(const OuterRecord& record) override { return record.iteration >= stop_after_; }
  void on_checkpoint(const TuneCheckpoint& checkpoint) override { kept = checkpoint; }
  std::optional<TuneCheckpoint> kept;

 private:
  int stop_after_;
};

// Counts what a resumed run shows its observers.
class Counting final : public Observer {
 public:
  void on_begin(const TuneInfo& info) override { resumed = info.resumed_evaluations; }
  void on_resume(std::span<const OuterRecord> previous) override {
    replayed = static_cast<int>(previous.size());
  }
  bool on_iteration(const OuterRecord& /*record*/) override {
    ++fresh;
    return false;
  }
  int resumed = -1, replayed = 0, fresh = 0;
};

fs::path scratch(const std::string& name) {
  return fs::temp_directory_path() /
         ("shine_checkpoint_" + name + "_" + std::to_string(::getpid()));
}

// The trajectory, as the numbers that decide it.
void expect_same_run(const TuneResult& a, const TuneResult& b) {
  ASSERT_EQ(a.records.size(), b.records.size());
  for (std::size_t i = 0; i < a.records.size(); ++i) {
    const OuterRecord& x = a.records[i];
    const OuterRecord& y = b.records[i];
    SCOPED_TRACE("evaluation " + std::to_string(i));
    EXPECT_EQ(x.iteration, y.iteration);
    EXPECT_TRUE(x.theta == y.theta) << x.theta.transpose() << " vs " << y.theta.transpose();
    EXPECT_EQ(x.validation_loss, y.validation_loss);
    EXPECT_EQ(x.returned, y.returned);
    EXPECT_EQ(x.provisional, y.provisional);
    EXPECT_EQ(x.inner.iterations, y.inner.iterations);
    EXPECT_TRUE(x.hypergradient == y.hypergradient);
    EXPECT_EQ(x.step, y.step);
    EXPECT_EQ(x.lipschitz, y.lipschitz);
  }
  EXPECT_TRUE(a.theta == b.theta);
  EXPECT_TRUE(a.w == b.w);
  EXPECT_EQ(a.best_iteration, b.best_iteration);
  EXPECT_EQ(a.validation_loss, b.validation_loss);
  EXPECT_EQ(a.rejected_steps, b.rejected_steps);
  EXPECT_EQ(a.termination, b.termination);
}

struct Case {
  TuneMethod method;
  bool warm_memory;
  int stop_after;
  StepRule rule = StepRule::Secant;
};

class ResumeContinuesExactly : public ::testing::TestWithParam<Case> {};

TEST_P(ResumeContinuesExactly, LikeTheRunThatWasNeverStopped) {
  const Case c = GetParam();
  SmallProblem p;
  TuneOptions options;
  options.method = c.method;
  options.max_iterations = 9;
  options.candidates = 7;
  options.warm_memory = c.warm_memory ? WarmMemory::On : WarmMemory::Off;
  options.step.rule = c.rule;
  options.initial_weights = InitialWeights::Gaussian;
  options.seed = 3;
  options.objective.num_threads = 1;
  const TuneResult whole = tune(p.problem, options);
  ASSERT_TRUE(whole.has_result);

  // stop_after = -1: at the last evaluation of the whole run.
  const int stop_after =
      c.stop_after >= 0 ? c.stop_after : static_cast<int>(whole.records.size()) - 1;
  StopAndKeep stopper(stop_after);
  Observer* first[] = {&stopper};
  const TuneResult part = tune(p.problem, options, first);
  ASSERT_EQ(part.termination, Termination::StoppedByObserver);
  ASSERT_TRUE(stopper.kept.has_value());
  EXPECT_EQ(stopper.kept->evaluations(), stop_after + 1);

  // Through a file, with another thread count (the kernels are bit-identical across threads).
  const fs::path file = scratch("resume");
  save_checkpoint(file, *stopper.kept);
  const TuneCheckpoint loaded = load_checkpoint(file);
  fs::remove(file);
  TuneOptions more_threads = options;
  more_threads.objective.num_threads = 2;
  Counting counting;
  Observer* second[] = {&counting};
  const TuneResult resumed = resume(p.problem, more_threads, loaded, second);
  EXPECT_EQ(counting.resumed, stop_after + 1);
  EXPECT_EQ(counting.replayed, stop_after + 1);
  EXPECT_EQ(counting.fresh, static_cast<int>(whole.records.size()) - (stop_after + 1));
  expect_same_run(whole, resumed);
  EXPECT_GE(resumed.elapsed_seconds, loaded.result.elapsed_seconds);
  EXPECT_EQ(resumed.message, whole.message);
}

INSTANTIATE_TEST_SUITE_P(
    Methods, ResumeContinuesExactly,
    ::testing::Values(Case{TuneMethod::Hoag, false, 2}, Case{TuneMethod::Shine, false, 0},
                      Case{TuneMethod::ShineOpa, true, 2}, Case{TuneMethod::ShineRefine, false, 3},
                      Case{TuneMethod::JacobianFree, true, 2}, Case{TuneMethod::Random, false, 2},
                      Case{TuneMethod::Grid, true, 4},
                      // The checkpoint of the evaluation that converged: nothing is left to do.
                      Case{TuneMethod::Shine, false, -1},
                      // HOAG's adaptive steps (no convergence test: all 9 evaluations).
                      Case{TuneMethod::Hoag, false, 3, StepRule::Double},
                      Case{TuneMethod::ShineOpa, true, 4, StepRule::Single}),
    [](const ::testing::TestParamInfo<Case>& param_info) {
      std::string name(to_string(param_info.param.method));
      for (char& ch : name)
        if (ch == '-') ch = '_';
      return name + (param_info.param.warm_memory ? "_warm_memory" : "") + "_" +
             std::string(to_string(param_info.param.rule)) + "_" +
             (param_info.param.stop_after >= 0 ? std::to_string(param_info.param.stop_after)
                                               : std::string("last"));
    });

TEST(Checkpoint, AResumeFromATightenStepContinuesExactly) {
  // Many rows, few features: the default run records a `tighten` step (a convergence announced
  // by a solve far looser than the final level); stopped there, saved and resumed with another
  // thread count, it goes on exactly as the run that was never stopped.
  const test::ManyRowsProblem many_rows;
  const TuneProblem& problem = many_rows.problem;
  TuneOptions options;
  options.objective.num_threads = 1;
  const TuneResult whole = tune(problem, options);
  ASSERT_EQ(whole.termination, Termination::Converged) << whole.message;
  int tighten = -1;
  for (const OuterRecord& record : whole.records) {
    if (record.step == StepOutcome::Tighten) {
      tighten = record.iteration;
      break;
    }
  }
  ASSERT_GE(tighten, 0) << "no tighten step: the test no longer covers it";
  StopAndKeep stopper(tighten);
  Observer* first[] = {&stopper};
  ASSERT_EQ(tune(problem, options, first).termination, Termination::StoppedByObserver);
  ASSERT_TRUE(stopper.kept.has_value());
  const fs::path file = scratch("tighten");
  save_checkpoint(file, *stopper.kept);
  const TuneCheckpoint loaded = load_checkpoint(file);
  fs::remove(file);
  EXPECT_EQ(loaded.result.records.back().step, StepOutcome::Tighten);
  options.objective.num_threads = 2;
  expect_same_run(whole, resume(problem, options, loaded));
}

TEST(Checkpoint, FileRoundTripIsExactIncludingNonFiniteValues) {
  SmallProblem p;
  TuneOptions options;
  options.method = TuneMethod::ShineOpa;
  options.warm_memory = WarmMemory::On;
  options.max_iterations = 4;
  StopAndKeep keeper(100);
  Observer* observers[] = {&keeper};
  (void)tune(p.problem, options, observers);
  ASSERT_TRUE(keeper.kept.has_value());
  TuneCheckpoint c = *keeper.kept;
  ASSERT_FALSE(c.memory_s.empty());
  c.result.records[1].test_loss = std::numeric_limits<double>::quiet_NaN();
  c.result.records[2].hypergradient[0] = -std::numeric_limits<double>::infinity();
  const fs::path file = scratch("roundtrip");
  save_checkpoint(file, c);
  const TuneCheckpoint back = load_checkpoint(file);
  fs::remove(file);
  EXPECT_EQ(back.fingerprint, c.fingerprint);
  EXPECT_TRUE(back.theta == c.theta);
  EXPECT_TRUE(back.w == c.w);
  EXPECT_TRUE(back.q == c.q);
  EXPECT_EQ(back.epsilon, c.epsilon);
  EXPECT_EQ(back.initial_gradient_norm, c.initial_gradient_norm);
  EXPECT_EQ(back.lipschitz, c.lipschitz);
  EXPECT_EQ(back.previous_loss, c.previous_loss);
  ASSERT_EQ(back.memory_s.size(), c.memory_s.size());
  for (std::size_t i = 0; i < c.memory_s.size(); ++i) {
    EXPECT_TRUE(back.memory_s[i] == c.memory_s[i]);
    EXPECT_TRUE(back.memory_y[i] == c.memory_y[i]);
  }
  ASSERT_EQ(back.evaluations(), c.evaluations());
  EXPECT_TRUE(std::isnan(back.result.records[1].test_loss));
  EXPECT_EQ(back.result.records[2].hypergradient[0], -std::numeric_limits<double>::infinity());
  EXPECT_EQ(back.result.records[3].inner.message, c.result.records[3].inner.message);
  EXPECT_EQ(back.result.records[3].hypergradient_summary.opa.pairs_offered,
            c.result.records[3].hypergradient_summary.opa.pairs_offered);
  EXPECT_TRUE(back.result.w == c.result.w);
  EXPECT_EQ(back.result.best_iteration, c.result.best_iteration);
}

// OuterRecord::returned is kept; a checkpoint written before the field derives it by the tuner's
// rule (the lowest validation loss so far; a converged step returns itself).
TEST(Checkpoint, RecordsKeepWhatTheRunWouldReturnAndOlderFilesDeriveIt) {
  SmallProblem p;
  StopAndKeep keeper(100);  // keeps the last checkpoint, never stops
  Observer* observers[] = {&keeper};
  const TuneResult result = tune(p.problem, TuneOptions{}, observers);
  ASSERT_EQ(result.termination, Termination::Converged) << result.message;
  ASSERT_TRUE(keeper.kept.has_value());
  ASSERT_EQ(keeper.kept->evaluations(), static_cast<int>(result.records.size()));
  const fs::path file = scratch("returned");
  save_checkpoint(file, *keeper.kept);
  const auto expect_returned = [&](const TuneCheckpoint& loaded) {
    ASSERT_EQ(loaded.result.records.size(), result.records.size());
    for (std::size_t i = 0; i < result.records.size(); ++i)
      EXPECT_EQ(loaded.result.records[i].returned, result.records[i].returned) << i;
    EXPECT_EQ(loaded.result.records.back().returned, result.best_iteration);
  };
  expect_returned(load_checkpoint(file));

  // The same file without the field.
  std::ifstream in(file, std::ios::binary);
  const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                        std::istreambuf_iterator<char>());
  in.close();
  nlohmann::json document = nlohmann::json::from_cbor(bytes);
  for (nlohmann::json& record : document.at("records")) {
    ASSERT_TRUE(record.contains("returned"));
    record.erase("returned");
  }
  const std::vector<std::uint8_t> older = nlohmann::json::to_cbor(document);
  std::ofstream(file, std::ios::binary)
      .write(reinterpret_cast<const char*>(older.data()),
             static_cast<std::streamsize>(older.size()));
  expect_returned(load_checkpoint(file));
  fs::remove(file);
}

TEST(Checkpoint, RefusesOtherDataOrOptionsNamingTheDifference) {
  SmallProblem p;
  TuneOptions options;
  options.method = TuneMethod::Hoag;
  options.max_iterations = 3;
  StopAndKeep keeper(1);
  Observer* observers[] = {&keeper};
  (void)tune(p.problem, options, observers);
  ASSERT_TRUE(keeper.kept.has_value());
  const auto message_of = [&](const TuneProblem& problem, const TuneOptions& changed) {
    try {
      (void)resume(problem, changed, *keeper.kept);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  TuneOptions other = options;
  other.method = TuneMethod::Shine;
  EXPECT_NE(message_of(p.problem, other).find("method = hoag, this run has method = shine"),
            std::string::npos)
      << message_of(p.problem, other);
  other = options;
  other.memory = 5;
  EXPECT_NE(message_of(p.problem, other).find("memory = 10, this run has memory = 5"),
            std::string::npos);
  other = options;
  other.step.rule = StepRule::Double;
  EXPECT_NE(message_of(p.problem, other).find("step"), std::string::npos);
  // Every inner option that changes the computation is part of the fingerprint.
  for (const auto& [change, name] :
       std::vector<std::pair<std::function<void(TuneLbfgsOptions&)>, std::string>>{
           {[](TuneLbfgsOptions& l) { l.c1 = 1e-3; }, "lbfgs.c1 = "},
           {[](TuneLbfgsOptions& l) { l.c2 = 0.5; }, "lbfgs.c2 = "},
           {[](TuneLbfgsOptions& l) { l.curvature_epsilon = 1e-6; }, "lbfgs.curvature_epsilon = "},
           {[](TuneLbfgsOptions& l) { l.diagonal_scaling = !l.diagonal_scaling; },
            "lbfgs.diagonal_scaling = "},
           {[](TuneLbfgsOptions& l) { l.value_noise = 1e-6; }, "lbfgs.value_noise = "},
           {[](TuneLbfgsOptions& l) { l.pair_precision = inner::PairPrecision::Single; },
            "lbfgs.pair_precision = "},
           {[](TuneLbfgsOptions& l) { l.initial_hessian = inner::InitialHessian::Identity; },
            "lbfgs.initial_hessian = "}}) {
    other = options;
    change(other.lbfgs);
    const std::string message = message_of(p.problem, other);
    EXPECT_NE(message.find("made with " + name), std::string::npos) << name << ": " << message;
    EXPECT_NE(message.find(name), std::string::npos) << name << ": " << message;
  }
  SmallProblem different_data(6);
  EXPECT_NE(message_of(different_data.problem, options).find("made with train = "),
            std::string::npos);
  // Allowed: a larger budget extends the run.
  other = options;
  other.max_iterations = 5;
  const TuneResult extended = resume(p.problem, other, *keeper.kept);
  EXPECT_EQ(extended.records.size(), 5U);
  // A damaged state is refused before any work.
  TuneCheckpoint broken = *keeper.kept;
  broken.w.conservativeResize(3);
  EXPECT_NE(message_of(p.problem, options).find("accepted"), std::string::npos);
  try {
    (void)resume(p.problem, options, broken);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("w has 3 entries"), std::string::npos) << e.what();
  }
  broken = *keeper.kept;
  broken.theta[0] = 99.0;
  EXPECT_THROW((void)resume(p.problem, options, broken), std::invalid_argument);
}

TEST(Checkpoint, DamagedFilesAreReportedWithTheirPath) {
  const fs::path file = scratch("damaged");
  const auto message_of = [&file]() {
    try {
      (void)load_checkpoint(file);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("loaded");
  };
  fs::remove(file);
  EXPECT_NE(message_of().find(file.string() + ": cannot open"), std::string::npos);
  std::ofstream(file) << "{\"format\": \"shine-trajectory\"}";
  EXPECT_NE(message_of().find("not a readable shine checkpoint"), std::string::npos)
      << message_of();

  SmallProblem p;
  StopAndKeep keeper(1);
  Observer* observers[] = {&keeper};
  (void)tune(p.problem, TuneOptions{.method = TuneMethod::Shine, .max_iterations = 2}, observers);
  save_checkpoint(file, *keeper.kept);
  const auto size = fs::file_size(file);
  for (const auto keep : {size / 2, size - 1, std::uintmax_t{1}}) {
    fs::resize_file(file, keep);
    const std::string message = message_of();
    EXPECT_EQ(message.rfind(file.string() + ": ", 0), 0U) << message;
    EXPECT_NE(message, "loaded");
    save_checkpoint(file, *keeper.kept);
  }
  fs::remove(file);
}

TEST(Checkpoint, WriterObserverSavesAfterEveryEvaluationAndEarlyStoppingReplays) {
  SmallProblem p;
  const fs::path file = scratch("writer");
  CheckpointWriter writer(file);
  EarlyStopping early(2, 0.5);  // stops soon: an improvement must be 50 %
  Observer* observers[] = {&writer, &early};
  TuneOptions options{.method = TuneMethod::JacobianFree, .max_iterations = 12};
  const TuneResult whole = tune(p.problem, options, observers);
  EXPECT_EQ(whole.termination, Termination::StoppedByObserver);
  EXPECT_EQ(writer.writes(), static_cast<int>(whole.records.size()));
  EXPECT_TRUE(writer.error().empty());
  const TuneCheckpoint last = load_checkpoint(file);
  EXPECT_EQ(last.evaluations(), static_cast<int>(whole.records.size()));
  fs::remove(file);

  // Resumed from the checkpoint before the stop, EarlyStopping (replaying the earlier
  // evaluations) stops at the same evaluation.
  StopAndKeep keeper(static_cast<int>(whole.records.size()) - 2);
  Observer* stop_early[] = {&keeper};
  (void)tune(p.problem, options, stop_early);
  ASSERT_TRUE(keeper.kept.has_value());
  EarlyStopping fresh_early(2, 0.5);
  Observer* again[] = {&fresh_early};
  const TuneResult resumed = resume(p.problem, options, *keeper.kept, again);
  EXPECT_EQ(resumed.termination, Termination::StoppedByObserver);
  EXPECT_EQ(resumed.records.size(), whole.records.size());

  CheckpointWriter nowhere(fs::path("/nonexistent-folder/run.ckpt"));
  Observer* failing[] = {&nowhere};
  const TuneResult still = tune(p.problem, options, failing);
  EXPECT_TRUE(still.has_result);
  EXPECT_NE(nowhere.error().find("/nonexistent-folder/run.ckpt"), std::string::npos)
      << nowhere.error();
  EXPECT_EQ(nowhere.writes(), 0);
}

}  // namespace
}  // namespace shine::outer
