#include "shine/data/split.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/check.hpp"
#include "core/random.hpp"
#include "shine/core/communicator.hpp"
#include "shine/data/distributed.hpp"
#include "shine/data/sample_weights.hpp"

namespace shine::data {
namespace {

// The rows of each part, in their original order.
struct SplitRows {
  std::vector<Index> train, validation, test;
};

// The weights of the given rows of `data` (empty when it is unweighted).
Vector gather_weights(const Dataset& data, std::span<const Index> rows) {
  if (!data.weighted()) return {};
  Vector weights(static_cast<Index>(rows.size()));
  for (std::size_t i = 0; i < rows.size(); ++i)
    weights[static_cast<Index>(i)] = data.weights[rows[i]];
  return weights;
}

// X and y of the given rows of `data` (no transpose).
std::pair<SparseMatrix, Vector> gather_rows(const Dataset& data, std::span<const Index> rows) {
  const StorageIndex* row_ptr = data.X.outerIndexPtr();
  Index nnz = 0;
  for (const Index r : rows) {
    if (r < 0 || r >= data.rows()) {
      throw std::out_of_range("select_rows: row " + std::to_string(r) + " is outside [0, " +
                              std::to_string(data.rows()) + ")");
    }
    nnz += row_ptr[r + 1] - row_ptr[r];
  }
  std::pair<SparseMatrix, Vector> out;
  SparseMatrix& X = out.first;
  Vector& y = out.second;
  X.resize(static_cast<Index>(rows.size()), data.features());
  X.resizeNonZeros(nnz);
  y.resize(static_cast<Index>(rows.size()));
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
  return out;
}

// Groups of rows drawn independently: one per class when stratified (`is_positive(i)`: row i
// is labelled +1), else all rows.
template <typename IsPositive>
std::vector<std::vector<Index>> row_groups(Index rows, bool stratify, IsPositive&& is_positive) {
  std::vector<std::vector<Index>> groups;
  if (stratify) {
    groups.resize(2);
    for (Index i = 0; i < rows; ++i)
      groups[is_positive(i) ? 1 : 0].push_back(i);
  } else {
    groups.emplace_back(static_cast<std::size_t>(rows));
    for (Index i = 0; i < rows; ++i)
      groups[0][static_cast<std::size_t>(i)] = i;
  }
  return groups;
}

// The rows of each part of a dataset `name` of `rows` rows (`is_positive` as for row_groups).
template <typename IsPositive>
SplitRows plan_split(Index total_rows, const std::string& name, const SplitOptions& options,
                     IsPositive&& is_positive) {
  options.validate();
  Random rng(options.seed);

  std::vector<std::vector<Index>> groups = row_groups(total_rows, options.stratify, is_positive);

  SplitRows split;
  std::vector<Index>& train_rows = split.train;
  std::vector<Index>& validation_rows = split.validation;
  std::vector<Index>& test_rows = split.test;
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
      throw std::invalid_argument("cannot split '" + name + "' (" + std::to_string(total_rows) +
                                  " rows): the " + part +
                                  " part would be empty; use more data or a larger fraction");
    }
  };
  check_part(train_rows, options.train, "train");
  check_part(validation_rows, options.validation, "validation");
  check_part(test_rows, options.test, "test");

  for (auto* part : {&train_rows, &validation_rows, &test_rows})
    std::sort(part->begin(), part->end());
  return split;
}

SplitRows plan_split(const Dataset& data, const SplitOptions& options) {
  return plan_split(data.rows(), data.name, options, [&data](Index i) { return data.y[i] > 0; });
}

// The rows of `global` (sorted rows of the whole dataset) that lie in [first, first + count),
// as rows of the part that starts at `first`.
std::vector<Index> local_rows(const std::vector<Index>& global, Index first, Index count) {
  const auto begin = std::lower_bound(global.begin(), global.end(), first);
  const auto end = std::lower_bound(begin, global.end(), first + count);
  std::vector<Index> local;
  local.reserve(static_cast<std::size_t>(end - begin));
  for (auto it = begin; it != end; ++it)
    local.push_back(*it - first);
  return local;
}

