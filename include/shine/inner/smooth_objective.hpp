#pragma once
/// @file
/// What the L-BFGS solver needs from an objective, and two implementations: the logistic inner
/// objective (fast line search) and any callable returning a value and a gradient.
///
/// The solver drives a `SmoothObjective` as a cursor: it sets a current point, reads the value
/// and gradient there, prepares a line along a direction, probes φ(α) = h(w + αd) and φ'(α) at
/// trial steps, and moves the cursor to the accepted step. An implementation is free to make
/// probes cheaper than full evaluations (the logistic one needs O(n) per probe after one pass).

#include <functional>
#include <memory>

#include "shine/core/types.hpp"
#include "shine/inner/line_search.hpp"
#include "shine/objective/inner_objective.hpp"

namespace shine::inner {

/// Work done by an objective, for summaries.
struct WorkCounts {
  Index function_evaluations = 0;  ///< Values computed (full evaluations and line probes).
  Index gradient_evaluations = 0;  ///< Gradients computed (including side evaluations).
  Index data_passes = 0;       ///< Sweeps over X or Xᵀ (0 when the objective has no data notion).
  Index hessian_products = 0;  ///< Hessian-vector products.
};

/// A differentiable objective h: R^dim → R as seen by the L-BFGS solver: a cursor with a current
/// point, its value and gradient, and a line through it. Not thread-safe (it is stateful).
class SmoothObjective {
 public:
  virtual ~SmoothObjective() = default;

  /// Dimension of the variable.
  [[nodiscard]] virtual Index dim() const = 0;

  /// Moves the cursor to `w` (`dim()` entries) and evaluates h and ∇h there.
  virtual void set_point(const Vector& w) = 0;
  /// The current point.
  [[nodiscard]] virtual const Vector& point() const = 0;
  /// h at the current point.
  [[nodiscard]] virtual double value() const = 0;
  /// ∇h at the current point (`dim()` entries).
  [[nodiscard]] virtual const Vector& gradient() const = 0;
  /// ‖∇h‖₂ at the current point.
  [[nodiscard]] virtual double gradient_norm() const = 0;

  /// Prepares the line point() + α·d and returns φ(0) and φ'(0) = ∇hᵀd. `direction` is held by
  /// reference: it must stay alive and unchanged until the next `set_direction`, `move` or
  /// `set_point`.
  virtual LinePoint set_direction(const Vector& direction) = 0;
  /// φ(α) and φ'(α) on the prepared line (the cursor does not move).
  virtual LinePoint line_value(double alpha) = 0;
  /// Moves the cursor to point() + α·d on the prepared line and evaluates h and ∇h there. When
  /// not null, `step` receives α·d and `gradient_change` ∇h(new) − ∇h(old) (resized), which an
  /// implementation may form within its own sweeps.
  virtual void move(double alpha, Vector* step = nullptr, Vector* gradient_change = nullptr) = 0;

  /// Side evaluation that leaves the cursor alone: h(w) and, when `gradient` is not null, ∇h(w).
  /// Used by iteration hooks (e.g. extra secant pairs ∇h(w + e) − ∇h(w)).
  virtual double evaluate_at(const Vector& w, Vector* gradient) = 0;
  /// out = ∇²h(point())·v when the objective can form Hessian-vector products; returns false
  /// (and leaves `out` alone) otherwise. The default returns false.
  virtual bool hessian_vector(const Vector& v, Vector& out);

  /// out = ∇h(point() + e) − ∇h(point()) when the objective can form it without forming
  /// point() + e (a secant pair along e, e.g. for iteration hooks); returns false (and leaves
  /// `out` alone) otherwise, and the caller uses `evaluate_at`. The default returns false.
  virtual bool gradient_change(const Vector& e, Vector& out);

  /// A positive diagonal Δ (`dim()` entries) for the initial inverse Hessian H₀ = γΔ of L-BFGS,
  /// i.e. a diagonal preconditioner; returns false (and leaves `delta` alone) when the objective
  /// offers none. The default returns false.
  virtual bool diagonal_scaling(Vector& delta);

  /// Work done so far.
  [[nodiscard]] virtual WorkCounts counts() const = 0;
};

/// The logistic inner objective (`objective::InnerObjective`) as a `SmoothObjective`: line probes
/// cost O(n) after one X·d pass, a move one Xᵀ·r pass, and Hessian-vector products are exact.
/// Holds the objective by reference (it must outlive the adapter). The margins are recomputed
/// from scratch every `kResyncInterval` moves so that rounding drift of the incremental update
/// z ← z + αu stays bounded (one extra pass, counted).
class LogisticObjective final : public SmoothObjective {
 public:
  /// Moves between two full re-evaluations of the margins.
  static constexpr int kResyncInterval = 64;

