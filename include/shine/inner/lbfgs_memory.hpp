#pragma once
/// @file
/// The L-BFGS memory: the last m secant pairs (s, y) and the quasi-Newton matrices they define.
///
/// With pairs (s_i, y_i), i = 0 (oldest) … k−1 (newest), ρ_i = 1/(s_iᵀy_i) and H₀ = γ·Δ, the
/// L-BFGS inverse-Hessian estimate is H_k = B_k⁻¹ with
///
///     H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ      (applied for i = 0 … k−1)
///
/// Δ = I by default, or a positive diagonal set with `set_diagonal` (a diagonal preconditioner);
/// γ = s_{k−1}ᵀy_{k−1} / y_{k−1}ᵀΔy_{k−1} (`InitialHessian::ScaledIdentity`, default) or 1
/// (`InitialHessian::Identity`, the reference code's choice), and 1 when the memory is empty.
///
/// The memory is a first-class object: the solver returns it, it outlives the solve and the data,
/// and SHINE applies it to the outer gradient (q = B⁻¹∇f). It needs no access to the objective.
///
/// **How it is applied.** The memory keeps, besides the pairs, their Gram matrix (the products
/// s_iᵀy_j and y_iᵀΔy_j of every two pairs), updated in one sweep when a pair is added. Applying
/// B⁻¹ to v then costs one sweep computing s_iᵀv and y_iᵀΔv (the *projection* of v), the classical
/// two-loop recursion run on the O(m) coefficients of the result in the basis {v, s_i, y_i} (O(m²)
/// scalar work), and one sweep forming the combination — about 4m reads of d-vectors instead of the
/// 8m of the textbook two-loop, the difference that matters when d is large (this is the
/// "vector-free" organization of L-BFGS of Chen, Wang & Zhou, NIPS 2014; the recursion is
/// Algorithm 7.4 of Nocedal & Wright, Numerical Optimization). The solver saves one more sweep per
/// iteration by projecting the new gradient in the same sweep that adds the new pair (`add_pair`
/// with a probe, then `apply_inverse` with the resulting `LbfgsProjection`). An L-BFGS iteration
/// thus reads each stored vector twice: once to add the new pair and project the new gradient, once
/// to form the direction. A sweep reads each stored vector once and computes all its products with
/// the few vectors of the sweep (the new pair, the probe) from that read, so it costs about the
/// bytes of the 2m stored vectors.
///
/// **Storage.** The pairs are kept in double (default), single or half precision
/// (`PairPrecision`, set at construction or with `set_pair_precision`). In single or half
/// precision a pair is rounded once when it is offered (to float, or to IEEE binary16 with one
/// power-of-two scale per vector), and everything else — the curvature guard, the Gram matrix, γ,
/// the combination — is computed from the rounded vectors, so that the memory represents the
/// L-BFGS operators of the pairs it returns from `s(i)` and `y(i)`. Double and single pairs are
/// computed in double precision (exactly those operators, up to double rounding); binary16 pairs
/// in single precision — float products summed in float over blocks of 128 coordinates, the
/// blocks added in double — which is about 2^-24 relative to the terms, far below the binary16
/// rounding of the pairs themselves (2^-11), and reads them at memory speed.
///
/// **Determinism.** Every product is a sum over fixed chunks of coordinates (the
/// library's chunked loops), each chunk summed in a fixed order and the chunks added in order:
/// results are bit-for-bit identical for every thread count — and for every processor: the sweep
/// kernels have a portable build and an AVX2+F16C build chosen at run time, which perform the same
/// operations in the same order (no fused multiply-add) —, and a product does not depend on
/// which sweep computes it (adding a pair, projecting, recomputing the Gram matrix). The Gram
/// matrix therefore depends only on the stored pairs and the order in which they were added (and
/// on Δ, whose products are recomputed by `set_diagonal`): a memory rebuilt by adding the same
/// pairs in the same order — e.g. from a checkpoint — is the same memory, bit for bit.
///
/// **Operator role.** `LbfgsMemory` models `linalg::LinearOperator` as the *inverse* Hessian
/// estimate: `apply(x, y)` is y = B⁻¹x (the same as `apply_inverse`).
///
/// **Order.** Pairs are kept in chronological order in a circular buffer: index 0 is the oldest,
/// `size() − 1` the newest; adding to a full memory drops the oldest.
///
/// Thread safety: const methods may run concurrently; `add_pair` and the setters must not run
/// concurrently with anything else on the same memory.

