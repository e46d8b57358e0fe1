#pragma once
/// @file
/// Held-out metrics of a weight vector: the (weighted) mean log-loss and accuracy. The one
/// definition of the reported metrics: the tuner's validation and test numbers
/// (`outer::OuterRecord`, `outer::TuneResult`) and `model::LogisticModel::evaluate` call it.

#include <limits>

#include "shine/core/types.hpp"
#include "shine/data/dataset.hpp"

namespace shine::objective {

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
  /// Rows scored (of every process when the dataset is spread over several).
  Index rows = 0;
  /// Rows predicted right, each counted once whatever its weight.
  Index correct = 0;
};

/// Loss and accuracy of `w` (d weights, then the intercept when `fit_intercept`) on `data`, in
/// one pass over its rows in fixed chunks (the same result for every thread count). Throws
/// `std::invalid_argument` when `w` does not have d = `data.features()` entries (plus the
/// intercept). Without rows, the metrics are NaN. When `data` is one process's part of a dataset
/// spread by rows (`data::Dataset::communicator`), the metrics are those of the whole dataset
/// (one sum over the processes; a collective call).
HeldOutMetrics evaluate_heldout(const data::Dataset& data, const Vector& w, bool fit_intercept,
                                int num_threads = 0);

}  // namespace shine::objective