// select_rows for one process's rows of a spread dataset (`data.communicator`, possibly null):
// the part gets the communicator before its weights, which may then all be 0 here; a part whose
// weights are 0 on every process is refused on every process.
Dataset select_part(const Dataset& data, std::span<const Index> rows, std::string name) {
  if (data.communicator == nullptr) return select_rows(data, rows, std::move(name));
  Vector weights = gather_weights(data, rows);
  auto [X, y] = gather_rows(data, rows);
  Dataset piece = make_dataset(std::move(X), std::move(y), std::move(name), data.labels);
  piece.communicator = data.communicator;
  set_sample_weights(piece, std::move(weights));
  // Whether any process's rows are weighted, and the weight of all: one sum on every process (a
  // process without rows of the part has no weights).
  std::array<double, 2> sums{piece.weighted() ? 1.0 : 0.0, piece.total_weight()};
  data.communicator->sum(sums);
  if (sums[0] > 0.0 && sums[1] == 0.0) {
    throw std::invalid_argument("every sample weight of '" + piece.name +
                                "' is 0: at least one must be positive");
  }
  return piece;
}

// Whether each row of the whole dataset is labelled +1 (1) or not (0), gathered from every
// process's part (one byte per row).
std::vector<std::int8_t> gather_labels(const DatasetPart& part) {
  const Dataset& data = part.data;
  std::vector<std::int8_t> mine(static_cast<std::size_t>(data.rows()));
  for (Index i = 0; i < data.rows(); ++i)
    mine[static_cast<std::size_t>(i)] = data.y[i] > 0 ? 1 : 0;
  const std::vector<std::byte> all =
      data.communicator->gather_varying(std::as_bytes(std::span(mine)));
  std::vector<std::int8_t> positive(all.size());
  std::memcpy(positive.data(), all.data(), all.size());
  if (static_cast<Index>(positive.size()) != part.total_rows) {
    throw std::logic_error("the parts hold " + std::to_string(positive.size()) +
                           " rows, not total_rows = " + std::to_string(part.total_rows));
  }
  return positive;
}

}  // namespace

void KFoldOptions::validate() const {
  require(folds >= 2 && folds <= 1000, "KFoldOptions::folds", folds, "must be in [2, 1000]");
}

namespace {

// The fold of every row of a dataset `name` of `rows` rows (`is_positive` as for row_groups).
template <typename IsPositive>
std::vector<std::size_t> plan_kfold(Index rows, const std::string& name,
                                    const KFoldOptions& options, IsPositive&& is_positive) {
  options.validate();
  const auto k = static_cast<std::size_t>(options.folds);
  if (static_cast<Index>(k) > rows) {
    throw std::invalid_argument("cannot make " + std::to_string(k) + " folds of '" + name + "' (" +
                                std::to_string(rows) + " rows): use fewer folds or more data");
  }
  Random rng(options.seed);
  std::vector<std::vector<Index>> groups = row_groups(rows, options.stratify, is_positive);
  // Deal the shuffled rows to the folds in turn, continuing across the classes.
  std::vector<std::size_t> fold_of(static_cast<std::size_t>(rows));
  std::size_t next = 0;
  for (auto& group : groups) {
    rng.shuffle(group.begin(), group.end());
    for (const Index row : group)
      fold_of[static_cast<std::size_t>(row)] = next++ % k;
  }
  return fold_of;
}

// The parts of the folds: rows [first, first + data.rows()) of the whole dataset are `data`'s.
// `positives(part)` counts the +1 rows of a training part (over the group when distributed).
template <typename Positives>
std::vector<Split> make_folds(const Dataset& data, const std::string& name, std::size_t k,
                              const std::vector<std::size_t>& fold_of, Index first,
                              Positives&& positives) {
  std::vector<Split> parts(k);
  for (std::size_t j = 0; j < k; ++j) {
    std::vector<Index> train, validation;
    for (Index i = 0; i < data.rows(); ++i)
      (fold_of[static_cast<std::size_t>(first + i)] == j ? validation : train).push_back(i);
    const std::string fold =
        data.name + "[fold " + std::to_string(j + 1) + "/" + std::to_string(k) + "]";
    parts[j].train = select_part(data, train, fold + "[train]");
    parts[j].validation = select_part(data, validation, fold + "[validation]");
    const auto [positive, rows] = positives(parts[j].train);
    if (positive == 0 || positive == rows) {
      throw std::invalid_argument("cannot make " + std::to_string(k) + " folds of '" + name +
                                  "': the training part of fold " + std::to_string(j + 1) +
                                  " has a single class; use fewer folds or more data");
    }
  }
  return parts;
}

}  // namespace

