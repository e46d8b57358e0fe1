#pragma once
/// @file
/// The data of a tuning problem: train, validation, optional test set and feature groups.

#include <cstdint>
#include <vector>

#include "shine/core/types.hpp"
#include "shine/data/dataset.hpp"

namespace shine::outer {

/// The data of a tuning problem, held by pointer (they must outlive `tune`).
struct TuneProblem {
  const data::Dataset* train = nullptr;       ///< Inner problem: the model is fitted on it.
  const data::Dataset* validation = nullptr;  ///< Outer objective: λ minimizes its loss.
  const data::Dataset* test = nullptr;        ///< Optional: only reported, never used to choose λ.
  /// Feature → group map for one λ per group (values in [0, groups)); empty (default) for one
  /// global λ.
  std::vector<std::int32_t> group_of;
  /// Number of groups when `group_of` is set.
  Index groups = 1;

  /// Throws `std::invalid_argument` when a dataset is missing, feature counts differ or the group
  /// map is malformed.
  void validate() const;
  /// Number of hyperparameters k (1 without groups).
  [[nodiscard]] Index hyperparameters() const noexcept { return group_of.empty() ? 1 : groups; }
};

}  // namespace shine::outer
