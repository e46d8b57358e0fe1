#include "shine/data/dataset.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <utility>
#include <vector>

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
    for (StorageIndex k = begin; k < end; ++k) buffer.emplace_back(col[k], val[k]);
    std::sort(buffer.begin(), buffer.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (StorageIndex k = begin; k < end; ++k) {
      col[k] = buffer[static_cast<std::size_t>(k - begin)].first;
      val[k] = buffer[static_cast<std::size_t>(k - begin)].second;
    }
  }
}

}  // namespace

std::string LabelMap::to_string() const {
  return format_label(negative) + " -> -1, " + format_label(positive) + " -> +1";
}

Index Dataset::positives() const noexcept {
  Index count = 0;
  for (Index i = 0; i < y.size(); ++i) count += (y[i] > 0.0) ? 1 : 0;
  return count;
}

std::size_t Dataset::memory_bytes() const noexcept {
  const auto csr_bytes = [](const SparseMatrix& m) {
    return static_cast<std::size_t>(m.nonZeros()) * (sizeof(double) + sizeof(StorageIndex)) +
           static_cast<std::size_t>(m.outerSize() + 1) * sizeof(StorageIndex);
  };
  return csr_bytes(X) + csr_bytes(Xt) + static_cast<std::size_t>(y.size()) * sizeof(double);
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
    fail("y has " + std::to_string(y.size()) + " labels for " + std::to_string(X.rows()) +
         " rows");
  }
  for (Index i = 0; i < y.size(); ++i) {
    if (y[i] != 1.0 && y[i] != -1.0) {
      fail("label " + std::to_string(i) + " is " + format_label(y[i]) + ", must be -1 or +1");
    }
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

Dataset make_dataset(SparseMatrix X, Vector y, std::string name, LabelMap labels) {
  X.makeCompressed();
  sort_rows(X);
  Dataset data;
  data.name = std::move(name);
  data.labels = labels;
  // Assigning across storage orders is a counting sort over the rows of X, so the rows of Xt come
  // out with ascending column indices as well.
  data.Xt = X.transpose();
  data.Xt.makeCompressed();
  data.X = std::move(X);
  data.y = std::move(y);
  data.validate();
  return data;
}

}  // namespace shine::data