std::vector<Split> kfold_split(const Dataset& data, const KFoldOptions& options) {
  const std::vector<std::size_t> fold_of =
      plan_kfold(data.rows(), data.name, options, [&data](Index i) { return data.y[i] > 0; });
  return make_folds(data, data.name, static_cast<std::size_t>(options.folds), fold_of, 0,
                    [](const Dataset& part) {
                      return std::pair{part.positives(), part.rows()};
                    });
}

std::vector<Split> kfold_part(const DatasetPart& part, const KFoldOptions& options) {
  const Dataset& data = part.data;
  const core::Communicator* communicator = data.communicator;
  if (communicator == nullptr) return kfold_split(data, options);
  const std::vector<std::int8_t> positive =
      options.stratify ? gather_labels(part) : std::vector<std::int8_t>{};
  const std::vector<std::size_t> fold_of =
      plan_kfold(part.total_rows, data.name, options,
                 [&positive](Index i) { return positive[static_cast<std::size_t>(i)] != 0; });
  return make_folds(data, data.name, static_cast<std::size_t>(options.folds), fold_of,
                    part.first_row, [](const Dataset& piece) {
                      return std::pair{global_positives(piece), global_rows(piece)};
                    });
}

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
  auto [X, y] = gather_rows(data, rows);
  Dataset part = make_dataset(std::move(X), std::move(y), std::move(name), data.labels);
  set_sample_weights(part, gather_weights(data, rows));
  return part;
}

Split split_dataset(const Dataset& data, const SplitOptions& options) {
  const SplitRows rows = plan_split(data, options);
  Split split;
  split.train = select_rows(data, rows.train, data.name + "[train]");
  split.validation = select_rows(data, rows.validation, data.name + "[validation]");
  split.test = select_rows(data, rows.test, data.name + "[test]");
  return split;
}

Split split_part(const DatasetPart& part, const SplitOptions& options) {
  const Dataset& data = part.data;
  const core::Communicator* communicator = data.communicator;
  if (communicator == nullptr) return split_dataset(data, options);
  // The name of the whole dataset: a part's name is the file's, as one process would have it.
  const std::vector<std::int8_t> positive =
      options.stratify ? gather_labels(part) : std::vector<std::int8_t>{};
  const SplitRows rows = plan_split(part.total_rows, data.name, options, [&positive](Index i) {
    return positive[static_cast<std::size_t>(i)] != 0;
  });
  const auto select = [&](const std::vector<Index>& global, const char* which) {
    return select_part(data, local_rows(global, part.first_row, data.rows()), data.name + which);
  };
  Split split;
  split.train = select(rows.train, "[train]");
  split.validation = select(rows.validation, "[validation]");
  split.test = select(rows.test, "[test]");
  return split;
}

Split split_dataset(Dataset&& data, const SplitOptions& options) {
  const SplitRows rows = plan_split(data, options);
  // The parts' rows are copied out of X alone: the source's transpose goes first, its X once the
  // parts hold their rows, and only then are the parts' transposes built, so the peak is the
  // source's footprint plus row pointers, not source + parts.
  SparseMatrix().swap(data.Xt);
  auto train = gather_rows(data, rows.train);
  auto validation = gather_rows(data, rows.validation);
  auto test = gather_rows(data, rows.test);
  Vector train_weights = gather_weights(data, rows.train);
  Vector validation_weights = gather_weights(data, rows.validation);
  Vector test_weights = gather_weights(data, rows.test);
  SparseMatrix().swap(data.X);
  const std::string name = std::move(data.name);
  const LabelMap labels = data.labels;
  data = Dataset();
  Split split;
  split.train =
      make_dataset(std::move(train.first), std::move(train.second), name + "[train]", labels);
  split.validation = make_dataset(std::move(validation.first), std::move(validation.second),
                                  name + "[validation]", labels);
  split.test = make_dataset(std::move(test.first), std::move(test.second), name + "[test]", labels);
  set_sample_weights(split.train, std::move(train_weights));
  set_sample_weights(split.validation, std::move(validation_weights));
  set_sample_weights(split.test, std::move(test_weights));
  return split;
}

}  // namespace shine::data
