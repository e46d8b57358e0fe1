#pragma once
/// @file
/// The data of a tuning problem: train, validation, optional test set and feature groups.

#include <cstdint>
#include <vector>

#include "shine/core/types.hpp"
#include "shine/data/dataset.hpp"

namespace shine::outer {

/// One fold of k-fold cross-validation: a model is fitted on `train` and scored on `validation`.
struct CrossValidationFold {
  const data::Dataset* train = nullptr;       ///< The other folds' rows.
  const data::Dataset* validation = nullptr;  ///< This fold's rows.
};

/// The data of a tuning problem, held by pointer (they must outlive `tune`).
///
/// Either a hold-out problem (`train` and `validation`), or k-fold cross-validation (`folds`,
/// with `train` holding all the training rows and `validation` null): then each fold has its
/// own inner solve, warm-started from its own last solution, the outer objective is the sum of
/// the folds' validation losses and the hypergradient the sum of theirs (the reported validation
/// loss is the mean over all the folds' validation rows). `data::kfold_split` makes the folds.
struct TuneProblem {
  const data::Dataset* train = nullptr;       ///< Inner problem: the model is fitted on it.
  const data::Dataset* validation = nullptr;  ///< Outer objective: λ minimizes its loss.
  const data::Dataset* test = nullptr;        ///< Optional: only reported, never used to choose λ.
  /// Feature → group map for one λ per group (values in [0, groups)); empty (default) for one
  /// global λ.
  std::vector<std::int32_t> group_of;
  /// Number of groups when `group_of` is set.
  Index groups = 1;
  /// Cross-validation folds (at least 2); empty (default) for the hold-out problem.
  std::vector<CrossValidationFold> folds;

  /// Throws `std::invalid_argument` when a dataset is missing or empty, feature counts differ,
  /// the group map is malformed, or folds are given with a validation set or fewer than two.
  void validate() const;
  /// Number of hyperparameters k (1 without groups).
  [[nodiscard]] Index hyperparameters() const noexcept { return group_of.empty() ? 1 : groups; }
};

}  // namespace shine::outer