#include <Eigen/Dense>
#include <cstdint>
#include <vector>

#include "shine/core/types.hpp"
#include "shine/inner/lbfgs_options.hpp"
#include "shine/linalg/linear_operator.hpp"

namespace shine::inner {

/// The products s_iᵀv and y_iᵀΔv of one vector v with every stored pair (chronological order),
/// stamped with the memory revision they were computed at. Filled by `LbfgsMemory::project` or by
/// `LbfgsMemory::add_pair` with a probe; consumed by `LbfgsMemory::apply_inverse`, which ignores a
/// projection whose revision is not current.
struct LbfgsProjection {
  std::uint64_t revision = 0;  ///< `LbfgsMemory::revision()` at computation (0 = none).
  Eigen::VectorXd s_dots;      ///< s_iᵀv, i = 0 (oldest) … size() − 1.
  Eigen::VectorXd y_dots;      ///< y_iᵀΔv (Δ the diagonal of H₀, I by default).
};

/// The (s, y) pairs of L-BFGS and the operator B⁻¹ they define.
class LbfgsMemory {
 public:
  /// An empty memory of dimension 0 and capacity 10 (a placeholder: `inner::minimize` replaces it
  /// by a memory of the problem's dimension).
  LbfgsMemory() = default;

  /// An empty memory for vectors of `dim` entries keeping up to `capacity` pairs, with H₀ mode
  /// `initial_hessian`, curvature guard `curvature_epsilon` (see `add_pair`) and pair storage
  /// `precision`. Throws `std::invalid_argument` when `dim` < 0, `capacity` < 1 or
  /// `curvature_epsilon` ∉ [0, 1).
  LbfgsMemory(Index dim, int capacity,
              InitialHessian initial_hessian = InitialHessian::ScaledIdentity,
              double curvature_epsilon = 1e-10, PairPrecision precision = PairPrecision::Double);

  /// Dimension of the vectors.
  [[nodiscard]] Index dim() const noexcept { return dim_; }
  /// Linear-operator interface: the dimension (B⁻¹ is `dim()` × `dim()`).
  [[nodiscard]] Index rows() const noexcept { return dim_; }
  /// Most pairs kept (m).
  [[nodiscard]] int capacity() const noexcept { return capacity_; }
  /// Pairs currently stored, in [0, capacity()].
  [[nodiscard]] int size() const noexcept { return size_; }
  /// True when no pair is stored (B⁻¹ = B = I).
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

  /// H₀ mode (see `InitialHessian`).
  [[nodiscard]] InitialHessian initial_hessian() const noexcept { return initial_hessian_; }
  /// Changes H₀ for later applications (the pairs are kept).
  void set_initial_hessian(InitialHessian mode) noexcept { initial_hessian_ = mode; }
  /// ε of the curvature guard sᵀy > ε‖s‖‖y‖.
  [[nodiscard]] double curvature_epsilon() const noexcept { return curvature_epsilon_; }
  /// Changes the curvature guard of later `add_pair` calls. Throws `std::invalid_argument` unless
  /// `epsilon` ∈ [0, 1).
  void set_curvature_epsilon(double epsilon);
  /// Changes the capacity, keeping the newest min(size(), capacity) pairs. Throws
  /// `std::invalid_argument` when `capacity` < 1.
  void set_capacity(int capacity);
  /// Storage precision of the pairs.
  [[nodiscard]] PairPrecision pair_precision() const noexcept { return precision_; }
  /// Changes the storage precision, keeping the pairs: to `Single` or `Half` they are rounded and
  /// their Gram matrix is recomputed from the rounded vectors (one sweep of O(m²·d) work); to
  /// `Double` they are widened exactly and nothing else changes, except that the Gram matrix of
  /// binary16 pairs (computed in single precision) is recomputed in double. No-op when unchanged.
  void set_pair_precision(PairPrecision precision);

