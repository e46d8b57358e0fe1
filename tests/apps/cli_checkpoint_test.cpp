// Faults end to end, on the real binary: `tune --checkpoint` killed with SIGKILL at a random
// outer iteration and continued with `--resume` reaches the same θ as a run never stopped;
// SIGTERM leaves a checkpoint to resume from; an output file is never torn, even when the process
// is killed while writing it.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <random>
#include <thread>

#include "cli_support.hpp"
#include "shine/model/logistic_model.hpp"
#include "shine/outer/checkpoint.hpp"

namespace shine::cli {
namespace {

using namespace test_support;
using nlohmann::json;

// A whole run takes seconds; allow for a loaded machine and sanitizer builds.
constexpr std::chrono::seconds kPatience(900);

class CliFaults : public CliTest {
 protected:
  // The arguments of one tuning run on the shipped data (about 0.2–0.5 s per outer iteration),
  // with its outputs in this test's folder under `prefix`.
  std::vector<std::string> tune_args(const std::string& method, const std::string& prefix,
                                     int iterations) {
    return {SHINE_CLI_PATH,
            "tune",
            shipped(),
            "--method",
            method,
            "--max-iterations",
            std::to_string(iterations),
            "--threads",
            "1",
            "--json",
            path(prefix + ".json")};
  }
};

// True once the progress lines on stderr show outer iteration `n`.
auto after_iteration(int n) {
  return [n](const std::string& err) {
    return err.find("\n" + std::string(n < 10 ? "   " : "  ") + std::to_string(n) + " ") !=
           std::string::npos;
  };
}

std::vector<double> thetas(const json& run) {
  std::vector<double> values;
  for (const json& record : run.at("records"))
    values.push_back(record.at("theta").get<double>());
  return values;
}

void expect_same_result(const json& whole, const json& resumed) {
  EXPECT_EQ(resumed.at("theta").get<double>(), whole.at("theta").get<double>());
  EXPECT_EQ(resumed.at("validation_loss").get<double>(), whole.at("validation_loss").get<double>());
  EXPECT_EQ(thetas(resumed), thetas(whole));
  EXPECT_EQ(resumed.at("best_iteration"), whole.at("best_iteration"));
}

TEST_F(CliFaults, SigkillAtARandomIterationThenResumeReachesTheSameTheta) {
  constexpr int kIterations = 6;
  std::mt19937 random(20261127);  // fixed, so a failure can be replayed
  for (const std::string method : {"hoag", "shine-opa"}) {
    SCOPED_TRACE(method);
    const auto whole_run =
        run_binary(tune_args(method, "whole", kIterations), dir_, 0, {}, kPatience);
    ASSERT_EQ(whole_run.code, 0) << whole_run.err;
    const json whole = read_json(dir_ / "whole.json");
    ASSERT_EQ(whole.at("records").size(), static_cast<std::size_t>(kIterations));

    const int kill_after = std::uniform_int_distribution<int>(0, kIterations - 4)(random);
    auto killed_args = tune_args(method, "killed", kIterations);
    killed_args.insert(killed_args.end(), {"--checkpoint", path("run.ckpt")});
    // The line of iteration k + 1 is printed after the checkpoint of iteration k was saved.
    const auto killed =
        run_binary(killed_args, dir_, SIGKILL, after_iteration(kill_after + 1), kPatience);
    ASSERT_EQ(killed.code, 128 + SIGKILL) << "the run ended before it was killed: " << killed.err;
    // What the kill left: a whole checkpoint and a whole JSON checkpoint of the trajectory.
    const outer::TuneCheckpoint saved = outer::load_checkpoint(dir_ / "run.ckpt");
    EXPECT_GE(saved.evaluations(), kill_after + 1);
    EXPECT_LT(saved.evaluations(), kIterations);
    EXPECT_FALSE(read_json(dir_ / "killed.json").at("complete").get<bool>());

    auto resume_args = tune_args(method, "resumed", kIterations);
    resume_args.insert(resume_args.end(), {"--resume", path("run.ckpt")});
    const auto resumed_run = run_binary(resume_args, dir_, 0, {}, kPatience);
    ASSERT_EQ(resumed_run.code, 0) << resumed_run.err;
    EXPECT_NE(resumed_run.err.find("resuming " + path("run.ckpt") + ": " +
                                   std::to_string(saved.evaluations()) + " evaluation"),
              std::string::npos)
        << resumed_run.err;
    const json resumed = read_json(dir_ / "resumed.json");
    EXPECT_TRUE(resumed.at("complete").get<bool>());
    EXPECT_EQ(resumed.at("run").at("resumed_evaluations").get<int>(), saved.evaluations());
    expect_same_result(whole, resumed);
    fs::remove(dir_ / "run.ckpt");
  }
}

TEST_F(CliFaults, SigtermLeavesACheckpointToResumeFrom) {
  constexpr int kIterations = 7;
  ASSERT_EQ(run_binary(tune_args("shine", "whole", kIterations), dir_, 0, {}, kPatience).code, 0);
  auto args = tune_args("shine", "stopped", kIterations);
  args.insert(args.end(), {"--checkpoint", path("run.ckpt")});
  const auto stopped = run_binary(args, dir_, SIGTERM, after_iteration(2), kPatience);
  ASSERT_EQ(stopped.code, 130) << stopped.err;
  EXPECT_NE(stopped.err.find("continue this run with --resume " + path("run.ckpt")),
            std::string::npos)
      << stopped.err;
  const json partial = read_json(dir_ / "stopped.json");
  EXPECT_TRUE(partial.at("complete").get<bool>());
  EXPECT_EQ(partial.at("termination"), "interrupted");
  // The checkpoint holds exactly the evaluations the JSON reports as done.
  EXPECT_EQ(outer::load_checkpoint(dir_ / "run.ckpt").evaluations(),
            static_cast<int>(partial.at("records").size()));

  auto resume = tune_args("shine", "resumed", kIterations);
  resume.insert(resume.end(), {"--resume", path("run.ckpt")});
  ASSERT_EQ(run_binary(resume, dir_, 0, {}, kPatience).code, 0);
  expect_same_result(read_json(dir_ / "whole.json"), read_json(dir_ / "resumed.json"));
  // Checkpoints went on into the resumed file: it now holds the whole run.
  EXPECT_EQ(outer::load_checkpoint(dir_ / "run.ckpt").evaluations(), kIterations);
}

TEST_F(CliFaults, ResumeRefusesAnotherRunOrADamagedFile) {
  const std::string data = shipped_subsample();
  ASSERT_EQ(run_binary({SHINE_CLI_PATH, "tune", data, "--method", "shine", "--max-iterations", "2",
                        "--checkpoint", path("run.ckpt"), "-q"},
                       dir_)
                .code,
            0);
  auto other = run_binary(
      {SHINE_CLI_PATH, "tune", data, "--method", "hoag", "--resume", path("run.ckpt"), "-q"}, dir_);
  EXPECT_EQ(other.code, 2);
  EXPECT_NE(other.err.find("--resume " + path("run.ckpt") +
                           ": the checkpoint was made with method = shine, this run has method = "
                           "hoag: resume with the same data and options"),
            std::string::npos)
      << other.err;
  other = run_binary({SHINE_CLI_PATH, "tune", data, "--method", "shine", "--seed", "4", "--resume",
                      path("run.ckpt"), "-q"},
                     dir_);
  EXPECT_EQ(other.code, 2);
  EXPECT_NE(other.err.find("the checkpoint was made with train = "), std::string::npos)
      << other.err;
  write("bad.ckpt", "not a checkpoint");
  other = run_binary({SHINE_CLI_PATH, "tune", data, "--resume", path("bad.ckpt")}, dir_);
  EXPECT_EQ(other.code, 3);
  EXPECT_NE(other.err.find(path("bad.ckpt") + ": not a readable shine checkpoint"),
            std::string::npos)
      << other.err;
  other = run_binary({SHINE_CLI_PATH, "tune", data, "--resume", path("missing.ckpt")}, dir_);
  EXPECT_EQ(other.code, 3);
  EXPECT_NE(other.err.find(path("missing.ckpt") + ": cannot open the checkpoint"),
            std::string::npos)
      << other.err;
}

// Starts `args`, and kills it with SIGKILL as soon as a temporary of `target` appears beside it
// (that is, while the file is being written). Returns whether it was caught writing.
bool kill_while_writing(const std::vector<std::string>& args, const fs::path& target) {
  const pid_t pid = spawn(args, "/dev/null", "/dev/null");
  const std::string prefix = "." + target.filename().string() + ".tmp-";
  const auto start = std::chrono::steady_clock::now();
  bool caught = false;
  int status = 0;
  while (!caught && waitpid(pid, &status, WNOHANG) == 0 &&
         std::chrono::steady_clock::now() - start < std::chrono::seconds(60)) {
    for (const auto& entry : fs::directory_iterator(target.parent_path())) {
      if (entry.path().filename().string().rfind(prefix, 0) == 0) {
        caught = true;
        break;
      }
    }
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return caught;
}

TEST_F(CliFaults, KilledWhileWritingAnOutputLeavesTheOldFileWhole) {
  // The old model: from the subsample. The new one would come from the whole shipped data
  // (176,112 weights, a few MB of JSON, long enough to write that the kill lands inside it).
  const fs::path model = dir_ / "model.json";
  ASSERT_EQ(run_binary({SHINE_CLI_PATH, "fit", shipped_subsample(), "--lambda", "0.5", "--model",
                        model.string()},
                       dir_)
                .code,
            0);
  const std::string old_content = read_file(model);
  int caught = 0;
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (kill_while_writing({SHINE_CLI_PATH, "fit", shipped(), "--lambda", "0.5", "--threads", "1",
                            "--model", model.string()},
                           model)) {
      ++caught;
    }
    // Whatever the moment of the kill: the old file, whole (a finished write would replace it by
    // a whole new one, which must load too).
    const std::string now = read_file(model);
    if (now != old_content) {
      EXPECT_NO_THROW((void)model::load_json(model));
    }
    EXPECT_EQ(now, old_content) << "the process finished before it was killed";
  }
  EXPECT_GE(caught, 1) << "never caught writing: the test did not test anything";
  // Left behind by SIGKILL (no handler can run): temporaries only, never the target torn.
  for (const auto& name : files()) {
    EXPECT_TRUE(name == "model.json" || name.rfind(".model.json.tmp-", 0) == 0) << name;
  }
}

}  // namespace
}  // namespace shine::cli
