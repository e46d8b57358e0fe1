#pragma once
/// @file
/// The inner solver: L-BFGS with a strong-Wolfe line search, returning its memory.
///
/// Algorithm (Nocedal & Wright, Algorithm 7.5), at iterate w_k with gradient g_k:
///
///  1. the per-iteration hook runs (it may add secant pairs to the memory, or ask to stop);
///  2. stop when ‖g_k‖₂ ≤ tol (`Converged`), on a stop request, at `max_iterations` or past
///     `time_limit`: tests are made at accepted iterates only, so the returned w is the point that
///     met the test and the newest pair of the memory ends at it;
///  3. d_k = −B_k⁻¹g_k (two-loop recursion; −g_k while the memory is empty, first trial step
///     min(1, 1/‖g_k‖) so that it is at most unit length; 1 otherwise);
///  4. a strong-Wolfe line search along d_k (`line_search.hpp`); if it fails along a
///     quasi-Newton direction, one retry along −g_k (the memory is kept); if that fails too the
///     solve ends with `LineSearchFailed` at w_k;
///  5. w_{k+1} = w_k + α d_k; the pair (s_k, y_k) = (w_{k+1} − w_k, g_{k+1} − g_k) is offered to
///  the
///     memory, which keeps it if sᵀy > ε‖s‖‖y‖.
///
/// Numerical outcomes are never thrown: they end the solve with a `Termination` in the summary,
/// and the returned w is always the last finite accepted iterate (never NaN). Exceptions are
/// reserved for misuse (invalid options, sizes that do not match, a non-finite w₀).

#include <functional>
#include <string>

#include "shine/core/status.hpp"
#include "shine/core/types.hpp"
#include "shine/inner/lbfgs_memory.hpp"
#include "shine/inner/lbfgs_options.hpp"
#include "shine/inner/smooth_objective.hpp"
#include "shine/objective/inner_objective.hpp"

namespace shine::inner {

/// How a solve went: outcome, work and times.
struct InnerSummary {
  Termination termination = Termination::MaxIterations;  ///< Why the solve stopped.
  std::string message;  ///< One sentence explaining the termination with the numbers involved.

  int iterations = 0;                 ///< Accepted steps.
  Index function_evaluations = 0;     ///< Values of h computed (incl. line-search trial steps).
  Index gradient_evaluations = 0;     ///< Gradients of h computed.
  Index data_passes = 0;              ///< Sweeps over X or Xᵀ (logistic objective; else 0).
  Index hessian_products = 0;         ///< Hessian-vector products (e.g. made by a hook).
  Index line_search_evaluations = 0;  ///< Trial steps of all line searches.
  int steepest_descent_retries = 0;   ///< Line searches retried along −∇h.
  int pairs_accepted = 0;             ///< Solver pairs stored in the memory.
  int pairs_rejected = 0;             ///< Solver pairs refused by the curvature guard.

  double initial_value = 0.0;          ///< h(w₀).
  double final_value = 0.0;            ///< h(w) at return.
  double initial_gradient_norm = 0.0;  ///< ‖∇h(w₀)‖₂.
  double final_gradient_norm = 0.0;    ///< ‖∇h(w)‖₂ at return.
  double tolerance = 0.0;              ///< The absolute gradient-norm tolerance applied.

  double total_seconds = 0.0;        ///< Wall time of the whole solve.
  double line_search_seconds = 0.0;  ///< Of which: preparing lines and trial steps.
  double direction_seconds = 0.0;    ///< Of which: two-loop recursions and memory updates.
  double hook_seconds = 0.0;         ///< Of which: time spent in the hook.

  /// One line, e.g. "converged: 57 it, 118 f, 58 g, 175 passes, |g| 1.2e+03 -> 9.8e-04, 0.41 s".
  [[nodiscard]] std::string brief() const;
};

/// The result of a solve: the point, its value and gradient, the memory and the summary.
struct InnerResult {
  Vector w;            ///< Last accepted iterate (finite).
  double value = 0.0;  ///< h(w).
  Vector gradient;     ///< ∇h(w).
  LbfgsMemory memory;  ///< The (s, y) pairs at return: B⁻¹ for SHINE, or warm memory next time.
  InnerSummary summary;  ///< Why the solve stopped, work done and times.
};

/// What a hook sees at an accepted iterate (before the stopping tests of that iterate).
struct IterationView {
  int iteration;           ///< k: number of accepted steps so far (0 at w₀).
  const Vector& w;         ///< Current iterate w_k.
  double value;            ///< h(w_k).
  const Vector& gradient;  ///< ∇h(w_k).
  double gradient_norm;    ///< ‖∇h(w_k)‖₂.
  double tolerance;        ///< The absolute tolerance of the solve.
  double step;             ///< α of the step that reached w_k (0 at w₀).
  bool pair_accepted;      ///< Whether that step's (s, y) pair entered the memory.
  double seconds;          ///< Wall time since the solve started.
  /// The memory, mutable: a hook may `add_pair` extra secant pairs (SHINE-OPA); they are used by
  /// the next direction. Do not change its dimension.
  LbfgsMemory& memory;
  /// The objective, for side evaluations (`evaluate_at`) and `hessian_vector` at w_k; do not move
  /// its cursor (`set_point`, `set_direction`, `move`).
  SmoothObjective& objective;
};

/// Called at every accepted iterate, including w₀ and the last one; returns true to stop the
/// solve (`Termination::StoppedByObserver`, unless the iterate also meets the tolerance). It must
/// not throw for numerical reasons; an exception it throws propagates to the caller of
/// `minimize`.
using IterationHook = std::function<bool(IterationView& view)>;

/// Minimizes `objective` from `w0` (`objective.dim()` entries, finite).
///
/// `memory`: pass a default-constructed `LbfgsMemory` (the default) for a fresh solve, or the
/// memory of a previous solve of the same dimension to start with its pairs (warm memory); its
/// capacity, H₀ mode and curvature guard are set from `options`. `hook`: see `IterationHook`.
///
/// Throws `std::invalid_argument` for invalid options, a `w0` of the wrong size or not finite,
/// or a warm memory of another dimension. Otherwise never throws: see the summary's termination.
InnerResult minimize(SmoothObjective& objective, const Vector& w0, const LbfgsOptions& options,
                     LbfgsMemory memory = {}, const IterationHook& hook = {});

/// Same for the logistic inner objective, through `LogisticObjective` (O(n) line-search trials,
/// one pass per trial line and one per accepted step). Use the `SmoothObjective` overload with
/// your own `LogisticObjective` to keep the final evaluation state (margins, D) for
/// Hessian-vector products at w.
InnerResult minimize(const objective::InnerObjective& objective, const Vector& w0,
                     const LbfgsOptions& options, LbfgsMemory memory = {},
                     const IterationHook& hook = {});

}  // namespace shine::inner
