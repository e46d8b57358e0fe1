#pragma once
/// @file
/// Options shared by the inner (training) and outer (held-out) logistic objectives.

namespace shine::objective {

/// How a logistic objective is laid out and evaluated.
struct ObjectiveOptions {
  /// Fit an unregularized intercept b. When true the weight vector has d + 1 entries: the d
  /// feature weights followed by b as the **last** entry, and the model is t_i = x_iᵀw + b. The
  /// intercept is never penalized (its λ is 0) and does not depend on θ. Default false (d
  /// entries, no intercept).
  bool fit_intercept = false;

  /// Threads of the sparse passes: 0 (default) = all cores (`omp_get_max_threads()`, which
  /// honours `OMP_NUM_THREADS`), n > 0 = exactly n. Results are bit-for-bit identical for every
  /// value (see `linalg/sparse_kernels.hpp`). Valid range: >= 0.
  int num_threads = 0;

  /// Throws `std::invalid_argument` naming the field when a value is out of range.
  void validate() const;
};

}  // namespace shine::objective
