#pragma once
/// @file
/// A small real bi-level problem cut from the SpamAssassin set that ships with shine.

#include <filesystem>
#include <numeric>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "shine/core/types.hpp"
#include "shine/data/dataset.hpp"
#include "shine/data/libsvm_io.hpp"
#include "shine/data/split.hpp"
#include "support/paths.hpp"

namespace shine::test {

/// A training and a validation set sharing one feature space.
struct TrainValidation {
  data::Dataset train;
  data::Dataset validation;
};

/// Keeps only the columns that some row of `a` or `b` uses, renumbered in their original order:
/// the same problem (weights of unused features are 0 at any regularized optimum) in a much
/// smaller dimension.
inline TrainValidation compact_columns(const data::Dataset& a, const data::Dataset& b) {
  const Index d = a.features();
  std::vector<StorageIndex> new_index(static_cast<std::size_t>(d), -1);
  for (const data::Dataset* part : {&a, &b}) {
    for (Index i = 0; i < part->X.outerSize(); ++i) {
      for (SparseMatrix::InnerIterator it(part->X, i); it; ++it)
        new_index[it.col()] = 0;
    }
  }
  StorageIndex next = 0;
  for (auto& index : new_index) {
    if (index == 0) index = next++;
  }
  const auto remap = [&](const data::Dataset& part, const std::string& name) {
    std::vector<Eigen::Triplet<double, StorageIndex>> entries;
    for (Index i = 0; i < part.X.outerSize(); ++i) {
      for (SparseMatrix::InnerIterator it(part.X, i); it; ++it) {
        entries.emplace_back(static_cast<StorageIndex>(i), new_index[it.col()], it.value());
      }
    }
    SparseMatrix X(part.rows(), next);
    X.setFromTriplets(entries.begin(), entries.end());
    X.makeCompressed();
    return data::make_dataset(std::move(X), part.y, name);
  };
  return {remap(a, a.name), remap(b, b.name)};
}

/// The shipped SpamAssassin set (6,046 e-mails × 176,112 binary unigram features, rows scaled to
/// unit norm), read once per process.
inline const data::Dataset& spamassassin() {
  static const data::Dataset data =
      data::read_libsvm(source_dir() / "datasets/spamassassin/spamassassin.uni.svm.xz");
  return data;
}

/// `train_rows` training and `validation_rows` validation e-mails of a seeded split of
/// SpamAssassin, restricted to the features they use.
inline TrainValidation small_spamassassin(Index train_rows, Index validation_rows,
                                          std::uint64_t seed) {
  const data::Dataset& all = spamassassin();
  data::SplitOptions options;
  options.seed = seed;
  options.train = 0.5;
  options.validation = 0.5;
  options.test = 0.0;
  const data::Split split = data::split_dataset(all, options);
  std::vector<Index> rows_train(static_cast<std::size_t>(train_rows));
  std::vector<Index> rows_validation(static_cast<std::size_t>(validation_rows));
  std::iota(rows_train.begin(), rows_train.end(), Index{0});
  std::iota(rows_validation.begin(), rows_validation.end(), Index{0});
  return compact_columns(
      data::select_rows(split.train, rows_train, "spamassassin-train"),
      data::select_rows(split.validation, rows_validation, "spamassassin-validation"));
}

}  // namespace shine::test
