#include "shine/data/split.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "shine/core/check.hpp"
#include "shine/core/random.hpp"

namespace shine::data {

void SplitOptions::validate() const {
  require(train > 0.0 && train <= 1.0, "SplitOptions::train", train, "must be in (0, 1]");
  require(validation >= 0.0 && validation < 1.0, "SplitOptions::validation", validation,
          "must be in [0, 1)");
  require(test >= 0.0 && test < 1.0, "SplitOptions::test", test, "must be in [0, 1)");
  const double sum = train + validation + test;
  require(std::abs(sum - 1.0) <= 1e-9, "SplitOptions::train + validation + test", sum,
          "the three fractions must sum to 1");
}

Dataset select_rows(const Dataset& data, std::span<const Index> rows, std::string name) {
  const StorageIndex* row_ptr = data.X.outerIndexPtr();
  Index nnz = 0;
  for (const Index r : rows) {
    if (r < 0 || r >= data.rows()) {
      throw std::out_of_range("select_rows: row " + std::to_string(r) + " is outside [0, " +
                              std::to_string(data.rows()) + ")");
    }
    nnz += row_ptr[r + 1] - row_ptr[r];
  }
  SparseMatrix X(static_cast<Index>(rows.size()), data.features());
  X.resizeNonZeros(nnz);
  Vector y(static_cast<Index>(rows.size()));
  StorageIndex* out_ptr = X.outerIndexPtr();
  StorageIndex* out_col = X.innerIndexPtr();
  double* out_val = X.valuePtr();
  const StorageIndex* col = data.X.innerIndexPtr();
  const double* val = data.X.valuePtr();
  StorageIndex position = 0;
  out_ptr[0] = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Index r = rows[i];
    const auto begin = row_ptr[r];
    const auto end = row_ptr[r + 1];
    std::copy(col + begin, col + end, out_col + position);
    std::copy(val + begin, val + end, out_val + position);
    position += end - begin;
    out_ptr[i + 1] = position;
    y[static_cast<Index>(i)] = data.y[r];
  }
  return make_dataset(std::move(X), std::move(y), std::move(name), data.labels);
}

Split split_dataset(const Dataset& data, const SplitOptions& options) {
  options.validate();
  Random rng(options.seed);

  // Groups of rows drawn independently: one per class when stratified, else all rows.
  std::vector<std::vector<Index>> groups;
  if (options.stratify) {
    groups.resize(2);
    for (Index i = 0; i < data.rows(); ++i)
      groups[data.y[i] > 0 ? 1 : 0].push_back(i);
  } else {
    groups.emplace_back(static_cast<std::size_t>(data.rows()));
    for (Index i = 0; i < data.rows(); ++i)
      groups[0][static_cast<std::size_t>(i)] = i;
  }

  std::vector<Index> train_rows, validation_rows, test_rows;
  for (auto& group : groups) {
    rng.shuffle(group.begin(), group.end());
    const auto n = static_cast<double>(group.size());
    const auto n_val = static_cast<std::size_t>(std::llround(n * options.validation));
    const auto n_test = static_cast<std::size_t>(std::llround(n * options.test));
    const std::size_t n_held = std::min(group.size(), n_val + n_test);
    validation_rows.insert(validation_rows.end(), group.begin(),
                           group.begin() + static_cast<std::ptrdiff_t>(std::min(n_val, n_held)));
    test_rows.insert(test_rows.end(),
                     group.begin() + static_cast<std::ptrdiff_t>(std::min(n_val, n_held)),
                     group.begin() + static_cast<std::ptrdiff_t>(n_held));
    train_rows.insert(train_rows.end(), group.begin() + static_cast<std::ptrdiff_t>(n_held),
                      group.end());
  }

  const auto check_part = [&](const std::vector<Index>& rows, double fraction, const char* part) {
    if (fraction > 0.0 && rows.empty()) {
      throw std::invalid_argument("cannot split '" + data.name + "' (" +
                                  std::to_string(data.rows()) + " rows): the " + part +
                                  " part would be empty; use more data or a larger fraction");
    }
  };
  check_part(train_rows, options.train, "train");
  check_part(validation_rows, options.validation, "validation");
  check_part(test_rows, options.test, "test");

  for (auto* rows : {&train_rows, &validation_rows, &test_rows})
    std::sort(rows->begin(), rows->end());
  Split split;
  split.train = select_rows(data, train_rows, data.name + "[train]");
  split.validation = select_rows(data, validation_rows, data.name + "[validation]");
  split.test = select_rows(data, test_rows, data.name + "[test]");
  return split;
}

}  // namespace shine::data
