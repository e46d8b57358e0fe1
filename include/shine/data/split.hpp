#pragma once
/// @file
/// Seeded train / validation / test splits of a Dataset.
///
/// The SHINE paper's protocol: 90 % of the rows train the model (inner problem), the rest is
/// halved into the validation set that tuning minimizes (outer problem) and a held-out test set
/// that is only reported. Each part keeps the feature count, label mapping and (when the source
/// has them) the sample weights of its rows.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "shine/data/dataset.hpp"

namespace shine::data {

/// Proportions and seed of a split. Defaults: 90 / 5 / 5, seed 0, not stratified.
struct SplitOptions {
  /// Fraction of rows for training. Range (0, 1]. Default 0.9.
  double train = 0.9;
  /// Fraction of rows for validation (the outer objective). Range [0, 1). Default 0.05.
  double validation = 0.05;
  /// Fraction of rows for the held-out test set. Range [0, 1). Default 0.05. Set 0 when the test
  /// set comes from its own file.
  double test = 0.05;
  /// Seed of the permutation: the same seed gives the same split on every platform. Default 0.
  std::uint64_t seed = 0;
  /// Keep the +1/−1 proportion of the source in every part (each class split separately).
  /// Default false.
  bool stratify = false;

  /// Throws `std::invalid_argument` unless every fraction is in range and they sum to 1
  /// (within 1e-9).
  void validate() const;
};

/// The three parts of a split. A part whose fraction is 0 has 0 rows.
struct Split {
  Dataset train;       ///< n_train rows (sizes: see `split_dataset`).
  Dataset validation;  ///< n_val rows, the data of the outer objective.
  Dataset test;        ///< n_test rows, held out from tuning.
};

/// Splits `data` by a seeded permutation of its rows.
///
/// Sizes: n_val = round(n·validation), n_test = round(n·test), n_train = n − n_val − n_test (per
/// class when stratified). Within each part rows keep their original order. Parts are named
/// `"<name>[train]"`, `"<name>[validation]"`, `"<name>[test]"`. Throws `std::invalid_argument`
/// when a part with a positive fraction would be empty (too few rows).
Split split_dataset(const Dataset& data, const SplitOptions& options = {});

/// Same, consuming `data` (left empty) to keep the peak memory at about the source's own
/// footprint: the parts are copied from X while the source's transpose is already freed, and
/// their transposes are built once the source's X is freed. The copying overload above holds the
/// source and all three parts at once (about twice the memory). When a part would be empty the
/// `std::invalid_argument` is thrown before `data` is touched.
Split split_dataset(Dataset&& data, const SplitOptions& options = {});

/// Folds of k-fold cross-validation. Defaults: 5 folds, seed 0, stratified.
struct KFoldOptions {
  /// Number of folds k. Range [2, 1000] and at most the number of rows. Default 5.
  int folds = 5;
  /// Seed of the permutation: the same seed gives the same folds on every platform. Default 0.
  std::uint64_t seed = 0;
  /// Keep the +1/−1 proportion of the source in every fold (as scikit-learn's StratifiedKFold).
  /// Default true.
  bool stratify = true;

  /// Throws `std::invalid_argument` naming the field out of range.
  void validate() const;
};

/// k-fold cross-validation parts of `data`: part j's `validation` is fold j, its `train` the
/// other folds, its `test` empty. Rows are dealt to the folds in turn after a seeded shuffle (per
/// class when stratified), so fold sizes differ by at most one (per class); within each part
/// rows keep their original order, with their sample weights. Throws `std::invalid_argument`
/// when a fold or a training part would be empty or lack a class.
std::vector<Split> kfold_split(const Dataset& data, const KFoldOptions& options = {});

/// The dataset made of the given rows of `data`, in the given order (indices may repeat). The
/// feature count, label mapping and the rows' sample weights are kept. Throws
/// `std::out_of_range` for an index outside [0, rows).
Dataset select_rows(const Dataset& data, std::span<const Index> rows, std::string name);

}  // namespace shine::data
