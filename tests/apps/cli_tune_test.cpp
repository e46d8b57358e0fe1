// `shine tune`: the run on the shipped data, its JSON against the documented schema, the model,
// and every kind of bad input with its exit code and message.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "cli_support.hpp"
#include "shine/model/logistic_model.hpp"
#include "shine/outer/tune_option_table.hpp"

namespace shine::cli {
namespace {

using namespace test_support;
using nlohmann::json;

bool number_or_null(const json& j) {
  return j.is_number() || j.is_null();
}

// The documented schema of `shine tune --json` (docs/cli.md): keys and types.
void expect_trajectory_schema(const json& j, std::size_t hyperparameters) {
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.at("format"), "shine-trajectory");
  EXPECT_EQ(j.at("version"), 2);
  EXPECT_TRUE(j.at("complete").is_boolean());
  const json& run = j.at("run");
  EXPECT_EQ(run.at("tool"), "shine");
  EXPECT_TRUE(run.at("version").is_string());
  EXPECT_TRUE(run.at("command").is_string());
  EXPECT_TRUE(run.at("started").is_string());
  ASSERT_TRUE(j.at("datasets").is_array());
  for (const json& d : j.at("datasets")) {
    EXPECT_TRUE(d.at("role").is_string());
    EXPECT_TRUE(d.at("source").is_string());
    for (const char* key : {"rows", "features", "nnz", "positives"})
      EXPECT_TRUE(d.at(key).is_number_integer()) << key;
  }
  EXPECT_TRUE(j.at("labels").at("negative").is_number());
  EXPECT_TRUE(j.at("labels").at("positive").is_number());
  const json& config = j.at("config");
  EXPECT_TRUE(config.at("method").is_string());
  for (const char* key : {"max_iterations", "candidates", "memory", "threads", "seed"})
    EXPECT_TRUE(config.at(key).is_number_integer()) << key;
  EXPECT_TRUE(config.at("schedule").is_object());
  EXPECT_TRUE(config.at("step").is_object());
  EXPECT_TRUE(config.at("hypergrad").is_object());
  EXPECT_TRUE(config.at("lbfgs").is_object());
  EXPECT_TRUE(config.at("secant").is_object());
  EXPECT_TRUE(config.at("objective").is_object());
  // Every option of the table is recorded, at the path of its name.
  for (const outer::TuneOptionSpec& spec : outer::tune_option_table()) {
    const json* node = &config;
    std::string name(spec.name);
    for (auto dot = name.find('.'); dot != std::string::npos; dot = name.find('.')) {
      node = &node->at(name.substr(0, dot));
      name.erase(0, dot + 1);
    }
    ASSERT_TRUE(node->contains(name)) << spec.name;
    const json& value = node->at(name);
    switch (spec.kind) {
      case outer::OptionKind::Switch:
        EXPECT_TRUE(value.is_boolean()) << spec.name;
        break;
      case outer::OptionKind::Integer:
      case outer::OptionKind::Seed:
        EXPECT_TRUE(value.is_number_integer()) << spec.name;
        break;
      case outer::OptionKind::Real:
        EXPECT_TRUE(value.is_number()) << spec.name;
        break;
      case outer::OptionKind::Name:
        EXPECT_TRUE(value.is_string()) << spec.name;
        break;
    }
  }
  EXPECT_TRUE(config.at("inner_tolerance_formula").is_string());
  EXPECT_TRUE(j.at("termination").is_string());
  EXPECT_TRUE(j.at("message").is_string());
  EXPECT_TRUE(j.at("has_result").is_boolean());
  const auto lambda_like = [&](const json& v) {
    if (hyperparameters == 1) return number_or_null(v);
    return v.is_null() || (v.is_array() && v.size() == hyperparameters);
  };
  EXPECT_TRUE(lambda_like(j.at("theta")));
  EXPECT_TRUE(lambda_like(j.at("lambda")));
  for (const char* key : {"validation_loss", "validation_accuracy", "test_loss", "test_accuracy"})
    EXPECT_TRUE(number_or_null(j.at(key))) << key;
  EXPECT_TRUE(j.at("elapsed_seconds").is_number());
  EXPECT_TRUE(j.at("best_iteration").is_number_integer() || j.at("best_iteration").is_null());
  ASSERT_TRUE(j.at("records").is_array());
  int expected_iteration = 0;
  for (const json& r : j.at("records")) {
    EXPECT_EQ(r.at("iteration"), expected_iteration++);
    EXPECT_TRUE(lambda_like(r.at("theta")));
    EXPECT_TRUE(lambda_like(r.at("lambda")));
    EXPECT_TRUE(r.at("lambda").is_number() || r.at("lambda").is_array());
    for (const char* key : {"validation_loss", "validation_accuracy", "test_loss", "test_accuracy",
                            "hypergradient_norm", "tolerance", "lipschitz"})
      EXPECT_TRUE(number_or_null(r.at(key))) << key;
    EXPECT_TRUE(r.at("step").is_string() || r.at("step").is_null());
    EXPECT_TRUE(r.at("returned").is_number_integer() || r.at("returned").is_null());
    EXPECT_TRUE(r.at("elapsed_seconds").is_number());
    EXPECT_TRUE(r.at("iteration_seconds").is_number());
    EXPECT_TRUE(r.at("data_passes").is_number_integer());
    const json& inner = r.at("inner");
    EXPECT_TRUE(inner.at("termination").is_string());
    EXPECT_TRUE(inner.at("iterations").is_number_integer());
    EXPECT_TRUE(inner.at("seconds").is_number());
    EXPECT_TRUE(r.at("hypergradient_summary").is_object() ||
                r.at("hypergradient_summary").is_null());
  }
}

class CliTune : public CliTest {
 protected:
  // `shine tune` on the shipped subsample for `iterations` outer iterations with `extra` flags;
  // its JSON trajectory.
  json tune_json(const std::string& iterations, const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"tune",          shipped_subsample(), "--max-iterations",
                                     iterations,      "--quiet",           "--json",
                                     path("run.json")};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = shine(args);
    EXPECT_EQ(r.code, 0) << r.err;
    return read_json(dir_ / "run.json");
  }
};

