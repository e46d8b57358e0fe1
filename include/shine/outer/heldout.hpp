#pragma once
/// @file
/// Held-out metrics of a weight vector: the (weighted) mean log-loss and accuracy.

#include <limits>

#include "shine/core/types.hpp"
#include "shine/data/dataset.hpp"

namespace shine::outer {

/// Loss and accuracy of a weight vector on a labelled dataset.
struct HeldOutMetrics {
  /// Σ c_i log(1 + exp(−y_i x_iᵀw)), c_i the sample weights (1 without weights).
  double loss_sum = std::numeric_limits<double>::quiet_NaN();
  /// loss_sum / Σ c_i: the mean log-loss (per row without weights).
  double mean_loss = std::numeric_limits<double>::quiet_NaN();
  /// Weighted share of the samples predicted right (`objective::predicted_sign`), in [0, 1].
  double accuracy = std::numeric_limits<double>::quiet_NaN();
  /// Σ c_i: the weight of the rows scored (their number without weights).
  double total_weight = std::numeric_limits<double>::quiet_NaN();
};

/// Loss and accuracy of `w` (d weights, then the intercept when `fit_intercept`) on `data`.
/// When `data` is one process's part of a dataset spread by rows (`data::Dataset::communicator`),
/// the metrics are those of the whole dataset (one sum of three values; a collective call).
HeldOutMetrics evaluate_heldout(const data::Dataset& data, const Vector& w, bool fit_intercept,
                                int num_threads = 0);

}  // namespace shine::outer
