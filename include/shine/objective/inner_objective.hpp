#pragma once
/// @file
/// The inner (training) objective of the bi-level problem: L2-regularized logistic regression.
///
///     h(w, θ) = Σ_i c_i log(1 + exp(−z_i)) + ½ Σ_j exp(θ_{g(j)}) w_j²,   z_i = y_i (x_iᵀw + b)
///
/// a **sum** over the n training samples (not a mean), b the optional intercept, c_i the sample
/// weights (`Dataset::weights`; 1 when the dataset has none). With r_i = −c_i y_i σ(−z_i),
/// D_i = c_i σ(z_i)σ(−z_i) and Λ = diag(exp(θ_{g(j)})):
///
///     ∇_w h = Xᵀr + Λw,          ∂h/∂b = Σ_i r_i
///     H v   = Xᵀ(D∘(Xv + v_b)) + Λv,   (H v)_b = Σ_i D_i (x_iᵀv + v_b)
///     (∂_θ ∇_w h)ᵀ q = [exp(θ_k) Σ_{j∈G_k} w_j q_j]_k
///
/// **Evaluation state, no hidden call order.** Every quantity at a point w lives in a
/// `LogisticState` that the caller owns: `evaluate` fills it, and the gradient, the line-search
/// functions, `hessian_vector` and the cross-derivative read it. The objective itself holds only
/// the data (by reference), θ and options; its const methods are safe to call concurrently on
/// different states.
///
/// **Cost in passes over the data** (one pass = one sweep of X or of its stored transpose Xt,
/// about 12 bytes per non-zero): `evaluate` 2 (X·w, Xᵀ·r); `value` 1; `prepare_line` 1 (X·d);
/// `line_value` 0 (O(n) per trial step); `move` 1 (Xᵀ·r at the accepted point);
/// `hessian_vector` 2. This is liblinear's scheme: a line search costs one pass plus O(n) per
/// trial, and only the accepted point pays for its gradient.
///
/// **Rows spread over processes.** When the training data is one process's part of a dataset
/// spread by rows (`data::Dataset::communicator` set, more than one rank), every sum over the
/// rows is summed over the group, so that each process holds the whole objective's value and
/// gradient while w is replicated: `evaluate` and `move` one sum of d + 2 values (Xᵀr, the loss
/// and Σr), `value` and `prepare_line` one value, `line_value` two, `hessian_vector` and
/// `gradient_change` d + 1, the constructor d + 1 (column norms and Σc). Every rank must then
/// make the same calls in the same order (they are collective); the feature loops use chunks
/// that do not depend on the local rows, so every rank computes the same bits.

#include <cstdint>
#include <limits>
#include <memory>
#include <span>

#include "shine/core/types.hpp"
#include "shine/data/dataset.hpp"
#include "shine/linalg/linear_operator.hpp"
#include "shine/objective/l2_regularizer.hpp"
#include "shine/objective/objective_options.hpp"

namespace shine::objective {

/// Everything known about the inner objective at one point w, owned by the caller and filled by
/// `InnerObjective::evaluate` (or advanced by `InnerObjective::move`). Vectors are resized as
/// needed, so one state can be reused across calls without reallocating. The θ-dependent fields
/// (`penalty`, `value`, `gradient`) reflect θ at the time of the call; after `set_theta` evaluate
/// again.
struct LogisticState {
  /// Initial value of the scalar fields: NaN until the state is first evaluated.
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

