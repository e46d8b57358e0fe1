#include "shine/data/dataset.hpp"

#include <algorithm>
#include <cmath>
#include <span>
#include <sstream>
#include <stdexcept>
#include <utility>
#include <vector>

#include "shine/core/communicator.hpp"

namespace shine::data {
namespace {

std::string format_label(double value) {
  std::ostringstream out;
  out.precision(17);
  out << value;
  return out.str();
}

// Sorts the column indices within each row (most inputs are already sorted: only those rows pay).
void sort_rows(SparseMatrix& X) {
  StorageIndex* row_ptr = X.outerIndexPtr();
  StorageIndex* col = X.innerIndexPtr();
  double* val = X.valuePtr();
  std::vector<std::pair<StorageIndex, double>> buffer;
  for (Index i = 0; i < X.rows(); ++i) {
    const StorageIndex begin = row_ptr[i];
    const StorageIndex end = row_ptr[i + 1];
    if (std::is_sorted(col + begin, col + end)) continue;
    buffer.clear();
    for (StorageIndex k = begin; k < end; ++k)
      buffer.emplace_back(col[k], val[k]);
    std::sort(buffer.begin(), buffer.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (StorageIndex k = begin; k < end; ++k) {
      col[k] = buffer[static_cast<std::size_t>(k - begin)].first;
      val[k] = buffer[static_cast<std::size_t>(k - begin)].second;
    }
  }
}

// Xᵀ in CSR by a counting sort over the column indices of X: one pass counts the entries of each
// column, one pass scatters them. Rows of X are visited in order, so every row of Xᵀ comes out with
// ascending column indices. The result is allocated once, at its exact size (Eigen's generic
// transposed assignment first copies X into a growing temporary, which doubles the peak memory).
void transpose_csr(const SparseMatrix& X, SparseMatrix& T) {
  T.resize(X.cols(), X.rows());  // compressed, row pointers zeroed
  T.resizeNonZeros(X.nonZeros());
  const StorageIndex* row_ptr = X.outerIndexPtr();
  const StorageIndex* col = X.innerIndexPtr();
  const double* val = X.valuePtr();
  StorageIndex* t_ptr = T.outerIndexPtr();
  StorageIndex* t_col = T.innerIndexPtr();
  double* t_val = T.valuePtr();
  const auto nnz = static_cast<std::size_t>(X.nonZeros());
  for (std::size_t k = 0; k < nnz; ++k)
    ++t_ptr[col[k] + 1];
  for (Index j = 0; j < T.rows(); ++j)
    t_ptr[j + 1] += t_ptr[j];
  // Scatter, using t_ptr[j] as the cursor of row j of Xᵀ; afterwards t_ptr[j] is where row j + 1
  // starts, so shifting the array right by one restores the row pointers.
  for (Index i = 0; i < X.rows(); ++i) {
    for (StorageIndex k = row_ptr[i]; k < row_ptr[i + 1]; ++k) {
      const StorageIndex at = t_ptr[col[k]]++;
      t_col[at] = static_cast<StorageIndex>(i);
      t_val[at] = val[k];
    }
  }
  for (Index j = T.rows(); j > 0; --j)
    t_ptr[j] = t_ptr[j - 1];
  t_ptr[0] = 0;
}

}  // namespace

std::string LabelMap::to_string() const {
  return format_label(negative) + " -> -1, " + format_label(positive) + " -> +1";
}

Dataset::Dataset(Dataset&& other) noexcept
    : name(std::move(other.name)),
      y(std::move(other.y)),
      labels(other.labels),
      weights(std::move(other.weights)),
      communicator(other.communicator) {
  X.swap(other.X);
  Xt.swap(other.Xt);
}

Dataset& Dataset::operator=(Dataset&& other) noexcept {
  if (this == &other) return *this;
  name = std::move(other.name);
  y = std::move(other.y);
  labels = other.labels;
  weights = std::move(other.weights);
  communicator = other.communicator;
  // Swap, then release what the source received, so the old matrices are freed now.
  X.swap(other.X);
  Xt.swap(other.Xt);
  SparseMatrix().swap(other.X);
  SparseMatrix().swap(other.Xt);
  return *this;
}

LabelMap LabelMap::from_classes(double first, std::optional<double> second) {
  LabelMap map;
  if (second) {
    map.negative = std::min(first, *second);
    map.positive = std::max(first, *second);
  } else if (first > 0.0) {
    map.positive = first;
    map.negative = -1.0;
  } else {
    map.negative = first;
    map.positive = 1.0;
  }
  return map;
}

Index Dataset::positives() const noexcept {
  Index count = 0;
  for (Index i = 0; i < y.size(); ++i)
    count += (y[i] > 0.0) ? 1 : 0;
  return count;
}

double Dataset::total_weight() const noexcept {
  return weighted() ? weights.sum() : static_cast<double>(rows());
}

Index global_rows(const Dataset& data) {
  double rows = static_cast<double>(data.rows());  // exact below 2^53 rows
  core::sum_if_distributed(data.communicator, std::span<double>(&rows, 1));
  return static_cast<Index>(rows);
}

double global_total_weight(const Dataset& data) {
  double total = data.total_weight();
  core::sum_if_distributed(data.communicator, std::span<double>(&total, 1));
  return total;
}

Index global_positives(const Dataset& data) {
  double positives = static_cast<double>(data.positives());
  core::sum_if_distributed(data.communicator, std::span<double>(&positives, 1));
  return static_cast<Index>(positives);
}

std::size_t Dataset::memory_bytes() const noexcept {
  const auto csr_bytes = [](const SparseMatrix& m) {
    return static_cast<std::size_t>(m.nonZeros()) * (sizeof(double) + sizeof(StorageIndex)) +
           static_cast<std::size_t>(m.outerSize() + 1) * sizeof(StorageIndex);
  };
  return csr_bytes(X) + csr_bytes(Xt) +
         static_cast<std::size_t>(y.size() + weights.size()) * sizeof(double);
}

void Dataset::validate() const {
  const auto fail = [this](const std::string& what) {
    throw std::invalid_argument("dataset '" + name + "': " + what);
  };
  if (!X.isCompressed() || !Xt.isCompressed()) fail("X and Xt must be compressed CSR matrices");
  if (Xt.rows() != X.cols() || Xt.cols() != X.rows() || Xt.nonZeros() != X.nonZeros()) {
    fail("Xt is not the transpose of X (shapes or non-zero counts differ)");
  }
  if (y.size() != X.rows()) {
    fail("y has " + std::to_string(y.size()) + " labels for " + std::to_string(X.rows()) + " rows");
  }
  for (Index i = 0; i < y.size(); ++i) {
    if (y[i] != 1.0 && y[i] != -1.0) {
      fail("label " + std::to_string(i) + " is " + format_label(y[i]) + ", must be -1 or +1");
    }
  }
  if (weighted()) {
    if (weights.size() != X.rows()) {
      fail("weights has " + std::to_string(weights.size()) + " entries for " +
           std::to_string(X.rows()) + " rows");
    }
    // One process's rows of a spread dataset may all weigh 0: the rule holds for the whole.
    bool any_positive = X.rows() == 0 || communicator != nullptr;
    for (Index i = 0; i < weights.size(); ++i) {
      if (!std::isfinite(weights[i]) || weights[i] < 0.0) {
        fail("the weight of sample " + std::to_string(i) + " is " + format_label(weights[i]) +
             ", must be finite and >= 0");
      }
      any_positive = any_positive || weights[i] > 0.0;
    }
    if (!any_positive) fail("every sample weight is 0: at least one must be positive");
  }
  const StorageIndex* row_ptr = X.outerIndexPtr();
  const StorageIndex* col = X.innerIndexPtr();
  const double* val = X.valuePtr();
  for (Index i = 0; i < X.rows(); ++i) {
    for (StorageIndex k = row_ptr[i]; k < row_ptr[i + 1]; ++k) {
      if (!std::isfinite(val[k])) {
        fail("X(" + std::to_string(i) + ", " + std::to_string(col[k]) + ") is not finite");
      }
      if (k > row_ptr[i] && col[k] <= col[k - 1]) {
        fail("row " + std::to_string(i) + " has unsorted or duplicate column indices");
      }
    }
  }
}

Dataset make_dataset(SparseMatrix&& X, Vector y, std::string name, LabelMap labels) {
  Dataset data;
  data.X.swap(X);  // O(1): X is left as the empty matrix data.X held
  data.X.makeCompressed();
  sort_rows(data.X);
  transpose_csr(data.X, data.Xt);
  data.name = std::move(name);
  data.labels = labels;
  data.y = std::move(y);
  data.validate();
  return data;
}

Dataset make_dataset(const SparseMatrix& X, Vector y, std::string name, LabelMap labels) {
  SparseMatrix copy(X);
  return make_dataset(std::move(copy), std::move(y), std::move(name), labels);
}

Dataset from_eigen(SparseMatrix&& X, std::span<const double> labels, std::string name) {
  if (static_cast<Index>(labels.size()) != X.rows()) {
    throw std::invalid_argument("from_eigen: " + std::to_string(labels.size()) + " labels for " +
                                std::to_string(X.rows()) + " rows");
  }
  std::optional<double> first, second;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const double label = labels[i];
    if (!std::isfinite(label)) {
      throw std::invalid_argument("from_eigen: label " + std::to_string(i) + " is not finite");
    }
    if (!first) {
      first = label;
    } else if (label != *first && !second) {
      second = label;
    } else if (label != *first && label != *second) {
      throw std::invalid_argument("from_eigen: a third class " + format_label(label) +
                                  " (classes so far: " + format_label(*first) + ", " +
                                  format_label(*second) +
                                  "): shine handles binary classification only");
    }
  }
  const LabelMap map = first ? LabelMap::from_classes(*first, second) : LabelMap{};
  Vector y(X.rows());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    y[static_cast<Index>(i)] = labels[i] == map.positive ? 1.0 : -1.0;
  }
  return make_dataset(std::move(X), std::move(y), std::move(name), map);
}

Dataset from_eigen(const SparseMatrix& X, std::span<const double> labels, std::string name) {
  return from_eigen(SparseMatrix(X), labels, std::move(name));
}

}  // namespace shine::data