TEST_F(CliTune, TunesTheShippedDataAndWritesJsonAndModel) {
  const auto r = shine({"tune", shipped_subsample(), "--max-iterations", "3", "--seed", "1",
                        "--json", path("run.json"), "--model", path("model.json")});
  ASSERT_EQ(r.code, 0) << r.err;
  // Summary on stdout.
  for (const char* key : {"lambda       ", "validation   loss", "held-out     loss", "time  ",
                          "accuracy", "model        "}) {
    EXPECT_NE(r.out.find(key), std::string::npos) << key << "\n" << r.out;
  }
  // Header, column names and one progress line per outer iteration on stderr.
  EXPECT_NE(r.err.find("tuning lambda by shine"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("|hypergrad|"), std::string::npos);
  EXPECT_EQ(count_lines(r.err), 2U + 3U) << r.err;

  const json j = read_json(dir_ / "run.json");
  expect_trajectory_schema(j, 1);
  EXPECT_TRUE(j.at("complete").get<bool>());
  EXPECT_EQ(j.at("termination"), "max_iterations");
  EXPECT_EQ(j.at("records").size(), 3U);
  EXPECT_EQ(j.at("config").at("method"), "shine");
  EXPECT_EQ(j.at("config").at("seed"), 1);
  EXPECT_GT(j.at("lambda").get<double>(), 0.0);
  EXPECT_GT(j.at("test_loss").get<double>(), 0.0);
  EXPECT_EQ(j.at("datasets").size(), 3U);
  EXPECT_EQ(j.at("datasets")[1].at("rows"), 45);  // 5 % of 900

  const auto model = model::load_json(dir_ / "model.json");
  EXPECT_DOUBLE_EQ(model.lambda[0], j.at("lambda").get<double>());
  EXPECT_EQ(model.n_features(), j.at("datasets")[0].at("features").get<Index>());
  EXPECT_EQ(files(), (std::vector<std::string>{"model.json", "run.json"}));
}

TEST_F(CliTune, EveryMethodRuns) {
  for (const char* method :
       {"hoag", "shine", "shine-refine", "shine-opa", "jacobian-free", "grid", "random"}) {
    const auto r = shine({"tune", shipped_subsample(), "--method", method, "--max-iterations", "2",
                          "--candidates", "2", "--quiet", "--json", path("run.json")});
    ASSERT_EQ(r.code, 0) << method << ": " << r.err;
    EXPECT_TRUE(r.err.empty()) << r.err;
    const json j = read_json(dir_ / "run.json");
    expect_trajectory_schema(j, 1);
    EXPECT_EQ(j.at("config").at("method"), method);
    EXPECT_EQ(j.at("records").size(), 2U) << method;
    const bool baseline = std::string(method) == "grid" || std::string(method) == "random";
    EXPECT_EQ(j.at("records")[0].at("hypergradient").is_null(), baseline) << method;
  }
}

TEST_F(CliTune, DiagonalScalingIsRecordedAndChangesTheSolves) {
  const auto run = [&](const std::vector<std::string>& extra) { return tune_json("3", extra); };
  // On by default; `--diagonal-scaling` alone also means on.
  const json plain = run({"--diagonal-scaling", "off"});
  const json scaled = run({});
  EXPECT_FALSE(plain.at("config").at("lbfgs").at("diagonal_scaling").get<bool>());
  EXPECT_TRUE(scaled.at("config").at("lbfgs").at("diagonal_scaling").get<bool>());
  EXPECT_TRUE(
      run({"--diagonal-scaling"}).at("config").at("lbfgs").at("diagonal_scaling").get<bool>());
  // H0 = gamma Delta gives other iterates from the first solve on.
  EXPECT_NE(plain.at("records")[0].at("validation_loss").get<double>(),
            scaled.at("records")[0].at("validation_loss").get<double>());
}

// A switch that is off by default (--intercept) is a bare flag; --warm-memory takes
// auto|on|off and alone means on; the JSON says what was in force.
TEST_F(CliTune, BareSwitchesTurnOptionsOn) {
  const auto run = [&](const std::vector<std::string>& extra) { return tune_json("2", extra); };
  const json plain = run({});
  EXPECT_FALSE(plain.at("config").at("objective").at("fit_intercept").get<bool>());
  EXPECT_EQ(plain.at("config").at("warm_memory").get<std::string>(), "auto");
  EXPECT_FALSE(plain.at("config").at("warm_memory_in_force").get<bool>());
  const json both = run({"--intercept", "--warm-memory"});
  EXPECT_TRUE(both.at("config").at("objective").at("fit_intercept").get<bool>());
  EXPECT_EQ(both.at("config").at("warm_memory").get<std::string>(), "on");
  EXPECT_TRUE(both.at("config").at("warm_memory_in_force").get<bool>());
  EXPECT_EQ(run({"--warm-memory", "off"}).at("config").at("warm_memory").get<std::string>(), "off");
}

// --pair-precision is auto by default; the JSON records the storage in force: binary16 from
// 8 MiB of double pairs (2·m·d·8 bytes), double below, and a fixed value as given.
TEST_F(CliTune, AutomaticPairPrecisionIsResolvedAndRecorded) {
  const auto run = [&](const std::vector<std::string>& extra) { return tune_json("2", extra); };
  const json plain = run({});
  EXPECT_EQ(plain.at("config").at("lbfgs").at("pair_precision").get<std::string>(), "auto");
  const auto features = plain.at("datasets")[0].at("features").get<double>();
  const auto memory = plain.at("config").at("memory").get<double>();
  const std::string expected =
      2.0 * memory * features * 8.0 >= 8.0 * 1024 * 1024 ? "half" : "double";
  EXPECT_EQ(plain.at("config").at("pair_precision_in_force").get<std::string>(), expected);
  const json single = run({"--pair-precision", "single"});
  EXPECT_EQ(single.at("config").at("pair_precision_in_force").get<std::string>(), "single");
  const json small = run({"--memory", "2"});
  const std::string expected_small =
      2.0 * 2 * features * 8.0 >= 8.0 * 1024 * 1024 ? "half" : "double";
  EXPECT_EQ(small.at("config").at("pair_precision_in_force").get<std::string>(), expected_small);
}

TEST_F(CliTune, UsesGivenValidationAndTestFiles) {
  ASSERT_EQ(shine({"data", "split", shipped_subsample(), "--out", dir_.string(), "--split",
                   "0.8,0.1,0.1", "--seed", "2"})
                .code,
            0);
  const std::string stem = fs::path(shipped_subsample()).stem().string();
  const auto r = shine({"tune", path(stem + ".train.svm"), "--validation",
                        path(stem + ".validation.svm"), "--test", path(stem + ".test.svm"),
                        "--max-iterations", "2", "--json", path("run.json"), "--verbose"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("inner: converged"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("hypergradient: shine"), std::string::npos) << r.err;
  const json j = read_json(dir_ / "run.json");
  EXPECT_EQ(j.at("datasets")[0].at("rows"), 720);
  EXPECT_EQ(j.at("datasets")[1].at("rows"), 90);
  EXPECT_EQ(j.at("datasets")[2].at("rows"), 90);
  EXPECT_EQ(j.at("datasets")[1].at("source"), path(stem + ".validation.svm"));
  // All three parts share the training file's feature count.
  EXPECT_EQ(j.at("datasets")[1].at("features"), j.at("datasets")[0].at("features"));
  // Only a validation file: the test part is split off TRAIN.
  const auto half =
      shine({"tune", path(stem + ".train.svm"), "--validation", path(stem + ".validation.svm"),
             "--max-iterations", "1", "--quiet", "--json", path("half.json")});
  ASSERT_EQ(half.code, 0) << half.err;
  const json h = read_json(dir_ / "half.json");
  EXPECT_EQ(h.at("datasets")[0].at("rows"), 684);  // 95 % of 720
  EXPECT_EQ(h.at("datasets")[2].at("rows"), 36);
}

TEST_F(CliTune, GroupsGiveOneLambdaPerGroup) {
  write("groups.txt",
        "# feature group\n1 low\n2 low\n3 low\n10 mid  # trailing comment\n11 mid\n"
        "999999999 far\n");
  const auto r =
      shine({"tune", shipped_subsample(), "--groups", path("groups.txt"), "--max-iterations", "2",
             "--json", path("run.json"), "--model", path("model.json")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("groups: 3"), std::string::npos) << r.err;  // low, mid, (unlisted)
  EXPECT_NE(r.out.find("lambdas      3 groups"), std::string::npos) << r.out;
  const json j = read_json(dir_ / "run.json");
  expect_trajectory_schema(j, 3);
  EXPECT_EQ(j.at("lambda").size(), 3U);
  const auto model = model::load_json(dir_ / "model.json");
  EXPECT_EQ(model.lambda.size(), 3);
  EXPECT_EQ(model.group_of[0], 0);
  EXPECT_EQ(model.group_of[9], 1);
  EXPECT_EQ(model.group_of[4], 2);
}

// Weights of 2 on every row make h(w; λ) = 2 h_unweighted(w; λ/2): the same solves at λ and at
// λ/2 (L-BFGS, its line search and its stop test do not see the factor), so a grid shifted by
// log 2 reports the same validation losses. The JSON records the weights.
TEST_F(CliTune, SampleWeightsOfTwoHalveTheRegularizationAndAreRecorded) {
  std::string twos;
  for (int i = 0; i < 900; ++i)
    twos += "2\n";
  write("twos.txt", twos);
  const double shift = std::log(2.0);
  const auto weighted =
      shine({"tune", shipped_subsample(), "--weights", path("twos.txt"), "--method", "grid",
             "--candidates", "3", "--bounds", "-3,1", "--json", path("w.json"), "-q"});
  ASSERT_EQ(weighted.code, 0) << weighted.err;
  char bounds[64];
  std::snprintf(bounds, sizeof bounds, "%.17g,%.17g", -3.0 - shift, 1.0 - shift);
  const auto plain = shine({"tune", shipped_subsample(), "--method", "grid", "--candidates", "3",
                            "--bounds", bounds, "--json", path("p.json"), "-q"});
  ASSERT_EQ(plain.code, 0) << plain.err;
  const json w = read_json(dir_ / "w.json");
  const json p = read_json(dir_ / "p.json");
  ASSERT_EQ(w.at("records").size(), 3U);
  for (std::size_t i = 0; i < 3; ++i) {
    const double a = w.at("records")[i].at("validation_loss").get<double>();
    const double b = p.at("records")[i].at("validation_loss").get<double>();
    EXPECT_NEAR(a, b, 1e-9 * b) << i;
  }
  EXPECT_EQ(w.at("run").at("weights"), path("twos.txt"));
  EXPECT_NEAR(w.at("datasets")[0].at("total_weight").get<double>(),
              2.0 * w.at("datasets")[0].at("rows").get<double>(), 1e-9);
  EXPECT_FALSE(p.at("datasets")[0].contains("total_weight"));

  // Balanced class weights: recorded, each class half of the training weight, another result.
  const auto balanced =
      shine({"tune", shipped_subsample(), "--class-weight", "balanced", "--method", "grid",
             "--candidates", "3", "--bounds", "-3,1", "--json", path("b.json"), "-q"});
  ASSERT_EQ(balanced.code, 0) << balanced.err;
  const json b = read_json(dir_ / "b.json");
  EXPECT_EQ(b.at("run").at("class-weight"), "balanced");
  EXPECT_NEAR(b.at("datasets")[0].at("total_weight").get<double>(),
              b.at("datasets")[0].at("rows").get<double>(), 1e-9);
  EXPECT_NE(b.at("records")[0].at("validation_loss"), w.at("records")[0].at("validation_loss"));
}

// --cv K: the folds replace the validation part (TRAIN goes to train and test), the summary and
// the JSON say so, and the model is refit on the train part unless --refit off.
TEST_F(CliTune, CrossValidationReplacesTheValidationPart) {
  const auto r = shine({"tune", shipped_subsample(), "--cv", "3", "--max-iterations", "3", "--json",
                        path("cv.json"), "--model", path("model.json")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("cv           loss"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(3 folds)"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("3-fold cross-validation"), std::string::npos) << r.err;
  const json j = read_json(dir_ / "cv.json");
  expect_trajectory_schema(j, 1);
  EXPECT_EQ(j.at("config").at("folds"), 3);
  EXPECT_EQ(j.at("config").at("refit"), true);
  EXPECT_EQ(j.at("datasets")[0].at("rows"), 855);  // 95 % of 900: no validation part
  EXPECT_NE(j.at("datasets")[1].at("source").get<std::string>().find("3-fold"), std::string::npos);
  const auto refit = model::load_json(dir_ / "model.json");
  const auto mean = shine({"tune", shipped_subsample(), "--cv", "3", "--max-iterations", "3",
                           "--refit", "off", "--model", path("mean.json"), "-q"});
  ASSERT_EQ(mean.code, 0) << mean.err;
  const auto averaged = model::load_json(dir_ / "mean.json");
  EXPECT_EQ(averaged.lambda, refit.lambda);
  EXPECT_NE(averaged.weights, refit.weights);
  // More folds than rows: a clear error before any work.
  const auto too_many = shine({"tune", shipped_subsample(), "--cv", "900", "-q"});
  EXPECT_EQ(too_many.code, 2);
  EXPECT_NE(too_many.err.find("use fewer folds or more data"), std::string::npos) << too_many.err;
}

TEST_F(CliTune, BadGroupFilesAreInputErrors) {
  write("bad.txt", "1 a\n2\n");
  auto r = shine({"tune", shipped_subsample(), "--groups", path("bad.txt")});
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("bad.txt:2:1: expected 'FEATURE GROUP'"), std::string::npos) << r.err;
  write("twice.txt", "1 a\n1 b\n");
  r = shine({"tune", shipped_subsample(), "--groups", path("twice.txt")});
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("listed twice"), std::string::npos) << r.err;
  write("zero.txt", "0 a\n");
  r = shine({"tune", shipped_subsample(), "--groups", path("zero.txt")});
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("1-based"), std::string::npos) << r.err;
}

TEST_F(CliTune, BadOptionsAreUsageErrorsThatSayWhatToFix) {
  const std::string train = shipped_subsample();
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--method", "adam"}, "--method must be hoag, shine, shine-opa"},
      {{"--max-iterations", "0"}, "--max-iterations must be in [1, 100000], got 0"},
      {{"--lambda0", "-1"}, "--lambda0 must be > 0, got -1"},
      {{"--bounds", "3,1"}, "--bounds LO,HI needs LO < HI, got 3,1"},
      {{"--bounds", "x"}, "--bounds must be two numbers"},
      {{"--lambda0", "1e9"}, "--lambda0 1e+09 is outside the bounds"},
      {{"--split", "0.9,0.2,0.1"}, "--split"},
      {{"--split", "1,0,0"}, "validation part 0 rows"},
      {{"--schedule", "linear"}, "--schedule must be exponential, quadratic or cubic"},
      {{"--schedule", "cubic", "--rho", "0.5"}, "--rho applies to the exponential schedule only"},
      {{"--rho", "1.5"}, "--rho must be in (0, 1), got 1.5"},
      {{"--memory", "0"}, "--memory must be in [1, 1000], got 0"},
      {{"--threads", "-2"}, "--threads must be >= 0"},
      {{"--time-budget", "-1"}, "--time-budget must be >= 0"},
      {{"--step", "triple"}, "--step must be secant, single or double"},
      {{"--inner-tolerance", "0"}, "--inner-tolerance must be in (0, 1), got 0"},
      {{"--final-tolerance", "1"}, "--final-tolerance must be in (0, 1), got 1"},
      {{"--bounce-cg-tolerance", "1"}, "--bounce-cg-tolerance must be in [0, 1) (0 = off), got 1"},
      {{"--bounce-cg-tolerance", "-0.1"},
       "--bounce-cg-tolerance must be in [0, 1) (0 = off), got -0.1"},
      {{"--theta-tolerance", "2"}, "--theta-tolerance must be in (0, 1], got 2"},
      {{"--diagonal-scaling", "yes"}, "--diagonal-scaling must be on or off, got 'yes'"},
      {{"--initial-weights", "ones"}, "--initial-weights must be zero or gaussian"},
      {{"--quiet", "--verbose"}, "exclude each other"},
      {{"--json", "/nonexistent-folder/run.json"}, "does not exist; create it first"},
      {{"--model", "."}, "is a folder"},
      {{"--bogus"}, "unrecognised option '--bogus'"},
      {{"--max-iterations", "many"}, "--max-iterations must be in [1, 100000], got 'many'"},
      {{"--trust-radius", "9"}, "--trust-radius must be in (0, --max-trust-radius], got 9"},
      {{"--h0", "diagonal"}, "--h0 must be scaled_identity or identity, got 'diagonal'"},
  };
  for (const auto& [extra, message] : cases) {
    std::vector<std::string> args{"tune", train};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = shine(args);
    EXPECT_EQ(r.code, 2) << extra[0] << ": " << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << extra[0] << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  auto r = shine({"tune"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("missing TRAIN"), std::string::npos) << r.err;
  r = shine({"tune", train, "--validation", train, "--test", train, "--split", "0.8,0.1,0.1"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--split is not used"), std::string::npos) << r.err;
  EXPECT_TRUE(files().empty());
}

TEST_F(CliTune, BadFilesAreInputErrorsAndLeaveNoOutput) {
  const auto bad = write("bad.svm", "+1 1:0.5 3:1\n-1 0:2\n");
  auto r = shine({"tune", bad.string(), "--json", path("run.json"), "--model", path("m.json")});
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("bad.svm:2:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("LIBSVM indices start at 1"), std::string::npos) << r.err;
  // A bad validation file, after TRAIN was read: still no output at all.
  r = shine({"tune", shipped_subsample(), "--validation", bad.string(), "--json", path("run.json"),
             "--model", path("m.json")});
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("bad.svm:2:"), std::string::npos) << r.err;
  // A validation file with a label TRAIN does not have.
  const auto other = write("other.svm", "7 1:1\n");
  r = shine({"tune", shipped_subsample(), "--validation", other.string()});
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("label '7'"), std::string::npos) << r.err;
  r = shine({"tune", path("absent.svm")});
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("neither a file nor a registered dataset"), std::string::npos) << r.err;
  EXPECT_EQ(files(), (std::vector<std::string>{"bad.svm", "other.svm"}));
}

TEST_F(CliTune, NoUsableResultExitsWithFour) {
  // A budget too small for one evaluation: nothing to return, but the JSON says why.
  const auto r = shine({"tune", shipped_subsample(), "--time-budget", "1e-9", "--json",
                        path("run.json"), "--model", path("model.json")});
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_NE(r.err.find("no usable result"), std::string::npos) << r.err;
  const json j = read_json(dir_ / "run.json");
  expect_trajectory_schema(j, 1);
  EXPECT_FALSE(j.at("has_result").get<bool>());
  EXPECT_TRUE(j.at("lambda").is_null());
  EXPECT_EQ(j.at("termination"), "time_limit");
  EXPECT_FALSE(fs::exists(dir_ / "model.json"));
}

TEST_F(CliTune, SeedMakesRunsReproducible) {
  const std::vector<std::string> args{
      "tune",   shipped_subsample(), "--method", "random", "--candidates", "3", "--seed", "7",
      "--quiet"};
  auto a = args, b = args;
  a.insert(a.end(), {"--json", path("a.json")});
  b.insert(b.end(), {"--json", path("b.json")});
  ASSERT_EQ(shine(a).code, 0);
  ASSERT_EQ(shine(b).code, 0);
  const json ja = read_json(dir_ / "a.json");
  const json jb = read_json(dir_ / "b.json");
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(ja.at("records")[i].at("lambda"), jb.at("records")[i].at("lambda"));
    EXPECT_EQ(ja.at("records")[i].at("test_loss"), jb.at("records")[i].at("test_loss"));
  }
}

}  // namespace
}  // namespace shine::cli
