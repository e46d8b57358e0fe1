// The model layer: predictions, the JSON file (round trip, errors, atomic writes) and the
// liblinear export.
#include "shine/model/logistic_model.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "shine/core/atomic_file.hpp"
#include "shine/data/sample_weights.hpp"
#include "shine/inner/lbfgs_solver.hpp"
#include "shine/objective/logistic_loss.hpp"
#include "support/random_problems.hpp"

namespace shine::model {
namespace {

namespace fs = std::filesystem;

class ModelFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("shine_model_test_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  [[nodiscard]] std::vector<fs::path> files() const {
    std::vector<fs::path> found;
    for (const auto& entry : fs::directory_iterator(dir_))
      found.push_back(entry.path().filename());
    return found;
  }
  fs::path dir_;
};

// x0 = (1, 0, 2), x1 = (0, -1, 0), x2 = (0, 0, 0); labels mapped from {0, 1}.
data::Dataset tiny() {
  SparseMatrix X(3, 3);
  X.insert(0, 0) = 1.0;
  X.insert(0, 2) = 2.0;
  X.insert(1, 1) = -1.0;
  X.makeCompressed();
  Vector y(3);
  y << 1.0, -1.0, -1.0;
  return data::make_dataset(X, y, "tiny", data::LabelMap{0.0, 1.0});
}

LogisticModel tiny_model(bool intercept) {
  Vector w(intercept ? 4 : 3);
  if (intercept) {
    w << 0.5, 2.0, -0.25, -0.1;
  } else {
    w << 0.5, 2.0, -0.25;
  }
  return LogisticModel::from_solution(w, intercept, Vector::Constant(1, 0.3),
                                      data::LabelMap{0.0, 1.0});
}

TEST(LogisticModel, FromSolutionSplitsTheIntercept) {
  const LogisticModel a = tiny_model(false);
  EXPECT_EQ(a.n_features(), 3);
  EXPECT_FALSE(a.fit_intercept);
  EXPECT_EQ(a.intercept, 0.0);
  const LogisticModel b = tiny_model(true);
  EXPECT_EQ(b.n_features(), 3);
  EXPECT_TRUE(b.fit_intercept);
  EXPECT_EQ(b.intercept, -0.1);
  EXPECT_EQ(b.weights[2], -0.25);
}

TEST(LogisticModel, ValidateNamesTheProblem) {
  LogisticModel m = tiny_model(false);
  m.lambda[0] = -1.0;
  EXPECT_THROW(m.validate(), std::invalid_argument);
  m = tiny_model(false);
  m.weights[1] = std::nan("");
  EXPECT_THROW(m.validate(), std::invalid_argument);
  m = tiny_model(false);
  m.lambda = Vector::Ones(2);  // two lambdas without a group map
  EXPECT_THROW(m.validate(), std::invalid_argument);
  m.group_of = {0, 1, 2};  // group 2 out of range
  EXPECT_THROW(m.validate(), std::invalid_argument);
  m.group_of = {0, 1, 1};
  EXPECT_NO_THROW(m.validate());
  m = tiny_model(false);
  m.intercept = 1.0;  // an intercept that was not fitted
  EXPECT_THROW(m.validate(), std::invalid_argument);
  m = tiny_model(false);
  m.labels = {1.0, 1.0};
  EXPECT_THROW(m.validate(), std::invalid_argument);
}

TEST(LogisticModel, PredictionsFollowTheDecisionFunction) {
  const data::Dataset data = tiny();
  const LogisticModel m = tiny_model(true);
  const Vector t = m.decision_function(data, 1);
  ASSERT_EQ(t.size(), 3);
  EXPECT_DOUBLE_EQ(t[0], 0.5 * 1.0 - 0.25 * 2.0 - 0.1);
  EXPECT_DOUBLE_EQ(t[1], -2.0 - 0.1);
  EXPECT_DOUBLE_EQ(t[2], -0.1);
  const Vector p = m.probabilities(data);
  for (Index i = 0; i < 3; ++i)
    EXPECT_DOUBLE_EQ(p[i], objective::sigmoid(t[i]));
  const auto labels = m.predict_labels(data);
  EXPECT_EQ(labels, (std::vector<double>{0.0, 0.0, 0.0}));
  const Vector signs = m.predict_signs(data);
  EXPECT_EQ(signs[0], -1.0);

  // Positive decision value -> the positive original label.
  const LogisticModel plain = tiny_model(false);
  EXPECT_EQ(plain.predict_labels(data)[0], 0.0);  // t = 0: not > 0, negative label
  EXPECT_EQ(plain.predict_labels(data)[1], 0.0);  // t = -2
  LogisticModel positive = plain;
  positive.weights[0] = 1.0;  // t0 = 1 - 0.5 = 0.5
  EXPECT_EQ(positive.predict_labels(data)[0], 1.0);
}

TEST(LogisticModel, ExtraColumnsAreIgnoredAndMissingOnesAreZero) {
  const LogisticModel m = tiny_model(false);
  SparseMatrix wide(1, 5);
  wide.insert(0, 0) = 1.0;
  wide.insert(0, 4) = 100.0;  // beyond the model's 3 features
  wide.makeCompressed();
  EXPECT_DOUBLE_EQ(m.decision_function(wide)[0], 0.5);
  SparseMatrix narrow(1, 2);
  narrow.insert(0, 1) = 1.0;
  narrow.makeCompressed();
  EXPECT_DOUBLE_EQ(m.decision_function(narrow)[0], 2.0);
}

TEST(LogisticModel, EvaluateMatchesTheDefinitions) {
  const data::Dataset data = test::random_dataset(200, 30, 0.2, 4);
  const Vector w = test::random_vector(30, 9, 0.3);
  const LogisticModel m =
      LogisticModel::from_solution(w, false, Vector::Constant(1, 1.0), data.labels);
  const Metrics metrics = m.evaluate(data, 2);
  const Vector t = data.X * w;
  double loss = 0.0;
  Index correct = 0;
  for (Index i = 0; i < data.rows(); ++i) {
    loss += std::log1p(std::exp(-data.y[i] * t[i]));
    correct += ((t[i] > 0.0) == (data.y[i] > 0.0)) ? 1 : 0;
  }
  EXPECT_EQ(metrics.rows, 200);
  EXPECT_EQ(metrics.correct, correct);
  EXPECT_NEAR(metrics.log_loss, loss / 200.0, 1e-12);
  EXPECT_DOUBLE_EQ(metrics.accuracy, static_cast<double>(correct) / 200.0);
  // Data read with another label mapping is refused.
  data::Dataset other = data;
  other.labels = {0.0, 1.0};
  EXPECT_THROW((void)m.evaluate(other), std::invalid_argument);
}

TEST(LogisticModel, EvaluateWeighsTheSamples) {
  // Sample weights, an intercept and labels 0/1: the weighted mean log-loss Σ c_i ℓ_i / Σ c_i and
  // the weighted accuracy, computed by hand in the ±1 space of the model's label mapping.
  data::Dataset data = test::random_dataset(150, 20, 0.25, 14);
  data.labels = {0.0, 1.0};
  Vector c(150);
  for (Index i = 0; i < 150; ++i)
    c[i] = 0.5 * static_cast<double>((i * 3 + 2) % 5);  // 1, 0, 2, 1.5, 0.5, …
  data::set_sample_weights(data, c);
  const Vector w = test::random_vector(21, 3, 0.4);  // 20 weights, then the intercept
  const LogisticModel m =
      LogisticModel::from_solution(w, true, Vector::Constant(1, 0.5), data.labels);
  const Vector t = (data.X * w.head(20)).array() + w[20];
  double loss = 0.0, right_weight = 0.0;
  Index right = 0;
  for (Index i = 0; i < data.rows(); ++i) {
    loss += c[i] * std::log1p(std::exp(-data.y[i] * t[i]));
    const bool hit = (t[i] > 0.0) == (data.y[i] > 0.0);
    right_weight += hit ? c[i] : 0.0;
    right += hit ? 1 : 0;
  }
  const Metrics metrics = m.evaluate(data, 2);
  EXPECT_EQ(metrics.rows, 150);
  EXPECT_EQ(metrics.correct, right);
  EXPECT_NEAR(metrics.total_weight, c.sum(), 1e-12 * c.sum());
  EXPECT_NEAR(metrics.log_loss, loss / c.sum(), 1e-12);
  EXPECT_NEAR(metrics.accuracy, right_weight / c.sum(), 1e-15);
  // Not the unweighted numbers.
  data::Dataset plain = data;
  plain.weights = Vector();
  EXPECT_NE(m.evaluate(plain).log_loss, metrics.log_loss);
  // Weights of one give the unweighted numbers bit for bit.
  data::Dataset ones = plain;
  data::set_sample_weights(ones, Vector::Ones(150));
  EXPECT_EQ(m.evaluate(ones).log_loss, m.evaluate(plain).log_loss);
  EXPECT_EQ(m.evaluate(ones).accuracy, m.evaluate(plain).accuracy);
}

TEST(LogisticModel, FittedModelPredictsItsTrainingDataWell) {
  const data::Dataset data = test::random_dataset(300, 20, 0.3, 11, 0.05);
  const objective::InnerObjective objective(data, std::log(0.1));
  const inner::InnerResult solved =
      inner::minimize(objective, Vector::Zero(objective.dim()), inner::LbfgsOptions{});
  const LogisticModel m =
      LogisticModel::from_solution(solved.w, false, Vector::Constant(1, 0.1), data.labels);
  EXPECT_GT(m.evaluate(data).accuracy, 0.85);
  // The mean log-loss equals the data term of the objective divided by n.
  const objective::LogisticState state = objective.evaluate(solved.w);
  EXPECT_NEAR(m.evaluate(data).log_loss, state.loss / 300.0, 1e-12);
}

TEST(ModelJson, RoundTripIsExact) {
  LogisticModel m = tiny_model(true);
  m.weights[0] = 0.1 + 0.2;  // not a short decimal
  m.weights[1] = -1e-300;
  m.labels = {2.0, 5.0};
  m.description = "a \"quoted\" description";
  const LogisticModel back = from_json(to_json(m));
  EXPECT_EQ(back.weights, m.weights);
  EXPECT_EQ(back.intercept, m.intercept);
  EXPECT_EQ(back.fit_intercept, m.fit_intercept);
  EXPECT_EQ(back.lambda, m.lambda);
  EXPECT_EQ(back.labels.negative, 2.0);
  EXPECT_EQ(back.labels.positive, 5.0);
  EXPECT_EQ(back.description, m.description);
  EXPECT_TRUE(back.group_of.empty());
}

TEST(ModelJson, GroupsRoundTrip) {
  LogisticModel m = tiny_model(false);
  m.lambda = Vector(2);
  m.lambda << 0.5, 4.0;
  m.group_of = {1, 0, 1};
  const LogisticModel back = from_json(to_json(m));
  EXPECT_EQ(back.lambda, m.lambda);
  EXPECT_EQ(back.group_of, m.group_of);
}

TEST(ModelJson, HasTheDocumentedKeysAndTypes) {
  const nlohmann::json j = nlohmann::json::parse(to_json(tiny_model(true)));
  EXPECT_EQ(j.at("format"), "shine-logistic-model");
  EXPECT_EQ(j.at("version"), 1);
  EXPECT_TRUE(j.at("n_features").is_number_integer());
  EXPECT_EQ(j.at("n_features"), 3);
  ASSERT_TRUE(j.at("weights").is_array());
  EXPECT_EQ(j.at("weights").size(), 3U);
  EXPECT_TRUE(j.at("intercept").is_number());
  EXPECT_TRUE(j.at("fit_intercept").is_boolean());
  EXPECT_TRUE(j.at("lambda").is_number());
  EXPECT_TRUE(j.at("labels").at("negative").is_number());
  EXPECT_TRUE(j.at("labels").at("positive").is_number());
  EXPECT_FALSE(j.contains("group_of"));
}

TEST(ModelJson, ErrorsSayWhatIsWrong) {
  const auto message = [](const std::string& text) {
    try {
      (void)from_json(text, "m.json");
    } catch (const ModelError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("{not json").find("m.json: not a JSON model file"), std::string::npos);
  EXPECT_NE(message("[1, 2]").find("not a JSON object"), std::string::npos);
  EXPECT_NE(message(R"({"format": "other"})").find("not a shine model"), std::string::npos);
  nlohmann::json good = nlohmann::json::parse(to_json(tiny_model(false)));
  auto changed = [&](const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json copy = good;
    edit(copy);
    return message(copy.dump());
  };
  EXPECT_NE(changed([](auto& j) { j.erase("weights"); }).find("key 'weights' is missing"),
            std::string::npos);
  EXPECT_NE(changed([](auto& j) {
              j["n_features"] = 4;
            }).find("weights has 3 entries but n_features is 4"),
            std::string::npos);
  EXPECT_NE(changed([](auto& j) { j["version"] = 7; }).find("use a newer shine"),
            std::string::npos);
  EXPECT_NE(changed([](auto& j) { j["weights"][1] = "x"; }).find("weights[1] must be a number"),
            std::string::npos);
  EXPECT_NE(changed([](auto& j) { j["lambda"] = -2; }).find("must be finite and > 0"),
            std::string::npos);
  EXPECT_NE(changed([](auto& j) { j["weights"][0] = nullptr; }).find("weights[0] must be a number"),
            std::string::npos);
  EXPECT_EQ(changed([](auto& j) { j["unknown_key"] = 1; }), "no error");
}

TEST_F(ModelFiles, SaveAndLoadAFile) {
  const LogisticModel m = tiny_model(true);
  save_json(m, dir_ / "m.json");
  const LogisticModel back = load_json(dir_ / "m.json");
  EXPECT_EQ(back.weights, m.weights);
  EXPECT_EQ(files(), std::vector<fs::path>{"m.json"});  // no temporary left behind
  EXPECT_THROW((void)load_json(dir_ / "absent.json"), std::runtime_error);
}

TEST_F(ModelFiles, FailedWritesLeaveNoFileAndKeepTheOldOne) {
  // Into a folder that does not exist: an error naming the path, nothing written.
  try {
    save_json(tiny_model(false), dir_ / "no" / "m.json");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("m.json"), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(dir_ / "no"));
  // An invalid model: the existing file stays as it was.
  save_json(tiny_model(false), dir_ / "m.json");
  const auto before = fs::file_size(dir_ / "m.json");
  LogisticModel bad = tiny_model(false);
  bad.weights[0] = std::numeric_limits<double>::infinity();
  EXPECT_THROW(save_json(bad, dir_ / "m.json"), std::invalid_argument);
  EXPECT_EQ(fs::file_size(dir_ / "m.json"), before);
  EXPECT_EQ(files(), std::vector<fs::path>{"m.json"});
}

TEST_F(ModelFiles, AtomicFileWithoutCommitLeavesNothing) {
  {
    AtomicFile file(dir_ / "partial.txt");
    file.stream() << "half of it";
    // destroyed without commit(), as when an exception unwinds the writer
  }
  EXPECT_TRUE(files().empty());
  {
    AtomicFile file(dir_ / "whole.txt");
    file.stream() << "all of it";
    file.commit();
  }
  EXPECT_EQ(files(), std::vector<fs::path>{"whole.txt"});
}

TEST(Liblinear, WritesTheTextModelFormat) {
  LogisticModel m = tiny_model(true);
  m.labels = {2.0, 5.0};
  std::ostringstream out;
  write_liblinear(m, out);
  EXPECT_EQ(out.str(),
            "solver_type L2R_LR\nnr_class 2\nlabel 5 2\nnr_feature 3\nbias 1\nw\n"
            "0.5\n2\n-0.25\n-0.10000000000000001\n");
  std::ostringstream plain;
  write_liblinear(tiny_model(false), plain);
  EXPECT_NE(plain.str().find("label 1 0\n"), std::string::npos);
  EXPECT_NE(plain.str().find("bias -1\nw\n0.5\n2\n-0.25\n"), std::string::npos);
  EXPECT_EQ(plain.str().substr(plain.str().size() - 6), "-0.25\n");
}

TEST(Liblinear, RefusesNonIntegerLabels) {
  LogisticModel m = tiny_model(false);
  m.labels = {0.5, 1.5};
  std::ostringstream out;
  try {
    write_liblinear(m, out);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("integers"), std::string::npos);
  }
}

}  // namespace
}  // namespace shine::model
