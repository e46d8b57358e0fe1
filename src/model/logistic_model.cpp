#include "shine/model/logistic_model.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

#include "linalg/row_kernels.hpp"
#include "shine/core/atomic_file.hpp"
#include "shine/objective/heldout_metrics.hpp"
#include "shine/objective/logistic_loss.hpp"

namespace shine::model {
namespace {

using json = nlohmann::ordered_json;

constexpr const char* kFormat = "shine-logistic-model";
constexpr int kVersion = 1;

std::string number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.17g", value);
  return buffer;
}

// Reads `object[key]`, failing with a message naming the key and the expected type.
const json& member(const json& object, const char* key, const std::string& source) {
  const auto it = object.find(key);
  if (it == object.end()) throw ModelError(source, std::string("key '") + key + "' is missing");
  return *it;
}

double as_number(const json& value, const std::string& what, const std::string& source) {
  if (!value.is_number()) {
    throw ModelError(source, what + " must be a number, got " + std::string(value.type_name()));
  }
  return value.get<double>();
}

}  // namespace

LogisticModel LogisticModel::from_solution(const Vector& w, bool fit_intercept, Vector lambda,
                                           data::LabelMap labels,
                                           std::vector<std::int32_t> group_of) {
  LogisticModel model;
  const Index d = w.size() - (fit_intercept ? 1 : 0);
  if (d < 1) throw std::invalid_argument("LogisticModel::from_solution: w has no feature weight");
  model.weights = w.head(d);
  model.fit_intercept = fit_intercept;
  model.intercept = fit_intercept ? w[d] : 0.0;
  model.lambda = std::move(lambda);
  model.group_of = std::move(group_of);
  model.labels = labels;
  model.validate();
  return model;
}

void LogisticModel::validate() const {
  if (weights.size() == 0) throw std::invalid_argument("LogisticModel: no weights");
  if (!weights.allFinite()) throw std::invalid_argument("LogisticModel: a weight is not finite");
  if (!std::isfinite(intercept)) {
    throw std::invalid_argument("LogisticModel: the intercept is not finite");
  }
  if (!fit_intercept && intercept != 0.0) {
    throw std::invalid_argument("LogisticModel: intercept = " + number(intercept) +
                                " but fit_intercept is false");
  }
  if (lambda.size() == 0) throw std::invalid_argument("LogisticModel: lambda is empty");
  for (Index k = 0; k < lambda.size(); ++k) {
    if (!(std::isfinite(lambda[k]) && lambda[k] > 0.0)) {
      throw std::invalid_argument("LogisticModel: lambda[" + std::to_string(k) +
                                  "] = " + number(lambda[k]) + ": must be finite and > 0");
    }
  }
  if (group_of.empty()) {
    if (lambda.size() != 1) {
      throw std::invalid_argument("LogisticModel: " + std::to_string(lambda.size()) +
                                  " lambdas need a group map (group_of)");
    }
  } else {
    if (static_cast<Index>(group_of.size()) != weights.size()) {
      throw std::invalid_argument("LogisticModel: group_of has " + std::to_string(group_of.size()) +
                                  " entries for " + std::to_string(weights.size()) + " features");
    }
    for (std::size_t j = 0; j < group_of.size(); ++j) {
      if (group_of[j] < 0 || group_of[j] >= lambda.size()) {
        throw std::invalid_argument("LogisticModel: group_of[" + std::to_string(j) +
                                    "] = " + std::to_string(group_of[j]) + ": must be in [0, " +
                                    std::to_string(lambda.size()) + ")");
      }
    }
  }
  if (!std::isfinite(labels.negative) || !std::isfinite(labels.positive) ||
      labels.negative == labels.positive) {
    throw std::invalid_argument(
        "LogisticModel: the labels must be two distinct finite values, got " + labels.to_string());
  }
}

data::ReadOptions LogisticModel::read_options() const {
  data::ReadOptions options;
  options.n_features = n_features();
  options.drop_extra_features = true;
  options.labels = labels;
  return options;
}

Vector LogisticModel::decision_function(const SparseMatrix& X, int num_threads) const {
  // Columns beyond d carry weight 0: pad w rather than test every index.
  Vector padded;
  const double* w = weights.data();
  if (X.cols() > weights.size()) {
    padded = Vector::Zero(X.cols());
    padded.head(weights.size()) = weights;
    w = padded.data();
  }
  Vector t(X.rows());
  if (X.rows() == 0) return t;
  const linalg::RowChunks chunks = linalg::RowChunks::balanced(X);
  const double b = intercept;
  linalg::for_each_chunk(chunks, linalg::resolve_threads(num_threads),
                         [&](Index /*chunk*/, Index begin, Index end) {
                           for (Index i = begin; i < end; ++i)
                             t[i] = linalg::row_dot(X, i, w) + b;
                         });
  return t;
}