  /// Sets the diagonal Δ of H₀ = γΔ (`dim()` positive finite entries), or removes it (Δ = I)
  /// when `diagonal` is empty. The pairs are kept (their Gram products with Δ are recomputed, one
  /// sweep of O(m²·d) work). Throws `std::invalid_argument` on a wrong size or a non-positive or
  /// non-finite entry.
  void set_diagonal(const Vector& diagonal);
  /// Δ (empty when Δ = I).
  [[nodiscard]] const Vector& diagonal() const noexcept { return diagonal_; }

  /// Threads of the d-sized sweeps: 0 (default) = all cores, n > 0 = n. Results do not depend
  /// on it. Throws `std::invalid_argument` when negative.
  void set_num_threads(int num_threads);
  /// Threads of the sweeps (0 = all cores).
  [[nodiscard]] int num_threads() const noexcept { return num_threads_; }

  /// Removes every pair (capacity, dimension and modes are kept).
  void clear() noexcept;

  /// A counter that changes whenever the stored pairs change (add, clear, capacity change).
  [[nodiscard]] std::uint64_t revision() const noexcept { return revision_; }

  /// Offers the pair (s, y) (`dim()` entries each). It is stored, as the newest, only when it is
  /// finite and passes the curvature guard sᵀy > ε·‖s‖‖y‖ (ε = `curvature_epsilon()`), which
  /// keeps B positive definite; a full memory then drops its oldest pair. With `Single` storage
  /// the guard is applied to the rounded pair, which is what is stored. Returns whether the pair
  /// was stored. Cost: one sweep over the stored pairs (O(m·d)), the pair a full memory drops
  /// excluded. Throws `std::invalid_argument` on a size mismatch (and for any size when `dim()` is
  /// 0).
  bool add_pair(const Vector& s, const Vector& y);

  /// Same, but takes the vectors' storage instead of copying it: on return `s` and `y` hold
  /// unspecified values (possibly the storage of a dropped pair), ready to be overwritten.
  bool add_pair(Vector&& s, Vector&& y);

  /// `add_pair` that also projects `probe` (`dim()` entries) onto the pairs as they are after
  /// the call, in the same sweep: `projection` is then valid for `apply_inverse(probe, …)`, and
  /// bit for bit equal to `project(probe, …)` after the call.
  bool add_pair(const Vector& s, const Vector& y, const Vector& probe, LbfgsProjection& projection);
  /// Same, taking the storage of `s` and `y` (see the moving `add_pair`).
  bool add_pair(Vector&& s, Vector&& y, const Vector& probe, LbfgsProjection& projection);

  /// Projects `v` onto the stored pairs (one sweep).
  void project(const Vector& v, LbfgsProjection& projection) const;

  /// Scale of H₀ = γΔ: s_newᵀy_new / y_newᵀΔy_new with `ScaledIdentity`, 1 with `Identity` or
  /// when empty.
  [[nodiscard]] double gamma() const noexcept;

  /// A copy of s_i of pair i in chronological order (0 = oldest, size() − 1 = newest), as stored
  /// (rounded with `Single` storage). No bounds check.
  [[nodiscard]] Vector s(int i) const;
  /// A copy of y_i of pair i (indexed as `s`). No bounds check.
  [[nodiscard]] Vector y(int i) const;
  /// s_iᵀy_i (> 0) of pair i.
  [[nodiscard]] double curvature(int i) const noexcept { return sy_(slot(i), slot(i)); }
  /// ρ_i = 1/(s_iᵀy_i) of pair i.
  [[nodiscard]] double rho(int i) const noexcept { return 1.0 / curvature(i); }

  /// out = B⁻¹v (the L-BFGS two-loop recursion, see above). `out` is resized to `dim()`; it may
  /// alias `v`. Empty memory: out = v. Throws `std::invalid_argument` when `v` has the wrong
  /// size.
  void apply_inverse(const Vector& v, Vector& out) const { apply_inverse(v, out, 1.0, nullptr); }

  /// out = scale·B⁻¹v, reusing `projection` (which must have been computed from this same `v`)
  /// when its revision is current, which saves one sweep; otherwise `v` is projected again.
  void apply_inverse(const Vector& v, Vector& out, double scale,
                     const LbfgsProjection* projection) const;

