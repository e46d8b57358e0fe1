// The JSON trajectory: its schema (keys and types), null for missing values, and the writer
// observer (checkpoints, the final file after an interrupt, errors kept instead of thrown).
#include "shine/report/trajectory.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "shine/data/split.hpp"
#include "support/random_problems.hpp"

namespace shine::report {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Checks the keys and types every trajectory has (docs/cli.md, "JSON trajectory").
void expect_schema(const json& j) {
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.at("format"), "shine-trajectory");
  EXPECT_EQ(j.at("version"), 2);
  EXPECT_TRUE(j.at("complete").is_boolean());
  EXPECT_TRUE(j.at("run").is_object());
  EXPECT_TRUE(j.at("run").at("version").is_string());
  EXPECT_TRUE(j.at("datasets").is_array());
  EXPECT_TRUE(j.at("labels").at("positive").is_number());
  EXPECT_TRUE(j.at("config").at("method").is_string());
  EXPECT_TRUE(j.at("config").at("schedule").at("rho").is_number());
  EXPECT_TRUE(j.at("message").is_string());
  EXPECT_TRUE(j.at("has_result").is_boolean());
  for (const char* key : {"theta", "lambda", "validation_loss", "validation_accuracy", "test_loss",
                          "test_accuracy", "elapsed_seconds"}) {
    EXPECT_TRUE(j.contains(key)) << key;
    EXPECT_TRUE(j.at(key).is_number() || j.at(key).is_null() || j.at(key).is_array()) << key;
  }
  EXPECT_TRUE(j.at("elapsed_seconds").is_number());
  ASSERT_TRUE(j.at("records").is_array());
  for (const json& r : j.at("records")) {
    for (const char* key :
         {"iteration", "theta", "lambda", "validation_loss", "test_loss", "hypergradient_norm",
          "elapsed_seconds", "iteration_seconds", "data_passes", "inner", "step"}) {
      EXPECT_TRUE(r.contains(key)) << key;
    }
    EXPECT_TRUE(r.at("iteration").is_number_integer());
    EXPECT_TRUE(r.at("returned").is_number_integer() || r.at("returned").is_null());
    EXPECT_TRUE(r.at("elapsed_seconds").is_number());
    EXPECT_TRUE(r.at("inner").at("iterations").is_number_integer());
    EXPECT_TRUE(r.at("inner").at("termination").is_string());
  }
}

struct Problem {
  data::Split split = data::split_dataset(test::random_dataset(300, 40, 0.1, 3, 0.1),
                                          {.train = 0.6, .validation = 0.2, .test = 0.2});
  outer::TuneProblem problem{&split.train, &split.validation, &split.test, {}, 1};
};

class ReportFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("shine_report_test_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  static json read(const fs::path& path) {
    std::ifstream in(path);
    return json::parse(in);
  }
  fs::path dir_;
};

TEST(TrajectoryJson, NotFiniteValuesAreNullAndGroupsAreArrays) {
  Trajectory t;
  t.run.version = "test";
  t.info.hyperparameters = 2;
  outer::OuterRecord r;
  r.theta = Vector::Zero(2);
  r.lambda = Vector::Ones(2);
  r.hypergradient = Vector::Constant(2, std::nan(""));
  r.validation_loss = 0.5;  // test_loss stays NaN: no test set
  t.result.records.push_back(r);
  t.result.has_result = true;
  t.result.theta = r.theta;
  t.result.lambda = r.lambda;
  t.result.validation_loss = 0.5;
  t.result.elapsed_seconds = 1.0;
  const json j = json::parse(to_json(t));
  expect_schema(j);
  EXPECT_TRUE(j.at("test_loss").is_null());
  EXPECT_TRUE(j.at("lambda").is_array());
  EXPECT_EQ(j.at("lambda").size(), 2U);
  EXPECT_TRUE(j.at("records")[0].at("hypergradient")[0].is_null());
  EXPECT_TRUE(j.at("records")[0].at("test_loss").is_null());
}

TEST(TrajectoryJson, RunsCollectionHoldsEveryRun) {
  std::vector<Trajectory> runs(2);
  const json j = json::parse(runs_json({{"dataset", std::string("x")}, {"rows", 3LL}}, runs));
  EXPECT_EQ(j.at("format"), "shine-runs");
  EXPECT_EQ(j.at("dataset"), "x");
  EXPECT_EQ(j.at("rows"), 3);
  ASSERT_EQ(j.at("runs").size(), 2U);
  expect_schema(j.at("runs")[0]);
}