Vector LogisticModel::probabilities(const data::Dataset& data, int num_threads) const {
  Vector p = decision_function(data, num_threads);
  for (Index i = 0; i < p.size(); ++i)
    p[i] = objective::sigmoid(p[i]);
  return p;
}

Vector LogisticModel::predict_signs(const data::Dataset& data, int num_threads) const {
  Vector t = decision_function(data, num_threads);
  for (Index i = 0; i < t.size(); ++i)
    t[i] = objective::predicted_sign(t[i]);
  return t;
}

std::vector<double> LogisticModel::predict_labels(const data::Dataset& data,
                                                  int num_threads) const {
  const Vector t = decision_function(data, num_threads);
  std::vector<double> result(static_cast<std::size_t>(t.size()));
  for (Index i = 0; i < t.size(); ++i)
    result[static_cast<std::size_t>(i)] =
        objective::predicted_sign(t[i]) > 0.0 ? labels.positive : labels.negative;
  return result;
}

Metrics LogisticModel::evaluate(const data::Dataset& data, int num_threads) const {
  if (data.labels.negative != labels.negative || data.labels.positive != labels.positive) {
    throw std::invalid_argument("LogisticModel::evaluate: the data's labels map " +
                                data.labels.to_string() + " but the model's map " +
                                labels.to_string() + "; read the data with read_options()");
  }
  // The weights in the objective layout of `data`'s columns: those beyond d weigh 0, and d may
  // exceed the columns; then the intercept.
  const Index columns = data.features();
  const Index shared = std::min(columns, n_features());
  Vector w = Vector::Zero(columns + (fit_intercept ? 1 : 0));
  w.head(shared) = weights.head(shared);
  if (fit_intercept) w[columns] = intercept;
  const objective::HeldOutMetrics heldout =
      objective::evaluate_heldout(data, w, fit_intercept, num_threads);
  Metrics metrics;
  metrics.rows = heldout.rows;
  metrics.correct = heldout.correct;
  if (heldout.rows == 0) return metrics;
  metrics.total_weight = heldout.total_weight;
  metrics.log_loss = heldout.mean_loss;
  metrics.accuracy = heldout.accuracy;
  return metrics;
}

std::string to_json(const LogisticModel& model) {
  model.validate();
  json document = json::object();
  document["format"] = kFormat;
  document["version"] = kVersion;
  document["n_features"] = model.n_features();
  document["fit_intercept"] = model.fit_intercept;
  document["intercept"] = model.intercept;
  if (model.lambda.size() == 1) {
    document["lambda"] = model.lambda[0];
  } else {
    document["lambda"] = std::vector<double>(model.lambda.begin(), model.lambda.end());
    document["group_of"] = model.group_of;
  }
  document["labels"] = {{"negative", model.labels.negative}, {"positive", model.labels.positive}};
  if (!model.description.empty()) document["description"] = model.description;
  document["weights"] = std::vector<double>(model.weights.begin(), model.weights.end());
  return document.dump(1) + "\n";
}