  Vector w;          ///< The point: d feature weights, then the intercept when fitted.
  Vector margins;    ///< z_i = y_i (x_iᵀw + b), n entries.
  Vector sigma_neg;  ///< σ(−z_i) = 1 − σ(z_i) (computed without cancellation), n entries.
  Vector curvature;  ///< D_i = c_i σ(z_i)σ(−z_i) ∈ [0, c_i/4], the Hessian weights, n entries.
  Vector residual;   ///< r_i = −c_i y_i σ(−z_i) = ∂loss/∂(x_iᵀw + b), n entries.
  double loss = kNaN;           ///< Σ_i c_i log(1 + exp(−z_i)).
  double penalty = kNaN;        ///< ½ Σ_j λ_{g(j)} w_j².
  double value = kNaN;          ///< h(w, θ) = loss + penalty.
  Vector gradient;              ///< ∇_w h (same layout as w).
  double gradient_norm = kNaN;  ///< ‖∇_w h‖₂.
};

/// Precomputed data of a line w + α·d through a state: filled by `prepare_line` (one pass), read
/// by `line_value` (O(n) per α) and `move`.
struct LineProbe {
  Vector margin_slope;      ///< u_i = y_i (x_iᵀd + d_b) = dz_i/dα, n entries.
  double penalty_ww = 0.0;  ///< wᵀΛw.
  double penalty_wd = 0.0;  ///< wᵀΛd.
  double penalty_dd = 0.0;  ///< dᵀΛd.
  double value0 = 0.0;      ///< φ(0) = h(w).
  double slope0 = 0.0;      ///< φ'(0) = ∇h(w)ᵀd.
  /// The per-sample terms at the step of the last `line_value` call (NaN before one), which
  /// `move` reuses when it moves by that same step instead of computing them again: the
  /// line search usually accepts the last step it tried.
  double trial_step = std::numeric_limits<double>::quiet_NaN();
  Vector trial_sigma_neg;  ///< σ(−z_i) at that step, n entries.
  Vector trial_curvature;  ///< σ(z_i)σ(−z_i) at that step (before the sample weight).
  /// This process's Σ_i c_i log(1 + exp(−z_i)) at that step.
  double trial_loss = std::numeric_limits<double>::quiet_NaN();
};

/// φ(α) = h(w + αd) and its derivative φ'(α) = ∇h(w + αd)ᵀd.
struct LineValue {
  double value;  ///< φ(α).
  double slope;  ///< φ'(α).
};

class HessianOperator;

/// The training objective h(w, θ) bound to a dataset (held by reference: the dataset must
/// outlive the objective and every state computed from it).
class InnerObjective {
 public:
  /// Binds `train` with penalty `regularizer` (whose `features()` must equal
  /// `train.features()`). Precomputes the row chunks of X and Xt (O(n + d)). Throws
  /// `std::invalid_argument` on a feature-count mismatch or invalid options.
  InnerObjective(const data::Dataset& train, L2Regularizer regularizer,
                 ObjectiveOptions options = {});

  /// Same with one global λ = exp(theta).
  InnerObjective(const data::Dataset& train, double theta, ObjectiveOptions options = {});

  /// Dimension of w: d, or d + 1 with an intercept (stored last).
  [[nodiscard]] Index dim() const noexcept { return features_ + (options_.fit_intercept ? 1 : 0); }
  /// Number of features d.
  [[nodiscard]] Index features() const noexcept { return features_; }
  /// Number of training samples n.
  [[nodiscard]] Index samples() const noexcept { return data_->rows(); }
  /// Non-zeros of X (one pass reads about 12 bytes per non-zero).
  [[nodiscard]] Index nnz() const noexcept { return data_->nnz(); }
  /// The training data the objective is bound to.
  [[nodiscard]] const data::Dataset& data() const noexcept { return *data_; }
  /// Intercept and thread settings.
  [[nodiscard]] const ObjectiveOptions& options() const noexcept { return options_; }
  /// The penalty, with the current θ.
  [[nodiscard]] const L2Regularizer& regularizer() const noexcept { return regularizer_; }

  /// Changes θ (see `L2Regularizer::set_theta`; throws on a bad size or value). States computed
  /// before hold stale `penalty`, `value` and `gradient`.
  void set_theta(const Vector& theta) { regularizer_.set_theta(theta); }

  /// Evaluates h, its gradient and all per-sample terms at `w` (`dim()` entries) into `state`,
  /// in one fused X·w pass (margins, loss, σ, D, residual) and one fused Xᵀ·r + Λw pass.
  /// Throws `std::invalid_argument` when `w` has the wrong size. Non-finite w gives non-finite
  /// values (never an exception).
  void evaluate(const Vector& w, LogisticState& state) const;

  /// Convenience: `evaluate` into a fresh state.
  [[nodiscard]] LogisticState evaluate(const Vector& w) const;

  /// h(w, θ) alone, one pass (no gradient).
  [[nodiscard]] double value(const Vector& w) const;