TEST_F(ReportFiles, WriterRecordsTheWholeRun) {
  Problem p;
  RunDescription run;
  run.version = "test";
  run.command = "tune";
  run.datasets = {DatasetDescription::of(p.split.train, "train", "random")};
  JsonTrajectoryWriter writer(dir_ / "run.json", run);
  std::vector<outer::Observer*> observers{&writer};
  const outer::TuneResult result =
      outer::tune(p.problem, {.method = outer::TuneMethod::Shine, .max_iterations = 4}, observers);
  EXPECT_TRUE(writer.error().empty());
  EXPECT_EQ(writer.writes(), 5);  // four checkpoints and the final file
  const json j = read(dir_ / "run.json");
  expect_schema(j);
  EXPECT_TRUE(j.at("complete").get<bool>());
  EXPECT_EQ(j.at("termination"), "max_iterations");
  EXPECT_EQ(j.at("records").size(), 4U);
  EXPECT_DOUBLE_EQ(j.at("lambda").get<double>(), result.lambda[0]);
  EXPECT_DOUBLE_EQ(j.at("test_loss").get<double>(), result.test_loss);
  EXPECT_EQ(j.at("best_iteration"), result.best_iteration);
  EXPECT_EQ(j.at("config").at("memory"), 30);
  EXPECT_EQ(j.at("datasets")[0].at("rows"), p.split.train.rows());
  EXPECT_TRUE(j.at("run").at("started").is_string());
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(j.at("records")[i].at("iteration"), static_cast<int>(i));
    EXPECT_DOUBLE_EQ(j.at("records")[i].at("validation_loss").get<double>(),
                     result.records[i].validation_loss);
    EXPECT_EQ(j.at("records")[i].at("returned"), result.records[i].returned);
  }
  EXPECT_EQ(j.at("records")[3].at("returned"), result.best_iteration);
}

// While the run goes on, the file names the evaluation the run would return if it ended there
// (OuterRecord::returned): the last one for a converged secant run, not the lowest loss so far.
TEST_F(ReportFiles, APartialFileNamesWhatTheRunWouldReturn) {
  Problem p;
  JsonTrajectoryWriter writer(dir_ / "run.json", {});
  struct Checker final : outer::Observer {
    std::filesystem::path path;
    int checked = 0;
    bool on_iteration(const outer::OuterRecord& record) override {
      const json j = read(path);
      EXPECT_FALSE(j.at("complete").get<bool>());
      EXPECT_EQ(j.at("best_iteration"), record.returned) << "after " << record.iteration;
      ++checked;
      return false;
    }
  } checker;
  checker.path = dir_ / "run.json";
  std::vector<outer::Observer*> observers{&writer, &checker};
  const outer::TuneResult result = outer::tune(p.problem, {.max_iterations = 12}, observers);
  EXPECT_EQ(checker.checked, static_cast<int>(result.records.size()));
  EXPECT_EQ(result.records.back().returned, result.best_iteration);
}

// Stops the run after `after` evaluations by raising the interrupt flag, as Ctrl-C does.
class RaiseInterrupt final : public outer::Observer {
 public:
  RaiseInterrupt(std::atomic<bool>& flag, int after) : flag_(flag), after_(after) {}
  bool on_iteration(const outer::OuterRecord& record) override {
    if (record.iteration + 1 >= after_) flag_ = true;
    return false;
  }

 private:
  std::atomic<bool>& flag_;
  int after_;
};

TEST_F(ReportFiles, InterruptedRunStillWritesTheFinalFile) {
  Problem p;
  std::atomic<bool> flag{false};
  RaiseInterrupt raise(flag, 2);
  JsonTrajectoryWriter writer(dir_ / "run.json", {});
  std::vector<outer::Observer*> observers{&raise, &writer};
  const outer::TuneResult result =
      outer::tune(p.problem, {.max_iterations = 20, .interrupt = &flag}, observers);
  EXPECT_EQ(result.termination, Termination::Interrupted);
  const json j = read(dir_ / "run.json");
  expect_schema(j);
  EXPECT_TRUE(j.at("complete").get<bool>());
  EXPECT_EQ(j.at("termination"), "interrupted");
  EXPECT_EQ(j.at("records").size(), 2U);
  EXPECT_TRUE(j.at("has_result").get<bool>());
}

TEST_F(ReportFiles, WriteErrorsAreKeptNotThrown) {
  Problem p;
  JsonTrajectoryWriter writer(dir_ / "missing-folder" / "run.json", {});
  std::vector<outer::Observer*> observers{&writer};
  EXPECT_NO_THROW((void)outer::tune(p.problem, {.max_iterations = 2}, observers));
  EXPECT_NE(writer.error().find("run.json"), std::string::npos) << writer.error();
  EXPECT_EQ(writer.writes(), 0);
  EXPECT_FALSE(fs::exists(dir_ / "missing-folder"));
}

}  // namespace
}  // namespace shine::report