  /// Linear-operator interface (inverse Hessian): y = B⁻¹x.
  void apply(const Vector& x, Vector& y) const { apply_inverse(x, y); }
  /// Linear-operator interface (inverse Hessian): y += B⁻¹x.
  void apply_add(const Vector& x, Vector& y) const;

 private:
  [[nodiscard]] std::size_t slot(int i) const noexcept {
    return static_cast<std::size_t>((head_ + i) % capacity_);
  }
  void check_vector(const Vector& v, const char* what) const;
  bool store(const Vector& s, const Vector& y, Vector* s_owned, Vector* y_owned,
             const Vector* probe, LbfgsProjection* projection);
  // The implementations, for the storage of scalar type T (double or float).
  template <typename T>
  bool store_as(const Vector& s, const Vector& y, Vector* s_owned, Vector* y_owned,
                const Vector* probe, LbfgsProjection* projection);
  template <typename T>
  void project_as(const Vector& v, LbfgsProjection& projection) const;
  template <typename T>
  void combine_as(const Vector& v, double a0, const Eigen::VectorXd& cy, const Eigen::VectorXd& cs,
                  double* out) const;
  // The pairs as doubles (exact), chronologically.
  [[nodiscard]] std::vector<Vector> pairs_s() const;
  [[nodiscard]] std::vector<Vector> pairs_y() const;
  // Allocates the storage of `precision_` for `capacity_` slots and frees the others.
  void allocate_storage();
  // Stores x in slot `slot` of the storage of `precision_` (rounded, with its scale).
  void put(bool is_s, std::size_t slot, const Vector& x);
  // yy_(a, b) = y_aᵀΔy_b for every stored pair (after Δ changed).
  void recompute_weighted_gram();
  // Every Gram product (after the pairs were rounded).
  void recompute_gram();
  template <typename T>
  void recompute_gram_as(bool all);
  // The storage of scalar type T (s_/y_ for double, sf_/yf_ for float, sh_/yh_ for binary16).
  template <typename T>
  [[nodiscard]] const std::vector<Eigen::Matrix<T, Eigen::Dynamic, 1>>& s_store() const noexcept;
  template <typename T>
  [[nodiscard]] const std::vector<Eigen::Matrix<T, Eigen::Dynamic, 1>>& y_store() const noexcept;
  template <typename T>
  [[nodiscard]] std::vector<Eigen::Matrix<T, Eigen::Dynamic, 1>>& s_store() noexcept;
  template <typename T>
  [[nodiscard]] std::vector<Eigen::Matrix<T, Eigen::Dynamic, 1>>& y_store() noexcept;

  Index dim_ = 0;
  int capacity_ = 10;
  int size_ = 0;
  int head_ = 0;  // slot of the oldest pair
  InitialHessian initial_hessian_ = InitialHessian::ScaledIdentity;
  double curvature_epsilon_ = 1e-10;
  PairPrecision precision_ = PairPrecision::Double;
  int num_threads_ = 0;
  std::uint64_t revision_ = 1;
  // The pairs by slot: s_/y_ with `Double` storage, sf_/yf_ with `Single`, sh_/yh_ (binary16
  // bits) with `Half` (the other arrays are empty).
  std::vector<Vector> s_;
  std::vector<Vector> y_;
  std::vector<Eigen::VectorXf> sf_;
  std::vector<Eigen::VectorXf> yf_;
  std::vector<Eigen::Matrix<std::uint16_t, Eigen::Dynamic, 1>> sh_;
  std::vector<Eigen::Matrix<std::uint16_t, Eigen::Dynamic, 1>> yh_;
  // By slot, the power of two that the stored entries are multiplied by (1 except with `Half`).
  std::vector<double> s_scale_;
  std::vector<double> y_scale_;
  Vector diagonal_;  // Δ; empty for the identity
  // Gram matrices indexed by slot: sy_(a, b) = s_aᵀy_b, yy_(a, b) = y_aᵀΔy_b.
  Eigen::MatrixXd sy_;
  Eigen::MatrixXd yy_;
};

static_assert(linalg::LinearOperator<LbfgsMemory>, "LbfgsMemory must model LinearOperator");

}  // namespace shine::inner