  /// Prepares the line w + αd through `state` (`d` with `dim()` entries): one X·d pass computing
  /// u = y∘(Xd + d_b), fused with φ'(0), plus the penalty quadratic forms (O(d)).
  void prepare_line(const LogisticState& state, const Vector& d, LineProbe& probe) const;

  /// φ(α) and φ'(α) along a prepared line, O(n), no pass over X:
  /// φ(α) = Σ c_i softplus(−(z_i + αu_i)) + ½(wᵀΛw + 2α wᵀΛd + α² dᵀΛd),
  /// φ'(α) = −Σ c_i u_i σ(−(z_i + αu_i)) + wᵀΛd + α dᵀΛd. φ(0) equals `probe.value0` exactly.
  /// Keeps the per-sample terms at α in the probe's `trial_*` fields for `move`.
  [[nodiscard]] LineValue line_value(const LogisticState& state, LineProbe& probe,
                                     double alpha) const;

  /// Moves `state` to w + αd along a prepared line (the same `d` given to `prepare_line`):
  /// w ← w + αd, z ← z + αu, refreshes the per-sample terms, then one pass over Xt that updates
  /// w and computes the new gradient, its norm and, when requested, the step `step` = αd and the
  /// gradient change `gradient_change` = ∇h(new) − ∇h(old) (the L-BFGS pair, formed without
  /// extra sweeps). The penalty uses the closed form of the probe. The margins are updated, not
  /// recomputed, so they can drift by rounding over many moves; `evaluate` resynchronizes them.
  /// When α is the step of the last `line_value` call, its per-sample terms are reused (the
  /// same bits as computing them again).
  void move(LogisticState& state, const Vector& d, const LineProbe& probe, double alpha,
            Vector* step = nullptr, Vector* gradient_change = nullptr) const;

  /// out = H(w)·v at the point of `state` (`v` with `dim()` entries), two passes, H never formed.
  /// `work` (resized to n) is scratch space; pass one to avoid an allocation per call.
  void hessian_vector(const LogisticState& state, const Vector& v, Vector& out,
                      Vector* work = nullptr) const;

  /// H(w) formed as a dense dim() × dim() matrix at the point of `state`: XᵀDX + Λ, with the
  /// intercept's row and column (Σ_i D_i x_i, Σ_i D_i) when fitted. For problems with few
  /// features (a direct solve of H q = ∇f instead of conjugate gradient). One sweep over the rows
  /// on the calling thread fills the lower triangle, each entry summing its rows in increasing
  /// order; the upper triangle is its mirror (H is exactly symmetric). Cost: `dense_hessian_work()`
  /// multiply-adds, dim()² doubles of memory. Throws `std::invalid_argument` when the rows are
  /// spread over processes (`distributed()`).
  [[nodiscard]] Eigen::MatrixXd dense_hessian(const LogisticState& state) const;

  /// Multiply-adds of `dense_hessian`: Σ_i nnz(x_i)(nnz(x_i) + 1)/2 (one triangle), plus
  /// nnz(x_i) + 1 per row for the intercept.
  [[nodiscard]] double dense_hessian_work() const;

  /// out = ∇h(w + e) − ∇h(w) at the point w of `state` (`e` with `dim()` entries), two passes:
  /// the margins of w + e come from the stored ones (z + y∘(Xe + e_b)), so w + e and the two
  /// gradients are never formed, and the difference carries no cancellation of the loss
  /// gradients' common part. This is the secant pair (e, out) of a step e without taking it.
  /// `work` (resized to n) is scratch space, as for `hessian_vector`.
  void gradient_change(const LogisticState& state, const Vector& e, Vector& out,
                       Vector* work = nullptr) const;

  /// The Hessian at the point of `state` as a `linalg::LinearOperator` (references this
  /// objective and `state`, which must outlive it).
  [[nodiscard]] HessianOperator hessian(const LogisticState& state) const;

  /// The diagonal of the Hessian where every σ(z_i)σ(−z_i) = ¼ (its maximum, reached at w = 0):
  /// ¼ Σ_i c_i x_ij² + λ_{g(j)} for each feature (and Σ_i c_i / 4 for the intercept), an upper
  /// bound of diag(H(w)) for every w. `dim()` entries, O(d) (the column norms are computed once).
  [[nodiscard]] Vector hessian_diagonal_bound() const;