LogisticModel from_json(std::string_view text, const std::string& source) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    throw ModelError(source, "the model file is empty: expected a JSON model written by shine");
  }
  json document;
  try {
    document = json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    // Parse errors, and numbers beyond the double range (out_of_range.406). The library's tag
    // "[json.exception.parse_error.101] " means nothing to a reader: keep what follows it.
    std::string problem = e.what();
    if (const auto tag = problem.find("] ");
        problem.rfind("[json.exception.", 0) == 0 && tag != std::string::npos) {
      problem.erase(0, tag + 2);
    }
    throw ModelError(source, "not a JSON model file: " + problem);
  }
  if (!document.is_object()) throw ModelError(source, "not a JSON object");
  const json& format = member(document, "format", source);
  if (!format.is_string() || format.get<std::string>() != kFormat) {
    throw ModelError(source, std::string("not a shine model (format must be \"") + kFormat +
                                 "\", got " + format.dump() + ")");
  }
  const json& version = member(document, "version", source);
  if (!version.is_number_integer()) throw ModelError(source, "version must be an integer");
  if (version.get<std::int64_t>() > kVersion || version.get<std::int64_t>() < 1) {
    throw ModelError(source, "model format version " + version.dump() +
                                 " is not supported (this shine reads version " +
                                 std::to_string(kVersion) + "); use a newer shine");
  }

  LogisticModel model;
  const json& n_features = member(document, "n_features", source);
  if (!n_features.is_number_integer() || n_features.get<long long>() < 1) {
    throw ModelError(source, "n_features must be a positive integer, got " + n_features.dump());
  }
  const auto d = static_cast<Index>(n_features.get<long long>());

  const json& weights = member(document, "weights", source);
  if (!weights.is_array()) throw ModelError(source, "weights must be an array of numbers");
  if (static_cast<Index>(weights.size()) != d) {
    throw ModelError(source, "weights has " + std::to_string(weights.size()) +
                                 " entries but n_features is " + std::to_string(d));
  }
  model.weights.resize(d);
  for (Index j = 0; j < d; ++j) {
    model.weights[j] = as_number(weights[static_cast<std::size_t>(j)],
                                 "weights[" + std::to_string(j) + "]", source);
  }

  const json& fit_intercept = member(document, "fit_intercept", source);
  if (!fit_intercept.is_boolean()) throw ModelError(source, "fit_intercept must be true or false");
  model.fit_intercept = fit_intercept.get<bool>();
  model.intercept = as_number(member(document, "intercept", source), "intercept", source);

  const json& lambda = member(document, "lambda", source);
  if (lambda.is_number()) {
    model.lambda = Vector::Constant(1, lambda.get<double>());
  } else if (lambda.is_array() && !lambda.empty()) {
    model.lambda.resize(static_cast<Index>(lambda.size()));
    for (std::size_t k = 0; k < lambda.size(); ++k) {
      model.lambda[static_cast<Index>(k)] =
          as_number(lambda[k], "lambda[" + std::to_string(k) + "]", source);
    }
  } else {
    throw ModelError(source, "lambda must be a number or a non-empty array of numbers");
  }
  if (const auto it = document.find("group_of"); it != document.end()) {
    if (!it->is_array()) throw ModelError(source, "group_of must be an array of integers");
    for (const json& group : *it) {
      if (!group.is_number_integer()) {
        throw ModelError(source, "group_of must be an array of integers");
      }
      const auto value = group.get<std::int64_t>();
      if (value < 0 || value > std::numeric_limits<std::int32_t>::max()) {
        throw ModelError(source, "group_of[" + std::to_string(model.group_of.size()) +
                                     "] = " + group.dump() + ": must be in [0, " +
                                     std::to_string(model.lambda.size()) + ")");
      }
      model.group_of.push_back(static_cast<std::int32_t>(value));
    }
  }

  const json& labels = member(document, "labels", source);
  if (!labels.is_object()) {
    throw ModelError(source, "labels must be an object {\"negative\": v, \"positive\": v}");
  }
  model.labels.negative = as_number(member(labels, "negative", source), "labels.negative", source);
  model.labels.positive = as_number(member(labels, "positive", source), "labels.positive", source);
  if (const auto it = document.find("description"); it != document.end() && it->is_string()) {
    model.description = it->get<std::string>();
  }
  try {
    model.validate();
  } catch (const std::invalid_argument& e) {
    std::string problem = e.what();
    if (problem.rfind("LogisticModel: ", 0) == 0) problem.erase(0, 15);
    throw ModelError(source, problem);
  }
  return model;
}

void save_json(const LogisticModel& model, const std::filesystem::path& path) {
  write_file_atomically(path, to_json(model));
}

LogisticModel load_json(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw std::runtime_error(path.string() + ": is a folder, not a model file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error(path.string() + ": cannot open the model file" +
                             (std::filesystem::exists(path) ? "" : " (no such file)"));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw std::runtime_error(path.string() + ": cannot read the model file");
  return from_json(text.str(), path.string());
}

void write_liblinear(const LogisticModel& model, std::ostream& out) {
  model.validate();
  const auto integer_label = [](double value) {
    if (!(std::isfinite(value) && value == std::trunc(value) && value >= -2147483648.0 &&
          value <= 2147483647.0)) {
      throw std::invalid_argument(
          "liblinear stores labels as integers; this model's label " + number(value) +
          " is not one (convert the data to integer labels, e.g. with 'shine data convert "
          "--pm1-labels', and fit again)");
    }
    return static_cast<long long>(value);
  };
  const long long positive = integer_label(model.labels.positive);
  const long long negative = integer_label(model.labels.negative);
  out << "solver_type L2R_LR\n"
      << "nr_class 2\n"
      << "label " << positive << ' ' << negative << '\n'
      << "nr_feature " << model.n_features() << '\n'
      << "bias " << (model.fit_intercept ? "1" : "-1") << '\n'
      << "w\n";
  for (Index j = 0; j < model.weights.size(); ++j)
    out << number(model.weights[j]) << '\n';
  if (model.fit_intercept) out << number(model.intercept) << '\n';
  if (!out) throw std::runtime_error("write_liblinear: the output stream failed");
}

void export_liblinear(const LogisticModel& model, const std::filesystem::path& path) {
  model.validate();
  AtomicFile file(path);
  write_liblinear(model, file.stream());
  file.commit();
}

}  // namespace shine::model
