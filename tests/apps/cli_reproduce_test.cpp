// `shine reproduce` on a small dataset, the analysis behind its table and figure, and its
// options.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <utility>

#include "benchmark.hpp"
#include "cli_support.hpp"

namespace shine::cli {
namespace {

using namespace test_support;
using nlohmann::json;

constexpr double kInf = std::numeric_limits<double>::infinity();

class CliReproduce : public CliTest {};

TEST_F(CliReproduce, TwoSeedsTwoMethodsGiveEveryFile) {
  const auto r =
      shine({"reproduce", "--dataset", shipped_subsample(), "--seeds", "0-1", "--methods",
             "shine-opa,grid", "--max-iterations", "4", "--candidates", "3", "--out", path("out")});
  ASSERT_EQ(r.code, 0) << r.err;
  // The progress: one line per finished run with the time left.
  EXPECT_NE(r.err.find("[1/4] shine-opa"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[4/4] grid"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("left"), std::string::npos) << r.err;
  // The table on stdout.
  EXPECT_NE(r.out.find("| method | seeds | time to 1 % | time to 0.1 %"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("| shine-opa | 2/2 |"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| grid | 2/2 |"), std::string::npos) << r.out;

  const fs::path out = dir_ / "out";
  for (const char* name : {"records.csv", "runs.json", "summary.md", "summary.csv", "curves.dat",
                           "figure.gp", "figure.png", "figure.svg"}) {
    EXPECT_TRUE(fs::exists(out / name)) << name;
  }
  // Nothing else (no temporaries).
  EXPECT_EQ(std::distance(fs::directory_iterator(out), fs::directory_iterator()), 8);

  const std::string csv = read_file(out / "records.csv");
  EXPECT_EQ(csv.rfind("dataset,seed,method,iteration,elapsed_seconds,", 0), 0U);
  EXPECT_EQ(count_lines(csv), 1U + 2 * 4 + 2 * 3);
  EXPECT_NE(csv.find(",1,grid,2,"), std::string::npos);

  const json runs = read_json(out / "runs.json");
  EXPECT_EQ(runs.at("format"), "shine-runs");
  ASSERT_EQ(runs.at("runs").size(), 4U);
  const json& first = runs.at("runs")[0];
  EXPECT_EQ(first.at("run").at("seed"), 0);
  EXPECT_EQ(first.at("config").at("method"), "shine-opa");
  EXPECT_EQ(first.at("config").at("initial_weights"), "gaussian");
  EXPECT_EQ(first.at("config").at("step").at("rule"), "double");
  EXPECT_EQ(first.at("config").at("memory"), 30);
  EXPECT_EQ(first.at("records").size(), 4U);
  EXPECT_EQ(runs.at("runs")[3].at("config").at("memory"), 10);  // grid: the HOAG setting

  const std::string summary = read_file(out / "summary.csv");
  EXPECT_EQ(count_lines(summary), 3U);
  EXPECT_NE(read_file(out / "summary.md").find("double adaptive step"), std::string::npos);

  const std::string png = read_file(out / "figure.png");
  ASSERT_GT(png.size(), 1000U);
  EXPECT_EQ(png.substr(1, 3), "PNG");
  EXPECT_NE(read_file(out / "figure.svg").find("<svg"), std::string::npos);
  EXPECT_NE(read_file(out / "figure.gp").find("'curves.dat' index 1"), std::string::npos);
}

TEST_F(CliReproduce, BadOptions) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"reproduce"}, "--dataset is required"},
      {{"reproduce", "--dataset", shipped_subsample(), "--seeds", "5-2"}, "is empty"},
      {{"reproduce", "--dataset", shipped_subsample(), "--seeds", "a"}, "'a' is not a seed"},
      {{"reproduce", "--dataset", shipped_subsample(), "--methods", "shine,adam"},
       "unknown method 'adam'"},
      {{"reproduce", "--dataset", shipped_subsample(), "--step", "big"}, "--step must be"},
      {{"reproduce", "--dataset", shipped_subsample(), "--max-iterations", "0"},
       "--max-iterations must be in [1, 100000], got 0"},
      {{"reproduce", "--dataset", shipped_subsample(), "extra"}, "too many arguments"},
  };
  for (const auto& [args, message] : cases) {
    const auto r = shine(args);
    EXPECT_EQ(r.code, 2) << args.back() << ": " << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
  }
  // A dataset that cannot be found is an input error, as for every command.
  const auto missing = shine({"reproduce", "--dataset", "no-such-dataset"});
  EXPECT_EQ(missing.code, 3) << missing.err;
  EXPECT_NE(missing.err.find("neither a file nor a registered dataset"), std::string::npos)
      << missing.err;
}

// The analysis, on hand-made runs: each record returns the lowest validation loss so far, as the
// tuner records it for a run that did not converge.
outer::TuneResult run_of(const std::vector<std::array<double, 3>>& points) {
  outer::TuneResult result;
  int i = 0;
  for (const auto& [t, validation, test] : points) {
    outer::OuterRecord r;
    r.iteration = i++;
    r.elapsed_seconds = t;
    r.validation_loss = validation;
    r.test_loss = test;
    r.theta = Vector::Zero(1);
    r.lambda = Vector::Ones(1);
    if (!result.has_result || validation < result.validation_loss) {
      result.has_result = true;
      result.best_iteration = r.iteration;
      result.validation_loss = validation;
      result.test_loss = test;
    }
    r.returned = result.best_iteration;
    result.records.push_back(r);
  }
  result.elapsed_seconds = points.empty() ? 0.0 : points.back()[0];
  return result;
}

// The returned_test_loss cells of records.csv, in order.
std::vector<std::string> returned_column(const std::string& csv) {
  std::istringstream lines(csv);
  std::string line;
  std::getline(lines, line);
  std::size_t column = 0;
  for (std::size_t at = 0; at < line.find("returned_test_loss"); at = line.find(',', at) + 1)
    ++column;
  std::vector<std::string> cells;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string cell;
    for (std::size_t k = 0; k <= column; ++k)
      std::getline(fields, cell, ',');
    cells.push_back(cell);
  }
  return cells;
}

TEST(Benchmark, ReturnedLossFollowsTheValidationLoss) {
  // The third evaluation has a better test loss but a worse validation loss: not returned.
  const auto curve = bench::returned_curve(run_of({{1, 0.5, 0.6}, {2, 0.4, 0.5}, {3, 0.45, 0.1}}));
  ASSERT_EQ(curve.size(), 3U);
  EXPECT_EQ(curve[2][1], 0.5);
  EXPECT_EQ(bench::time_to_reach(curve, 0.55), 2.0);
  EXPECT_EQ(bench::time_to_reach(curve, 0.2), kInf);
}

TEST(Benchmark, TheCurveEndsAtWhatTheTunerReturned) {
  // A converged secant run returns its last evaluation even where an earlier, looser one had a
  // lower validation loss (the tuner records it in `returned`): the curve's last point and the
  // last `returned_test_loss` of records.csv are the result's held-out loss.
  outer::TuneResult result = run_of({{1, 0.5, 0.6}, {2, 0.4, 0.5}, {3, 0.45, 0.3}});
  result.records[2].step = outer::StepOutcome::Converged;
  result.records[2].returned = 2;
  result.best_iteration = 2;
  result.test_loss = 0.3;
  const auto curve = bench::returned_curve(result);
  ASSERT_EQ(curve.size(), 3U);
  EXPECT_EQ(curve[1][1], 0.5);
  EXPECT_EQ(curve[2][1], 0.3);
  EXPECT_EQ(bench::time_to_reach(curve, 0.35), 3.0);
  const std::string csv = bench::records_csv("d", {{"shine", 0, result, true}});
  EXPECT_EQ(returned_column(csv), (std::vector<std::string>{"0.6", "0.5", "0.3"}));
}

// A real converged secant run and a HOAG run: the last point of the curve, and the last
// `returned_test_loss` of records.csv, are the result's test loss.
TEST(Benchmark, RealRunsEndAtTheirResult) {
  const data::Dataset all = data::read_libsvm(shipped_subsample());
  const data::Split split =
      data::split_dataset(all, {.train = 0.6, .validation = 0.2, .test = 0.2, .seed = 1});
  const outer::TuneProblem problem{&split.train, &split.validation, &split.test, {}, 1};
  const outer::TuneResult secant = outer::tune(problem, {});
  ASSERT_EQ(secant.termination, Termination::Converged) << secant.message;
  const outer::TuneResult hoag =
      outer::tune(problem, {.method = outer::TuneMethod::Hoag, .max_iterations = 5});
  // Here the converged run's lowest validation loss is an earlier, looser evaluation, so the
  // result is not the lowest validation loss seen (if a change of the tuner makes them agree,
  // take another split seed where they differ).
  std::size_t lowest = 0;
  for (std::size_t i = 0; i < secant.records.size(); ++i) {
    if (secant.records[i].validation_loss < secant.records[lowest].validation_loss) lowest = i;
  }
  ASSERT_NE(lowest + 1, secant.records.size());
  ASSERT_NE(secant.records[lowest].test_loss, secant.test_loss);
  for (const auto& [method, result] : {std::pair{"shine", &secant}, std::pair{"hoag", &hoag}}) {
    SCOPED_TRACE(method);
    const auto curve = bench::returned_curve(*result);
    ASSERT_FALSE(curve.empty());
    EXPECT_EQ(curve.back()[1], result->test_loss);
    const std::vector<std::string> column =
        returned_column(bench::records_csv("d", {{method, 0, *result, true}}));
    ASSERT_EQ(column.size(), result->records.size());
    EXPECT_NEAR(std::stod(column.back()), result->test_loss, 1e-8 * result->test_loss);
  }
}

TEST(Benchmark, Quantiles) {
  EXPECT_EQ(bench::quantile({3, 1, 2}, 0.5), 2.0);
  EXPECT_DOUBLE_EQ(bench::quantile({1, 2, 3, 4}, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(bench::quantile({0, 10}, 0.1), 1.0);
  EXPECT_EQ(bench::quantile({1, kInf, kInf}, 0.5), kInf);
  EXPECT_EQ(bench::quantile({1, 2, kInf}, 0.5), 2.0);
  EXPECT_TRUE(std::isnan(bench::quantile({}, 0.5)));
}

TEST(Benchmark, SummaryUsesTheBestLossOfEachSeed) {
  std::vector<bench::Run> runs;
  // Seed 0: best 1.0 (by "b"); "a" gets within 1 % at t = 2, never within 0.1 %; its held-out
  // loss 0.5 at t = 3 does not count (never returned: its validation loss is not the best).
  runs.push_back({"a", 0, run_of({{1, 1.0, 1.5}, {2, 0.9, 1.005}, {3, 0.95, 0.5}}), true});
  runs.push_back({"b", 0, run_of({{4, 1.0, 1.0}}), true});
  // Seed 1: best 2.0 (by "a" at t = 3).
  runs.push_back({"a", 1, run_of({{3, 1.0, 2.0}}), true});
  runs.push_back({"b", 1, run_of({{1, 1.0, 2.1}}), true});
  // An interrupted run does not count.
  runs.push_back({"b", 2, run_of({{1, 1.0, 0.1}}), false});
  const auto best = bench::best_losses(runs);
  EXPECT_EQ(best.size(), 2U);
  EXPECT_EQ(best.at(0), 1.0);
  EXPECT_EQ(best.at(1), 2.0);
  const auto summary = bench::summarize(runs, {"a", "b", "c"});
  ASSERT_EQ(summary.size(), 2U);  // "c" has no run
  const auto& a = summary[0];
  EXPECT_EQ(a.runs, 2);
  EXPECT_EQ(a.reached_1, 2);
  EXPECT_DOUBLE_EQ(a.time_1, 2.5);  // median of 2 and 3
  EXPECT_EQ(a.reached_01, 1);
  EXPECT_EQ(a.time_01, kInf);  // median of 3 and +inf
  const auto& b = summary[1];
  EXPECT_EQ(b.reached_1, 1);
  EXPECT_NEAR(b.final_gap, (0.0 + 0.05) / 2, 1e-12);
  const std::string table = bench::summary_table(summary, 2);
  EXPECT_NE(table.find("not reached (1/2)"), std::string::npos) << table;

  const auto curves = bench::median_curves(runs, {"a", "b"}, 20);
  ASSERT_EQ(curves.size(), 2U);
  for (const auto& curve : curves) {
    ASSERT_FALSE(curve.points.empty());
    for (const auto& p : curve.points) {
      EXPECT_LE(p[2], p[1]);  // q10 <= median <= q90
      EXPECT_LE(p[1], p[3]);
      EXPECT_GE(p[1], bench::kFigureOffset);
    }
  }
  EXPECT_NE(bench::gnuplot_script(curves, "t").find("index 1 using 1:2"), std::string::npos);
}

}  // namespace
}  // namespace shine::cli
