#pragma once
/// @file
/// A safeguarded secant (Barzilai–Borwein) step on θ = log λ that converges and says so.
///
/// At outer iteration k, with the hypergradient p_k at θ_k and the outer loss f_k:
///
///     c = ΔθᵀΔp / ΔθᵀΔθ        (Δθ = θ_k − θ_{k−1}, Δp = p_k − p_{k−1}; the curvature along
///                               the last step, the secant slope of p when dim θ = 1; a step
///                               shorter than 5·theta_tolerance keeps the previous positive c,
///                               since the difference of two approximate hypergradients so
///                               close is mostly their error; so does an estimate c ≤ 0)
///     step = −p/c               when c > 0 (Newton's step on the secant model)
///     step = −r·p/‖p‖           while no positive c is known, and at the first iteration (a
///                               steepest-descent step of the trust radius's length)
///     step ← step·r/‖step‖      when ‖step‖ > r (the trust radius)
///     θ_{k+1} = clip(θ_k + step, [lower, upper])
///
/// Norms are root-mean-square over the groups, so that r is a distance in log-λ whatever dim θ.
/// The radius starts at `initial_radius`, doubles (up to `max_radius`) after a capped step that
/// lowered f, and shrinks to half the last step after a step that raised it (the minimum was
/// overshot; the secant through the two points then interpolates between them).
///
/// Convergence: the step actually taken (after clipping) has ‖·‖ ≤ `theta_tolerance` and is the
/// model's own step (a positive curvature, not cut by the radius), or θ sits on a bound that p
/// pushes against, or p = 0, or the model (a positive curvature) predicts that f can fall by at
/// most `loss_tolerance`·|f| (½‖p‖²/c). At θ = log λ
/// a tolerance of 0.02 means λ is known to within 2 %, where the held-out loss is flat to far
/// below 1 %.
///
/// With one λ this is the secant method on p(θ) = 0, safeguarded by the trust radius; its order
/// is (1 + √5)/2 near a minimum with positive curvature. With feature groups it is the
/// Barzilai–Borwein gradient method (one curvature for all groups).

#include "shine/core/types.hpp"
#include "shine/outer/hoag_step.hpp"

namespace shine::outer {

/// Options of the secant step. Defaults chosen by the tuning benchmark (BENCHMARKS.md).
struct SecantStepOptions {
  /// Trust radius of the first step, in log-λ. Range (0, max_radius]. Default 2 (the first step
  /// of HOAG's double rule).
  double initial_radius = 2.0;
  /// Largest trust radius. Range [initial_radius, 24]. Default 4.
  double max_radius = 4.0;
  /// Converged when a step with a positive curvature estimate moves θ by at most this (RMS over
  /// groups, in log-λ). Range (0, 1]. Default 0.02.
  double theta_tolerance = 0.02;
  /// Converged also when the secant model (a positive curvature c) predicts that no step lowers
  /// f by more than this fraction of |f|: ½‖p‖²/c ≤ loss_tolerance·|f|, the decrease to the
  /// model's minimum. Where f is flat about its minimum, its minimizer is ill-determined and the
  /// error of the hypergradients moves θ by more than `theta_tolerance` long after f has stopped
  /// improving. Range [0, 1); 0 turns it off. Default 1e-4.
  double loss_tolerance = 1e-4;

  /// Throws `std::invalid_argument` naming the field when a value is out of range.
  void validate() const;
};

/// The secant step's state across outer iterations. Not thread-safe; one per outer loop.
class SecantStep {
 public:
  /// Throws `std::invalid_argument` when `options` or the bounds are invalid.
  SecantStep(SecantStepOptions options, double lower_bound, double upper_bound);

  /// Result of `update`.
  struct Update {
    Vector theta;  ///< θ for the next outer iteration (within the bounds).
    /// Secant, Capped, Converged, or NonFinite (θ kept, radius halved).
    StepOutcome outcome;
    double curvature;  ///< c (0 when unknown or not positive).
    double radius;     ///< Trust radius after the update.
    double step_norm;  ///< RMS norm of the step taken.
    /// ½‖p‖²/(c·|f|): the decrease of f the secant model predicts, relative to f (+∞ without a
    /// positive curvature).
    double predicted_decrease;
    /// True from the first update at which f rose over a step shorter than 5·theta_tolerance
    /// on: over so short a step a smooth loss rises only past its minimum, and a secant model
    /// that keeps stepping back and forth there is steered by the error of the hypergradients,
    /// not by their trend. The outer loop then computes them more accurately.
    bool bounced;
  };

  /// What the caller does after a bounce.
  enum class AfterBounce {
    Same,  ///< Nothing changes: hypergradients as before, the radius halved as after any rise.
    /// The caller computes accurate hypergradients from the bouncing update on (that one
    /// included). The radius, shrunk on the errors of the earlier ones, restarts once at
    /// `initial_radius`, and from the next update on the curvature is re-estimated over every
    /// step, short ones too: the difference of two accurate hypergradients is no longer mostly
    /// their error.
    Accurate,
  };

  /// True when an update at `theta` with outer loss `f` bounces (see `Update::bounced`): the
  /// state has bounced already, or f rises over a step shorter than 5·theta_tolerance. Lets the
  /// caller compute this evaluation's hypergradient accurately before `update`.
  [[nodiscard]] bool bounces(const Vector& theta, double f) const;
  /// Enters the state after a bounce without one (the caller found its hypergradients too
  /// inaccurate otherwise, e.g. an accurate one that does not confirm a convergence): `bounces`
  /// is true from now on and, from the next update on, the curvature is re-estimated over every
  /// step when the caller passes `AfterBounce::Accurate`. The radius restarts at
  /// `initial_radius` unless bounced already (then nothing changes).
  void require_accuracy();

  /// One update at `theta` (within the bounds) with hypergradient `p` and outer loss `f`.
  /// Throws `std::invalid_argument` when the sizes of `theta` and `p` differ.
  Update update(const Vector& theta, const Vector& p, double f,
                AfterBounce after_bounce = AfterBounce::Same);

  /// The saved state (checkpoints): previous θ, p, f, the radius and the curvature.
  /// `previous_theta` is empty before the first finite update.
  struct State {
    Vector previous_theta;
    Vector previous_gradient;
    double previous_loss = 0.0;
    double radius = 0.0;
    double curvature = 0.0;  ///< The curvature in use (0: none yet, or not positive).
    /// f rose over a step shorter than 5·theta_tolerance: θ is within the hypergradient's
    /// error of the minimum (sticky; see `Update::bounced`).
    bool bounced = false;
  };
  [[nodiscard]] State state() const { return state_; }
  /// Restores a state returned by `state()`. Throws `std::invalid_argument` when inconsistent.
  void restore(State state);

  [[nodiscard]] const SecantStepOptions& options() const noexcept { return options_; }

 private:
  SecantStepOptions options_;
  double lower_;
  double upper_;
  State state_;
};

}  // namespace shine::outer
