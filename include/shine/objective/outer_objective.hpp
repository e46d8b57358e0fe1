#pragma once
/// @file
/// The outer (held-out) objective of the bi-level problem: the unregularized logistic loss
///
///     f(w) = Σ_i c'_i log(1 + exp(−y'_i (x'_iᵀw + b))),   ∇f(w) = X'ᵀr',  r'_i = −c'_i y'_i
///     σ(−z'_i)
///
/// summed over the held-out samples (X', y') with their sample weights c'_i (`Dataset::weights`;
/// 1 when the dataset has none), with the same weight layout as the inner objective (the
/// intercept, when fitted, is the last entry of w and gets ∂f/∂b = Σ r'_i).
///
/// When the held-out data is one process's part of a dataset spread by rows
/// (`data::Dataset::communicator`), f and ∇f are summed over the group: `value` one value,
/// `value_and_gradient` one sum of d + 2 values; both are then collective calls.

#include <memory>

#include "shine/core/types.hpp"
#include "shine/data/dataset.hpp"
#include "shine/objective/objective_options.hpp"

namespace shine::objective {

/// f(w) on a held-out dataset, held by reference (it must outlive the objective). Const methods,
/// safe to call concurrently.
class OuterObjective {
 public:
  /// Binds `heldout`. Its feature count must equal that of the training data the weights come
  /// from (read it with `ReadOptions::n_features` set to the training count). Throws
  /// `std::invalid_argument` for invalid options.
  explicit OuterObjective(const data::Dataset& heldout, ObjectiveOptions options = {});

  /// Dimension of w: d, or d + 1 with an intercept (stored last).
  [[nodiscard]] Index dim() const noexcept { return features_ + (options_.fit_intercept ? 1 : 0); }
  /// Number of features d.
  [[nodiscard]] Index features() const noexcept { return features_; }
  /// Number of held-out samples.
  [[nodiscard]] Index samples() const noexcept { return data_->rows(); }
  /// The held-out data the objective is bound to.
  [[nodiscard]] const data::Dataset& data() const noexcept { return *data_; }
  /// Intercept and thread settings.
  [[nodiscard]] const ObjectiveOptions& options() const noexcept { return options_; }

  /// f(w), one pass over X'. Throws `std::invalid_argument` when `w` has the wrong size.
  [[nodiscard]] double value(const Vector& w) const;

  /// f(w) and ∇f(w) (resized to `dim()`), two passes (X'·w then X'ᵀ·r'). Throws
  /// `std::invalid_argument` when `w` has the wrong size.
  double value_and_gradient(const Vector& w, Vector& gradient) const;

 private:
  // The fixed row partition of the parallel loops (defined in outer_objective.cpp), made once by
  // the constructor and never changed: copies of the objective share it.
  struct Chunks;

  const data::Dataset* data_;
  ObjectiveOptions options_;
  Index features_;
  std::shared_ptr<const Chunks> chunks_;
};

}  // namespace shine::objective
