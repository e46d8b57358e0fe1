// The real `shine` binary: help and exit codes end to end, and Ctrl-C / SIGTERM, which stop the
// run, still write what was found and exit with 130.
#include <gtest/gtest.h>

#include <csignal>

#include "cli_support.hpp"
#include "shine/model/logistic_model.hpp"

namespace shine::cli {
namespace {

using namespace test_support;
using nlohmann::json;

class CliBinary : public CliTest {};

TEST_F(CliBinary, HelpListsEveryCommandWithExamples) {
  const auto r = run_binary({SHINE_CLI_PATH, "--help"}, dir_);
  ASSERT_EQ(r.code, 0);
  for (const char* command : {"tune TRAIN", "fit TRAIN", "predict MODEL DATA", "reproduce",
                              "data info", "Exit codes", "130"}) {
    EXPECT_NE(r.out.find(command), std::string::npos) << command;
  }
  for (const char* command : {"tune", "fit", "predict", "reproduce"}) {
    const auto help = run_binary({SHINE_CLI_PATH, command, "--help"}, dir_);
    EXPECT_EQ(help.code, 0) << command;
    EXPECT_NE(help.out.find("Examples:"), std::string::npos) << command;
    EXPECT_NE(help.out.find("Exit codes"), std::string::npos) << command;
    EXPECT_NE(help.out.find("--"), std::string::npos) << command;
  }
  EXPECT_EQ(run_binary({SHINE_CLI_PATH, "tune", "--lambda0", "-1", shipped_subsample()}, dir_).code,
            2);
  EXPECT_EQ(
      run_binary({SHINE_CLI_PATH, "predict", path("none.json"), shipped_subsample()}, dir_).code,
      3);
}

// Waits for the progress line of outer iteration `n` before sending the signal.
auto after_iteration(int n) {
  return [n](const std::string& err) {
    return err.find("\n" + std::string(n < 10 ? "   " : "  ") + std::to_string(n) + " ") !=
           std::string::npos;
  };
}

TEST_F(CliBinary, CtrlCStopsTuneAndStillWritesJsonAndModel) {
  const auto r = run_binary(
      {SHINE_CLI_PATH, "tune", shipped_subsample(), "--max-iterations", "100000", "--json",
       path("run.json"), "--model", path("model.json"), "--time-budget", "120"},
      dir_, SIGINT, after_iteration(2));
  EXPECT_EQ(r.code, 130) << r.err;
  EXPECT_NE(r.err.find("interrupted"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("termination  interrupted"), std::string::npos) << r.out;
  const json j = read_json(dir_ / "run.json");
  EXPECT_TRUE(j.at("complete").get<bool>());
  EXPECT_EQ(j.at("termination"), "interrupted");
  EXPECT_GE(j.at("records").size(), 3U);
  EXPECT_TRUE(j.at("has_result").get<bool>());
  EXPECT_NO_THROW((void)model::load_json(dir_ / "model.json"));
  EXPECT_EQ(files(), (std::vector<std::string>{"model.json", "run.json"}));
}

TEST_F(CliBinary, SigtermStopsReproduceAndStillWritesTheResults) {
  const auto r = run_binary({SHINE_CLI_PATH, "reproduce", "--dataset", shipped_subsample(),
                             "--seeds", "0-99", "--methods", "shine,jacobian-free",
                             "--max-iterations", "5", "--out", path("out"), "--no-plot"},
                            dir_, SIGTERM, [](const std::string& err) {
                              return err.find("  2/200]") != std::string::npos;
                            });
  EXPECT_EQ(r.code, 130) << r.err;
  for (const char* name : {"records.csv", "runs.json", "summary.md", "summary.csv", "figure.gp"})
    EXPECT_TRUE(fs::exists(dir_ / "out" / name)) << name;
  const json runs = read_json(dir_ / "out" / "runs.json");
  EXPECT_GE(runs.at("runs").size(), 2U);
  EXPECT_LT(runs.at("runs").size(), 200U);
}

TEST_F(CliBinary, CtrlCDuringFitWritesTheModelReachedSoFar) {
  // A tiny lambda on the subsample needs many L-BFGS iterations; stop it at once.
  const auto r =
      run_binary({SHINE_CLI_PATH, "fit", shipped_subsample(), "--lambda", "1e-9", "--tolerance",
                  "0", "--max-iterations", "100000000", "--model", path("m.json")},
                 dir_, SIGINT, [start = std::chrono::steady_clock::now()](const std::string&) {
                   return std::chrono::steady_clock::now() - start > std::chrono::milliseconds(700);
                 });
  EXPECT_EQ(r.code, 130) << r.err;
  EXPECT_NO_THROW((void)model::load_json(dir_ / "m.json"));
}

}  // namespace
}  // namespace shine::cli
