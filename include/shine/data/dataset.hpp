#pragma once
/// @file
/// A labelled sparse dataset: X in CSR, an explicit CSR copy of Xᵀ, labels in {−1, +1}.

#include <optional>
#include <span>
#include <string>

#include "shine/core/types.hpp"

namespace shine::core {
class Communicator;
}

namespace shine::data {

/// How the two distinct label values of a source map onto {−1, +1}.
///
/// Files use many conventions (`+1/-1`, `1/0`, `1/2`, …). shine maps the smaller value to −1 and
/// the larger to +1, except that the conventional pairs {−1, +1} and {0, 1} map as expected
/// (which the rule also gives). A file with a single class keeps its one value on the side its sign
/// says (> 0 → +1, otherwise −1).
struct LabelMap {
  double negative = -1.0;  ///< Original label value mapped to −1.
  double positive = +1.0;  ///< Original label value mapped to +1.

  /// True when the original labels already were −1 and +1.
  [[nodiscard]] bool is_identity() const noexcept { return negative == -1.0 && positive == 1.0; }

  /// The mapping for the classes found in a source: with two values the smaller maps to −1;
  /// with one, a value > 0 is the +1 class (the other side keeps its conventional −1 or +1).
  [[nodiscard]] static LabelMap from_classes(double first, std::optional<double> second);

  /// Human-readable form, e.g. `"0 -> -1, 1 -> +1"`.
  [[nodiscard]] std::string to_string() const;
};

/// A labelled sparse dataset, the unit every other module consumes.
///
/// Invariants (checked by `validate()` and established by `make_dataset`):
/// - `X` is `rows() × features()`, compressed CSR, column indices sorted within each row, finite
///   values;
/// - `Xt` is the transpose of `X`, also compressed CSR (`features() × rows()`), so both X·v and
///   Xᵀ·v are race-free loops over rows;
/// - `y` has `rows()` entries, each exactly −1 or +1;
/// - `weights` is empty (every sample weighs 1) or has `rows()` finite entries ≥ 0, not all 0
///   (with a `communicator`, not all 0 over the whole dataset: checked where it is split).
///
/// Copying a Dataset copies the matrices; move it where possible (a move costs O(1) and leaves the
/// source empty).
struct Dataset {
  std::string name;  ///< Where the data came from (file name, registry name or caller's label).
  SparseMatrix X;    ///< Samples × features, CSR.
  SparseMatrix Xt;   ///< Features × samples, CSR: the stored transpose of X.
  Vector y;          ///< Labels in {−1, +1}.
  LabelMap labels;   ///< How the source's labels were mapped onto {−1, +1}.
  /// Sample weights c_i: empty (the default) means every sample weighs 1. When set, sample i
  /// counts c_i times in every loss over this dataset: the training loss Σ c_i ℓ_i with its
  /// gradient and Hessian, and the validation and test losses (reported as the weighted mean
  /// Σ c_i ℓ_i / Σ c_i, and the accuracy weighted the same way). Set them with
  /// `data::set_sample_weights` (shine/data/sample_weights.hpp), which validates them.
  Vector weights;
  /// When this dataset is one process's rows of a dataset spread by rows over a group of
  /// processes (`data::read_libsvm_part`, `data::split_part`): that group. The objectives, the
  /// held-out metrics and the solver then sum every quantity over the rows across the group, so
  /// that each process sees the whole dataset's loss and gradient; `rows()`, `nnz()` and the
  /// other members still describe this process's part (see `global_rows`). Null (the default):
  /// the dataset is whole. Not owned: the communicator must outlive the dataset's use.
  const core::Communicator* communicator = nullptr;

  /// An empty dataset (0 × 0, no labels).
  Dataset() = default;
  /// Deep copy of the matrices, labels, weights and name.
  Dataset(const Dataset&) = default;
  /// Deep copy of the matrices, labels, weights and name.
  Dataset& operator=(const Dataset&) = default;
  /// Moves swap the matrices: Eigen 3.4's SparseMatrix has no move constructor, so the implicit
  /// member-wise move would deep-copy X and Xt (and briefly double the memory).
  Dataset(Dataset&& other) noexcept;
  /// Move assignment in O(1), by swapping the matrices (see the move constructor).
  Dataset& operator=(Dataset&& other) noexcept;
  ~Dataset() = default;

  /// Number of samples n (rows of X).
  [[nodiscard]] Index rows() const noexcept { return X.rows(); }
  /// Number of features d (columns of X).
  [[nodiscard]] Index features() const noexcept { return X.cols(); }
  /// Stored non-zeros of X (explicit zeros included).
  [[nodiscard]] Index nnz() const noexcept { return X.nonZeros(); }
  /// Number of samples labelled +1.
  [[nodiscard]] Index positives() const noexcept;
  /// True when the samples carry weights (`weights` is not empty).
  [[nodiscard]] bool weighted() const noexcept { return weights.size() != 0; }
  /// Σ_i c_i: the number of rows when unweighted.
  [[nodiscard]] double total_weight() const noexcept;
  /// Bytes held by X, Xt, y and the weights (the CSR arrays), for memory reports.
  [[nodiscard]] std::size_t memory_bytes() const noexcept;

  /// Checks the invariants above; throws `std::invalid_argument` naming the first one broken.
  void validate() const;
};

/// Rows of the whole dataset: `data.rows()` summed over its communicator's processes (a
/// collective call there), `data.rows()` when it has none.
[[nodiscard]] Index global_rows(const Dataset& data);
/// Σ c_i over the whole dataset (as `global_rows`; a collective call when distributed).
[[nodiscard]] double global_total_weight(const Dataset& data);
/// Positive rows of the whole dataset (as `global_rows`; a collective call when distributed).
[[nodiscard]] Index global_positives(const Dataset& data);

/// Builds a Dataset from a sparse matrix and ±1 labels: compresses and sorts `X`, stores its
/// transpose, and validates. Throws `std::invalid_argument` when the shapes disagree, a label is
/// not ±1 or a value is not finite.
///
/// The rvalue overload, `make_dataset(std::move(X), ...)`, takes over X's storage without copying
/// it and leaves `X` empty (0 × 0); the const-reference overload copies `X` first. (Eigen 3.4's
/// SparseMatrix has no move constructor, so a by-value parameter would copy even from
/// `std::move(X)`.)
Dataset make_dataset(SparseMatrix&& X, Vector y, std::string name, LabelMap labels = {});
/// Same, copying `X`.
Dataset make_dataset(const SparseMatrix& X, Vector y, std::string name, LabelMap labels = {});

/// Builds a Dataset from the caller's own matrix and labels, without a file: `labels` may hold
/// any two distinct finite values (mapped to ±1 as `LabelMap::from_classes` says, the mapping
/// kept in `Dataset::labels`). The rvalue overload takes over the storage of `X` without copying
/// it (only Xᵀ is built); the const overload copies. Throws `std::invalid_argument` when the
/// sizes differ, a label is not finite, there are more than two classes or a value of X is not
/// finite.
Dataset from_eigen(SparseMatrix&& X, std::span<const double> labels,
                   std::string name = "in-memory");
/// Copying overload of `from_eigen`; any Eigen sparse matrix converts to `SparseMatrix`
/// (column-major input is transposed into CSR, a copy).
Dataset from_eigen(const SparseMatrix& X, std::span<const double> labels,
                   std::string name = "in-memory");

}  // namespace shine::data
