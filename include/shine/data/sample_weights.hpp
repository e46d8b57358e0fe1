#pragma once
/// @file
/// Sample and class weights of a dataset (`Dataset::weights`): set, derive from the classes, or
/// read from a file.
///
/// A weight c_i makes sample i count c_i times in every loss over the dataset: the training loss
/// Σ c_i ℓ_i (and so its gradient and Hessian) and the validation loss that tuning minimizes.
/// With weights that sum to n, λ keeps its scale (the loss is as large as an unweighted one);
/// scikit-learn's `sample_weight` and `class_weight` follow the same convention, so
/// `LogisticRegression(C = 1/λ, fit_intercept=False)` fitted with the same weights has the same
/// minimizer.

#include <optional>
#include <string>

#include "shine/core/types.hpp"
#include "shine/data/dataset.hpp"

namespace shine::data {

/// A weight for each class: every sample of class −1 weighs `negative`, of class +1 `positive`.
struct ClassWeights {
  double negative = 1.0;  ///< Weight of the samples labelled −1. Range: finite, > 0.
  double positive = 1.0;  ///< Weight of the samples labelled +1. Range: finite, > 0.

  /// Throws `std::invalid_argument` naming the field out of range.
  void validate() const;
};

/// scikit-learn's `class_weight='balanced'`: class c weighs n / (2 n_c), with n_c the number of
/// its samples in `data` (unweighted counts), so that both classes carry half of the total.
/// Throws `std::invalid_argument` when `data` lacks one of the classes.
ClassWeights balanced_class_weights(const Dataset& data);

/// Sets `data.weights` to `weights` (`rows()` finite entries ≥ 0, not all 0), or clears them
/// when `weights` is empty. Throws `std::invalid_argument` naming the first bad entry; `data` is
/// unchanged then.
void set_sample_weights(Dataset& data, Vector weights);

/// Multiplies every sample's weight (1 when the dataset is unweighted) by its class's weight.
/// Throws `std::invalid_argument` for weights out of range (`ClassWeights::validate`).
void apply_class_weights(Dataset& data, const ClassWeights& weights);

/// Reads a weight file: one weight per line for each row of the data file it goes with, in the
/// same order; blank lines and `#` comments are skipped. Throws `data::ParseError` (file, line,
/// column, what to fix) for a value that is not a finite number ≥ 0, and when the file has not
/// exactly `rows` weights; `std::runtime_error` when it cannot be read.
Vector read_sample_weights(const std::string& path, Index rows);

/// Reads the weight file `path` (`read_sample_weights`, one weight per row of `data`) and sets
/// them as `data`'s weights; a file of zeros is a `ParseError` too. With `total_rows` (`data`
/// holds one process's rows of a dataset spread over a group, from row `first_row` of the whole):
/// the file has `total_rows` weights, every process reads them all (one number per row, small
/// beside the data) and `data` gets its rows' weights.
void attach_weight_file(Dataset& data, const std::string& path, Index first_row = 0,
                        std::optional<Index> total_rows = std::nullopt);

}  // namespace shine::data
