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
};

/// Loss and accuracy of `w` (d weights, then the intercept when `fit_intercept`) on `data`.
HeldOutMetrics evaluate_heldout(const data::Dataset& data, const Vector& w, bool fit_intercept,
                                int num_threads = 0);

}  // namespace shine::outer