  /// A cursor over `objective` (referenced, not copied); call `set_point` before anything else.
  explicit LogisticObjective(const objective::InnerObjective& objective);

  // The SmoothObjective interface (documented there); the pass cost of each call is listed in
  // objective/inner_objective.hpp.
  [[nodiscard]] Index dim() const override { return objective_->dim(); }
  void set_point(const Vector& w) override;
  [[nodiscard]] const Vector& point() const override { return state_.w; }
  [[nodiscard]] double value() const override { return state_.value; }
  [[nodiscard]] const Vector& gradient() const override { return state_.gradient; }
  [[nodiscard]] double gradient_norm() const override { return state_.gradient_norm; }
  LinePoint set_direction(const Vector& direction) override;
  LinePoint line_value(double alpha) override;
  void move(double alpha, Vector* step = nullptr, Vector* gradient_change = nullptr) override;
  double evaluate_at(const Vector& w, Vector* gradient) override;
  bool hessian_vector(const Vector& v, Vector& out) override;
  /// From the margins at `point()`: two passes, no d-sized temporary (see
  /// `objective::InnerObjective::gradient_change`).
  bool gradient_change(const Vector& e, Vector& out) override;
  /// Δ_j = (¼ Σ_i x_ij² + λ_j)^(−1/2): the inverse square root of the Hessian diagonal at w = 0
  /// (see `objective::InnerObjective::hessian_diagonal_bound`).
  bool diagonal_scaling(Vector& delta) override;
  [[nodiscard]] WorkCounts counts() const override { return counts_; }

  /// The evaluation state at the current point (margins, σ, D, gradient): after a solve, the
  /// state at the returned w, ready for `objective::InnerObjective::hessian`.
  [[nodiscard]] const objective::LogisticState& state() const noexcept { return state_; }
  /// The objective this cursor runs over.
  [[nodiscard]] const objective::InnerObjective& objective() const noexcept { return *objective_; }

 private:
  const objective::InnerObjective* objective_;
  objective::LogisticState state_;
  objective::LineProbe probe_;
  const Vector* direction_ = nullptr;
  Vector hessian_work_;
  int moves_since_resync_ = 0;
  WorkCounts counts_;
};

/// Any function given as a callable `double f(const Vector& w, Vector& gradient)` (returns h(w)
/// and writes ∇h(w)) as a `SmoothObjective`. Every line probe is a full evaluation; the probe at
/// the accepted step is reused by `move`. Optionally a Hessian-vector callable.
class CallableObjective final : public SmoothObjective {
 public:
  /// Returns h(w) and writes ∇h(w) into `gradient` (already sized `dim`).
  using ValueAndGradient = std::function<double(const Vector& w, Vector& gradient)>;
  /// Writes ∇²h(w)·v into `out` (already sized `dim`).
  using HessianVector = std::function<void(const Vector& w, const Vector& v, Vector& out)>;

  /// `function` must be callable with vectors of `dim` entries. `hessian_vector`, when given,
  /// computes ∇²h(w)·v. Throws `std::invalid_argument` when `dim` < 1 or `function` is empty.
  CallableObjective(Index dim, ValueAndGradient function, HessianVector hessian_vector = {});

  // The SmoothObjective interface (documented there).
  [[nodiscard]] Index dim() const override { return dim_; }
  void set_point(const Vector& w) override;
  [[nodiscard]] const Vector& point() const override { return w_; }
  [[nodiscard]] double value() const override { return value_; }
  [[nodiscard]] const Vector& gradient() const override { return gradient_; }
  [[nodiscard]] double gradient_norm() const override { return gradient_norm_; }
  LinePoint set_direction(const Vector& direction) override;
  LinePoint line_value(double alpha) override;
  void move(double alpha, Vector* step = nullptr, Vector* gradient_change = nullptr) override;
  double evaluate_at(const Vector& w, Vector* gradient) override;
  bool hessian_vector(const Vector& v, Vector& out) override;
  [[nodiscard]] WorkCounts counts() const override { return counts_; }

 private:
  Index dim_;
  ValueAndGradient function_;
  HessianVector hessian_vector_;
  Vector w_;
  double value_ = 0.0;
  Vector gradient_;
  double gradient_norm_ = 0.0;
  const Vector* direction_ = nullptr;
  // Last probe, reused by move() when it is the accepted step.
  double probe_alpha_ = 0.0;
  bool probe_valid_ = false;
  Vector probe_w_;
  double probe_value_ = 0.0;
  Vector probe_gradient_;
  WorkCounts counts_;
};

}  // namespace shine::inner