  /// ∂h/∂θ_k = ½ exp(θ_k) Σ_{j∈G_k} w_j² (k entries).
  [[nodiscard]] Vector theta_gradient(const Vector& w) const {
    return regularizer_.theta_gradient(w);
  }

  /// (∂_θ ∇_w h)ᵀ q, entry k = exp(θ_k) Σ_{j∈G_k} w_j q_j (k entries; the intercept does not
  /// contribute). The hypergradient is −cross_derivative(w*, H⁻¹∇f(w*)).
  [[nodiscard]] Vector cross_derivative(const Vector& w, const Vector& q) const {
    return regularizer_.cross_derivative(w, q);
  }

  /// True when the rows are spread over several processes (sums are reduced over the group).
  [[nodiscard]] bool distributed() const noexcept;

 private:
  void check_point(const Vector& v, const char* what) const;
  // The sample weights c_i, or null when the training data has none (every c_i = 1).
  [[nodiscard]] const double* sample_weights() const noexcept {
    return data_->weighted() ? data_->weights.data() : nullptr;
  }
  // One pass over Xt: optionally w += αd (with step = αd), then ∇h = Xᵀr + Λw (Σr for the
  // intercept), optionally gradient_change = new − old gradient, the gradient norm; returns
  // wᵀΛw (the penalty times 2) of the final w. `data_part` (distributed): Xᵀr already summed
  // over the group, used instead of the pass over Xt.
  double gradient_pass(LogisticState& state, double residual_sum, const Vector* d, double alpha,
                       Vector* step, Vector* gradient_change,
                       const double* data_part = nullptr) const;
  // The second pass of hessian_vector and gradient_change: out = Xᵀq + Λv, with Σq for the
  // intercept entry.
  void transpose_pass(const Vector& q, double q_sum, const Vector& v, Vector& out) const;
  // Sums `values` over the group when distributed.
  void reduce(std::span<double> values) const;
  // Distributed: Xᵀq of this process's rows (d entries) followed by `extra`, summed over the
  // group (d + extra.size() entries).
  [[nodiscard]] Vector reduced_transpose(const Vector& q, std::span<const double> extra) const;
  // The fixed row partitions of the parallel loops (defined in inner_objective.cpp), made once
  // by the constructor and never changed: copies of the objective share them.
  struct Chunks;

  const data::Dataset* data_;
  L2Regularizer regularizer_;
  ObjectiveOptions options_;
  Index features_;
  std::shared_ptr<const Chunks> chunks_;
  Vector column_sq_norms_;  // Σ_i x_ij², θ-independent (over the group when distributed)
  const core::Communicator* communicator_ = nullptr;  // the training data's group, if any
  double total_weight_ = 0.0;                         // distributed: Σ c_i over the group
};

/// The Hessian ∇²_w h at a fixed state, as a linear operator (two passes per `apply`).
/// Holds references to the objective and the state, which must outlive it. Not safe for
/// concurrent `apply` on one object (it keeps a scratch vector); copies are independent.
class HessianOperator {
 public:
  /// The Hessian of `objective` at the point of `state` (both referenced, not copied).
  HessianOperator(const InnerObjective& objective, const LogisticState& state)
      : objective_(&objective), state_(&state) {}

  /// Dimension of w.
  [[nodiscard]] Index rows() const noexcept { return objective_->dim(); }
  /// y = H·x.
  void apply(const Vector& x, Vector& y) const {
    objective_->hessian_vector(*state_, x, y, &work_);
  }
  /// y += H·x.
  void apply_add(const Vector& x, Vector& y) const {
    objective_->hessian_vector(*state_, x, product_, &work_);
    y += product_;
  }

 private:
  const InnerObjective* objective_;
  const LogisticState* state_;
  mutable Vector work_;
  mutable Vector product_;
};

static_assert(linalg::LinearOperator<HessianOperator>);

inline HessianOperator InnerObjective::hessian(const LogisticState& state) const {
  return HessianOperator(*this, state);
}

}  // namespace shine::objective
