// `shine fit` and `shine predict`: models on the shipped data, predictions and metrics, the
// liblinear export checked against Debian's liblinear-tools, bad input.
#include <gtest/gtest.h>

#include "cli_support.hpp"
#include "shine/data/sample_weights.hpp"
#include "shine/model/logistic_model.hpp"

namespace shine::cli {
namespace {

using namespace test_support;

class CliFitPredict : public CliTest {
 protected:
  // Splits the subsample into train / test files in the test folder.
  void split() {
    ASSERT_EQ(shine({"data", "split", shipped_subsample(), "--out", dir_.string(), "--split",
                     "0.8,0,0.2", "--seed", "4"})
                  .code,
              0);
    const std::string stem = fs::path(shipped_subsample()).stem().string();
    fs::rename(dir_ / (stem + ".train.svm"), dir_ / "train.svm");
    fs::rename(dir_ / (stem + ".test.svm"), dir_ / "test.svm");
  }
};

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> result;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    result.push_back(line);
  return result;
}

TEST_F(CliFitPredict, FitsSavesAndPredicts) {
  split();
  auto r = shine({"fit", path("train.svm"), "--lambda", "0.01", "--model", path("m.json"), "--test",
                  path("test.svm")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("solve        converged"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("test         loss"), std::string::npos) << r.out;
  const auto model = model::load_json(dir_ / "m.json");
  EXPECT_DOUBLE_EQ(model.lambda[0], 0.01);
  EXPECT_FALSE(model.fit_intercept);

  // To a file: the metrics on stdout.
  r = shine({"predict", path("m.json"), path("test.svm"), "--output", path("labels.txt")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("accuracy "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("log-loss "), std::string::npos) << r.out;
  const auto labels = lines(read_file(dir_ / "labels.txt"));
  EXPECT_EQ(labels.size(), 180U);
  for (const auto& label : labels)
    EXPECT_TRUE(label == "1" || label == "-1") << label;
  // To stdout: only predictions there, the metrics on stderr.
  r = shine({"predict", path("m.json"), path("test.svm")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(lines(r.out), labels);
  EXPECT_NE(r.err.find("accuracy "), std::string::npos) << r.err;
  // Probabilities in liblinear's layout.
  r = shine({"predict", path("m.json"), path("test.svm"), "--probabilities", "--quiet"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(r.err.empty());
  const auto rows = lines(r.out);
  ASSERT_EQ(rows.size(), 181U);
  EXPECT_EQ(rows[0], "labels 1 -1");
  std::istringstream first(rows[1]);
  std::string label;
  double p_positive = 0, p_negative = 0;
  first >> label >> p_positive >> p_negative;
  EXPECT_NEAR(p_positive + p_negative, 1.0, 1e-5);
  EXPECT_EQ(label, p_positive > 0.5 ? "1" : "-1");
  // The metrics agree with the model layer's.
  const auto test = data::read_libsvm(dir_ / "test.svm", model.read_options());
  const model::Metrics m = model.evaluate(test);
  r = shine({"predict", path("m.json"), path("test.svm"), "--output", path("again.txt")});
  char expected[64];
  std::snprintf(expected, sizeof expected, "log-loss %.6f", m.log_loss);
  EXPECT_NE(r.out.find(expected), std::string::npos) << r.out;
}

TEST_F(CliFitPredict, CIsTheInverseOfLambdaAndInterceptIsFitted) {
  split();
  ASSERT_EQ(shine({"fit", path("train.svm"), "--C", "4", "--intercept", "--model", path("m.json"),
                   "--quiet"})
                .code,
            0);
  const auto model = model::load_json(dir_ / "m.json");
  EXPECT_DOUBLE_EQ(model.lambda[0], 0.25);
  EXPECT_TRUE(model.fit_intercept);
  EXPECT_NE(model.intercept, 0.0);
}

TEST_F(CliFitPredict, TuneModelPredictsLikeItsSummary) {
  const auto r = shine({"tune", shipped_subsample(), "--max-iterations", "2", "--quiet", "--model",
                        path("m.json"), "--json", path("run.json")});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto run = read_json(dir_ / "run.json");
  const auto model = model::load_json(dir_ / "m.json");
  EXPECT_DOUBLE_EQ(model.lambda[0], run.at("lambda").get<double>());
}

// Weighted data: `tune` reports the weighted test metrics; `predict --weights` of its model on
// the same test rows and weights prints the same numbers (one function computes both), and the
// model layer gives them bit for bit. `fit` reports weighted metrics too.
TEST_F(CliFitPredict, WeightedMetricsAgreeBetweenTuneAndPredict) {
  ASSERT_EQ(shine({"data", "split", shipped_subsample(), "--out", dir_.string(), "--split",
                   "0.6,0.2,0.2", "--seed", "2"})
                .code,
            0);
  const std::string stem = (dir_ / fs::path(shipped_subsample()).stem()).string();
  const std::string train = stem + ".train.svm", validation = stem + ".validation.svm",
                    test = stem + ".test.svm";
  const auto weight_file = [&](const std::string& name, Index rows, int seed) {
    std::string text;
    for (Index i = 0; i < rows; ++i)
      text += std::to_string(0.5 * static_cast<double>((i * 7 + seed) % 5)) + "\n";  // 0 to 2
    return write(name, text).string();
  };
  const std::string test_weights = weight_file("test.w", 180, 3);
  auto r = shine({"tune", train, "--weights", weight_file("train.w", 540, 1), "--validation",
                  validation, "--validation-weights", weight_file("validation.w", 180, 2), "--test",
                  test, "--test-weights", test_weights, "--max-iterations", "3", "--quiet",
                  "--model", path("m.json"), "--json", path("run.json")});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto run = read_json(dir_ / "run.json");
  const double test_loss = run.at("test_loss").get<double>();
  const double test_accuracy = run.at("test_accuracy").get<double>();

  const auto model = model::load_json(dir_ / "m.json");
  data::Dataset test_data = data::read_libsvm(test, model.read_options());
  data::set_sample_weights(test_data, data::read_sample_weights(test_weights, 180));
  const model::Metrics m = model.evaluate(test_data);
  EXPECT_EQ(m.log_loss, test_loss);
  EXPECT_EQ(m.accuracy, test_accuracy);
  test_data.weights = Vector();
  EXPECT_NE(model.evaluate(test_data).log_loss, test_loss);  // the weights matter here

  r = shine(
      {"predict", path("m.json"), test, "--weights", test_weights, "--output", path("labels.txt")});
  ASSERT_EQ(r.code, 0) << r.err;
  char expected[128];
  std::snprintf(expected, sizeof expected, "accuracy %.4f %% (weighted; ", 100.0 * test_accuracy);
  EXPECT_NE(r.out.find(expected), std::string::npos) << r.out << " vs " << expected;
  std::snprintf(expected, sizeof expected, "log-loss %.6f (weighted)", test_loss);
  EXPECT_NE(r.out.find(expected), std::string::npos) << r.out << " vs " << expected;

  // `fit`: weighted metrics, on the training and the test rows.
  r = shine({"fit", train, "--lambda", "0.01", "--weights", path("train.w"), "--test", test,
             "--test-weights", test_weights, "--model", path("fit.json")});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto fitted = model::load_json(dir_ / "fit.json");
  test_data.weights = Vector();
  data::set_sample_weights(test_data, data::read_sample_weights(test_weights, 180));
  std::snprintf(expected, sizeof expected,
                "test         loss %.6f   accuracy %.2f %%   (180 rows, weighted)",
                fitted.evaluate(test_data).log_loss, 100.0 * fitted.evaluate(test_data).accuracy);
  EXPECT_NE(r.out.find(expected), std::string::npos) << r.out << " vs " << expected;
  EXPECT_NE(r.out.find("(540 rows, weighted)"), std::string::npos) << r.out;
}

TEST_F(CliFitPredict, BadOptionsAndFiles) {
  split();
  const std::string train = path("train.svm");
  const std::vector<std::pair<std::vector<std::string>, std::string>> usage = {
      {{"fit", train, "--lambda", "-1", "--model", path("m.json")}, "--lambda must be > 0, got -1"},
      {{"fit", train, "--C", "0", "--model", path("m.json")}, "--C must be > 0, got 0"},
      {{"fit", train, "--lambda", "1", "--C", "1", "--model", path("m.json")}, "not both"},
      {{"fit", train, "--model", path("m.json")}, "--lambda L (or --C C) is required"},
      {{"fit", train, "--lambda", "1"}, "--model FILE is required"},
      {{"fit", train, "--lambda", "1e-400", "--model", path("m.json")}, "--lambda must be > 0"},
      {{"fit", train, "--lambda", "1", "--model", path("m.json"), "--tolerance", "2"},
       "--tolerance must be in [0, 1), got 2"},
      {{"fit", train, "--lambda", "1", "--model", "/no/such/dir/m.json"}, "does not exist"},
      {{"predict", path("m.json")}, "missing DATA"},
      {{"predict", path("m.json"), train, "--threads", "-1"}, "--threads must be >= 0"},
  };
  for (const auto& [args, message] : usage) {
    const auto r = shine(args);
    EXPECT_EQ(r.code, 2) << args[0] << " " << args.back() << ": " << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
  }
  EXPECT_FALSE(fs::exists(dir_ / "m.json"));

  // Missing and corrupt models, data with foreign labels: input errors (3).
  auto r = shine({"predict", path("absent.json"), train});
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("absent.json: cannot open the model file (no such file)"), std::string::npos)
      << r.err;
  write("corrupt.json", "{\"format\": \"shine-logistic-model\", \"version\": 1");
  r = shine({"predict", path("corrupt.json"), train});
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("corrupt.json: not a JSON model file"), std::string::npos) << r.err;
  ASSERT_EQ(shine({"fit", train, "--lambda", "0.1", "--model", path("m.json"), "--quiet"}).code, 0);
  write("foreign.svm", "3 1:1\n4 2:1\n");
  r = shine({"predict", path("m.json"), path("foreign.svm"), "--output", path("out.txt")});
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("--ignore-labels"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "out.txt"));  // no partial output
  r = shine({"predict", path("m.json"), path("foreign.svm"), "--ignore-labels"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(lines(r.out).size(), 2U);
  EXPECT_TRUE(r.err.empty()) << r.err;
}

// Runs Debian's liblinear-predict (package liblinear-tools) on our export and compares.
class LiblinearRoundTrip : public CliTest {
 protected:
  static std::string tool() {
    for (const char* candidate : {"/usr/bin/liblinear-predict", "/usr/local/bin/liblinear-predict"})
      if (fs::exists(candidate)) return candidate;
    return {};
  }
  void check(const std::string& train, const std::string& test, bool intercept) {
    const std::string predict = tool();
    if (predict.empty())
      GTEST_SKIP() << "liblinear-predict not installed (Debian: liblinear-tools)";
    std::vector<std::string> fit{"fit",     train,          "--lambda",    "0.05",
                                 "--model", path("m.json"), "--liblinear", path("m.liblinear"),
                                 "--quiet"};
    if (intercept) fit.push_back("--intercept");
    const auto r = shine(fit);
    ASSERT_EQ(r.code, 0) << r.err;
    ASSERT_EQ(
        shine({"predict", path("m.json"), test, "--probabilities", "--output", path("ours.txt")})
            .code,
        0);
    const auto theirs =
        run_binary({predict, "-b", "1", test, path("m.liblinear"), path("theirs.txt")}, dir_);
    ASSERT_EQ(theirs.code, 0) << theirs.out << theirs.err;
    const auto a = lines(read_file(dir_ / "ours.txt"));
    const auto b = lines(read_file(dir_ / "theirs.txt"));
    ASSERT_EQ(a.size(), b.size());
    EXPECT_EQ(a[0], b[0]);  // "labels P N": same label order
    for (std::size_t i = 1; i < a.size(); ++i) {
      std::istringstream x(a[i]), y(b[i]);
      std::string label_a, label_b;
      double pa = 0, pb = 0;
      x >> label_a >> pa;
      y >> label_b >> pb;
      EXPECT_EQ(label_a, label_b) << "row " << i;
      EXPECT_NEAR(pa, pb, 1e-5) << "row " << i;
    }
  }
};

TEST_F(LiblinearRoundTrip, ShippedDataWithIntercept) {
  ASSERT_EQ(shine({"data", "split", shipped_subsample(), "--out", dir_.string(), "--split",
                   "0.8,0,0.2", "--seed", "1"})
                .code,
            0);
  const std::string stem = fs::path(shipped_subsample()).stem().string();
  check(path(stem + ".train.svm"), path(stem + ".test.svm"), true);
}

TEST_F(LiblinearRoundTrip, OtherLabelValuesWithoutIntercept) {
  // Labels 2 and 5 (5 -> +1), and a test file with a feature beyond the training ones.
  write("train.svm",
        "2 1:1 2:0.5\n2 1:0.8 3:0.2\n5 2:1 3:1\n5 2:0.7\n2 1:0.9 2:0.1\n5 3:0.9\n"
        "5 1:0.2 3:0.5\n2 1:0.6\n");
  write("test.svm", "5 3:1\n2 1:1 4:3\n2 1:0.5 2:0.5\n5 2:1 3:0.1\n");
  check(path("train.svm"), path("test.svm"), false);
}

}  // namespace
}  // namespace shine::cli
