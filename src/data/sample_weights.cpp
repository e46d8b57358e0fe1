// Sample and class weights (see sample_weights.hpp).
#include "shine/data/sample_weights.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <utility>

#include "shine/data/libsvm_io.hpp"

namespace shine::data {
namespace {

void check_class_weight(double value, const char* field) {
  if (!std::isfinite(value) || value <= 0.0) {
    throw std::invalid_argument(std::string("ClassWeights::") + field + " = " +
                                std::to_string(value) + ": must be finite and > 0");
  }
}

}  // namespace

void ClassWeights::validate() const {
  check_class_weight(negative, "negative");
  check_class_weight(positive, "positive");
}

ClassWeights balanced_class_weights(const Dataset& data) {
  // Rows spread over processes: the whole dataset's counts.
  const Index rows = global_rows(data);
  const Index positives = global_positives(data);
  const Index negatives = rows - positives;
  if (positives == 0 || negatives == 0) {
    throw std::invalid_argument("balanced class weights: the dataset '" + data.name + "' has " +
                                std::to_string(positives) + " positive and " +
                                std::to_string(negatives) +
                                " negative samples; both classes are needed");
  }
  const auto n = static_cast<double>(rows);
  return {n / (2.0 * static_cast<double>(negatives)), n / (2.0 * static_cast<double>(positives))};
}

void set_sample_weights(Dataset& data, Vector weights) {
  std::swap(data.weights, weights);
  try {
    data.validate();
  } catch (...) {
    std::swap(data.weights, weights);
    throw;
  }
}

void apply_class_weights(Dataset& data, const ClassWeights& weights) {
  weights.validate();
  Vector c = data.weighted() ? data.weights : Vector::Ones(data.rows());
  for (Index i = 0; i < data.rows(); ++i)
    c[i] *= data.y[i] > 0.0 ? weights.positive : weights.negative;
  set_sample_weights(data, std::move(c));
}

Vector read_sample_weights(const std::string& path, Index rows) {
  std::error_code folder_error;
  if (std::filesystem::is_directory(path, folder_error)) {
    throw std::runtime_error(path + ": is a folder, not a weight file");
  }
  std::ifstream in(path);
  if (!in) {
    throw std::runtime_error(path + ": cannot open the weight file" +
                             (std::filesystem::exists(path) ? "" : " (no such file)"));
  }
  Vector weights(rows);
  Index count = 0;
  std::string line;
  std::int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    const auto last = line.find_last_not_of(" \t\r");
    const std::string text = line.substr(first, last - first + 1);
    const auto column = static_cast<std::int64_t>(first + 1);
    errno = 0;
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(value) ||
        value < 0.0) {
      throw ParseError(path, number, column,
                       "'" + text + "' is not a weight: one finite number >= 0 per line");
    }
    if (count == rows) {
      throw ParseError(path, number, column,
                       "more weights than the " + std::to_string(rows) +
                           " rows of the data: one weight per row, in the data file's order");
    }
    weights[count++] = value;
  }
  if (in.bad()) throw std::runtime_error(path + ": cannot read the weight file");
  if (count != rows) {
    throw ParseError(path, 0, 0,
                     std::to_string(count) + " weights for the " + std::to_string(rows) +
                         " rows of the data: one weight per row, in the data file's order");
  }
  return weights;
}

void attach_weight_file(Dataset& data, const std::string& path, Index first_row,
                        std::optional<Index> total_rows) {
  Vector weights = read_sample_weights(path, total_rows.value_or(data.rows()));
  if (weights.size() > 0 && weights.maxCoeff() == 0.0) {
    throw ParseError(path, 0, 0, "every weight is 0: at least one sample must weigh more than 0");
  }
  if (total_rows) weights = Vector(weights.segment(first_row, data.rows()));
  set_sample_weights(data, std::move(weights));
}

}  // namespace shine::data
