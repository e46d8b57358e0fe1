#pragma once
/// @file
/// Hypergradients of the held-out loss with respect to the log-regularization θ.
///
/// By the implicit function theorem, at the inner solution w* = argmin_w h(w, θ), with H the
/// Hessian ∇²_w h(w*) and f the outer (held-out) loss:
///
///     q = H⁻¹ ∇f(w*),        ∇F(θ)_k = −exp(θ_k) Σ_{j∈G_k} w*_j q_j   (= −(∂_θ∇_w h)ᵀq)
///
/// The methods differ only in how q is obtained:
///
/// | method          | q                                                        | data passes |
/// |-----------------|----------------------------------------------------------|-------------|
/// | `hoag`          | conjugate gradient on H q = ∇f to relative tolerance ε_k | 2 per CG it |
/// | `shine`         | B⁻¹∇f from the inner L-BFGS memory (two-loop recursion)  | 0           |
/// | `shine-opa`     | as shine, with extra secant pairs along ∇f added during  | few (inner) |
/// |                 | the inner solve (outer-problem awareness)                |             |
/// | `shine-refine`  | CG on H q = ∇f started from the SHINE q, small budget    | 2 per CG it |
/// | `jacobian-free` | ∇f (H⁻¹ replaced by the identity)                        | 0           |
///
/// A `fallback` guard, usable with every SHINE variant, replaces a suspicious q (not finite,
/// qᵀ∇f ≤ 0 — impossible for the exact q since H is positive definite — or ‖q‖ > ratio·‖∇f‖) by
/// ∇f, and reports it.
///
/// **Non-finite values are never returned silently.** Whatever the method and options, when the
/// q it produced is not finite, gives a non-finite hypergradient, or comes from a conjugate
/// gradient that broke down, q is replaced by ∇f, the summary says `fallback_fired` (with the
/// reason) and its termination is `NumericalError`. The
/// returned hypergradient and q are therefore finite whenever w and ∇f are; when they are not,
/// termination is `NumericalError` and the result must not be used (the outer loop rejects it).
///
/// **Use.** One strategy per outer loop (`make_strategy`). Before each inner solve, install
/// `inner_hook(...)` in `inner::minimize` (empty except for shine-opa); after it, call
/// `compute(...)` with the solve's memory and the Hessian at its w:
///
///     auto strategy = hypergrad::make_strategy({.method = hypergrad::Method::ShineOpa});
///     hypergrad::InnerSolveContext solve{.outer_gradient = grad_f, .outer_iteration = it,
///                                        .max_outer = 30};
///     inner::LogisticObjective adapter(inner_objective);
///     inner::InnerResult solved = inner::minimize(adapter, w0, lbfgs, {},
///     strategy->inner_hook(solve)); outer.value_and_gradient(solved.w, g);
///     hypergrad::HypergradResult r = strategy->compute(hypergrad::logistic_context(
///         inner_objective, adapter.state(), g, solved.memory, epsilon_k, previous_q));

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "shine/core/status.hpp"
#include "shine/core/types.hpp"
#include "shine/inner/lbfgs_memory.hpp"
#include "shine/inner/lbfgs_solver.hpp"
#include "shine/objective/inner_objective.hpp"

namespace shine::hypergrad {

/// How q = H⁻¹∇f is approximated.
enum class Method { Hoag, Shine, ShineOpa, ShineRefine, JacobianFree };

/// Stable names: "hoag", "shine", "shine-opa", "shine-refine", "jacobian-free".
std::string_view to_string(Method method) noexcept;
/// Inverse of `to_string`; throws `std::invalid_argument` listing the valid names.
Method parse_method(std::string_view name);

/// True for the methods that read the L-BFGS memory and accept the fallback guard: shine,
/// shine-opa, shine-refine.
constexpr bool is_shine_variant(Method method) noexcept {
  return method == Method::Shine || method == Method::ShineOpa || method == Method::ShineRefine;
}

/// Options of the hypergradient methods; each field says which methods read it (the others
/// ignore it).
struct HypergradOptions {
  /// The method. Default `ShineOpa`.
  Method method = Method::ShineOpa;

  /// hoag, shine-refine: most conjugate-gradient iterations per hypergradient (each costs one
  /// Hessian-vector product, two passes over the training data). Range >= 1. Default 100;
  /// shine-refine uses min(this, its own budget below).
  int max_cg_iterations = 100;
  /// hoag: start CG from the previous outer iteration's q (`HypergradContext::previous_q`),
  /// HOAG's warm start; when false, or when there is no usable previous q, CG starts from 0.
  /// Default true.
  bool cg_warm_start = true;
  /// hoag: precondition CG with the L-BFGS inverse estimate B⁻¹ left by the inner solve (one
  /// two-loop recursion, O(m·d), per CG iteration, no pass over the data). Fewer iterations when
  /// B⁻¹ is a good model of H⁻¹; plain CG when the memory is empty. Default false (plain CG,
  /// as the reference).
  bool cg_lbfgs_preconditioner = false;

  /// shine-refine: the CG budget is int(refine_scale / √ε_k) iterations (ε_k the outer
  /// tolerance), i.e. int(1/(100·√ε_k)) with the default 0.01, clamped to
  /// [1, max_cg_iterations]; CG also stops early at relative residual ε_k. Range > 0.
  double refine_scale = 0.01;

  /// shine-opa: add an outer-aware secant pair every F inner iterations (at k = 0, F, 2F, … and
  /// at the final iterate when it falls on the rule); F = `opa_every` when > 0, and when 0
  /// (default) the reference rule F = max(1, max_outer − outer_iteration), so the pairs become
  /// more frequent as the outer loop advances. Range >= 0.
  int opa_every = 0;
  /// shine-opa: the pair's ỹ is the exact H e (one Hessian-vector product) instead of the
  /// gradient difference ∇h(w + e) − ∇h(w) (one gradient evaluation). Both cost two passes;
  /// the exact product is free of the curvature averaged along e. Falls back to the difference
  /// when the objective cannot form Hessian products. Default false (difference, as the
  /// reference).
  bool opa_exact_hessian = false;

  /// shine, shine-opa, shine-refine: replace a suspicious q by ∇f (see the file comment). For
  /// shine-refine the guard checks the SHINE starting point, before CG. Default false.
  bool fallback = false;
  /// The fallback fires when ‖q‖ > fallback_ratio·‖∇f‖. Range > 0 (finite). Default 1.8.
  double fallback_ratio = 1.8;

  /// Throws `std::invalid_argument` naming the field, e.g.
  /// "HypergradOptions::max_cg_iterations = 0: must be >= 1".
  void validate() const;
};

/// What a method reads at the (approximate) inner solution. Aggregate: the first seven fields
/// may be given positionally, the rest are optional.
struct HypergradContext {
  /// The inner solution w (dim entries; the intercept, when fitted, last).
  const Vector& w;
  /// ∇f(w), the gradient of the outer loss.
  const Vector& outer_gradient;
  /// The memory of the inner solve (B⁻¹ for the SHINE variants, the optional preconditioner of
  /// hoag).
  const inner::LbfgsMemory& memory;
  /// v ↦ H(w)·v, exact Hessian-vector products (two passes each); needed by hoag and
  /// shine-refine (the other methods never call it and accept an empty function).
  std::function<void(const Vector& v, Vector& out)> hessian_vector;
  /// (w, q) ↦ (∂_θ ∇_w h)ᵀ q, one entry per hyperparameter group. Required.
  std::function<Vector(const Vector& w, const Vector& q)> cross_derivative;
  /// ε_k, the outer loop's current tolerance: the relative CG tolerance of hoag and
  /// shine-refine, and the refine budget. Range > 0.
  double tolerance = 1e-3;
  /// q of the previous outer iteration (hoag's warm start), or nullptr. Ignored when its size
  /// differs from w's or it is not finite.
  const Vector* previous_q = nullptr;
};

/// Work done by the shine-opa hook during one inner solve.
struct OpaCounts {
  int pairs_offered = 0;   ///< Outer-aware pairs (e, ỹ) computed and offered to the memory.
  int pairs_accepted = 0;  ///< Of which stored (they passed the curvature guard).
  /// Outer-gradient evaluations ∇f(w_k) (two passes over the held-out data each).
  Index outer_gradient_evaluations = 0;
  /// Inner gradient evaluations ∇h(w_k + e) (two passes over the training data each).
  Index inner_gradient_evaluations = 0;
  /// Hessian-vector products H e (`opa_exact_hessian`; two passes each).
  Index hessian_products = 0;
  double seconds = 0.0;  ///< Wall time spent in the hook.
};

/// How a hypergradient computation went.
struct HypergradSummary {
  Method method = Method::Shine;  ///< The method that computed the result.
  /// `Converged` unless CG ran out of budget (`MaxIterations`: q is its last iterate, usable;
  /// the normal outcome of shine-refine, whose budget is meant to be small) or something was not
  /// finite or CG broke down (`NumericalError`: q = ∇f, `fallback_fired` set, the reason says
  /// why). A fallback fired by the optional guard alone keeps `Converged`.
  Termination termination = Termination::Converged;
  /// What happened, in words (empty when there is nothing to add): breakdowns, ignored warm
  /// starts, a SHINE memory without pairs, ...
  std::string message;
  int cg_iterations = 0;       ///< CG iterations (hoag, shine-refine).
  int cg_budget = 0;           ///< The CG iteration budget applied (hoag, shine-refine).
  Index hessian_products = 0;  ///< Hessian-vector products (two data passes each).
  Index data_passes = 0;       ///< Passes over the training data: 2·hessian_products.
  /// ‖∇f − Hq‖/‖∇f‖ at the returned q when CG computed it (hoag, shine-refine), else −1.
  double relative_residual = -1.0;
  /// The same at the starting point of CG (the warm start of hoag, the SHINE q of shine-refine),
  /// else −1.
  double initial_relative_residual = -1.0;
  /// Pairs in the memory that defined B⁻¹ (SHINE variants; also hoag's preconditioner).
  int memory_pairs = 0;
  /// SHINE variants: the memory had no pair, so B⁻¹ = I and q = ∇f — the result is the
  /// jacobian-free one (`message` says so).
  bool empty_memory = false;
  /// q was replaced by ∇f: by the guard, or after a non-finite value or a CG breakdown. For
  /// shine-refine the guard acts on the SHINE starting point, which CG then refines.
  bool fallback_fired = false;
  std::string fallback_reason;  ///< Why, e.g. "|q| = 9.1e+00 > 1.8 |grad f| = 4.2e+00".
  /// shine-opa: the work of its hook during the inner solve that preceded this computation
  /// (since the last `inner_hook` call); zero for the other methods.
  OpaCounts opa;
  double tolerance = 0.0;  ///< ε_k received.
  double seconds = 0.0;    ///< Wall time of `compute` (the OPA hook's time is in `opa`).
  /// One line for logs, e.g.
  /// "shine-refine: converged, 3 CG it (budget 3), 4 Hv, residual 2.1e-01 -> 4.0e-03, 1.2 ms".
  [[nodiscard]] std::string brief() const;
};

/// A hypergradient and the q it came from.
struct HypergradResult {
  Vector hypergradient;  ///< ∇F(θ), one entry per group (finite, or the summary says why not).
  Vector q;              ///< The approximation of H⁻¹∇f (warm start of the next call).
  HypergradSummary summary;  ///< How it went.
};

/// What the outer loop tells a strategy before each inner solve (for SHINE-OPA).
struct InnerSolveContext {
  /// w ↦ ∇f(w) (the outer gradient at an inner iterate; two passes over the held-out data).
  /// Required by shine-opa.
  std::function<void(const Vector& w, Vector& gradient)> outer_gradient;
  int outer_iteration = 0;  ///< 0-based index of the coming outer iteration.
  int max_outer = 30;       ///< Outer budget (the reference OPA frequency uses it).
};

/// A hypergradient method. Implementations are chosen at run time by `make_strategy`.
/// Not thread-safe; one per outer loop.
class Strategy {
 public:
  virtual ~Strategy() = default;
  /// The method this strategy implements.
  [[nodiscard]] virtual Method method() const noexcept = 0;
  /// An inner-solver hook to install for the coming inner solve (SHINE-OPA adds its pairs
  /// there); empty for the other methods. Calling it starts a new count of the hook's work
  /// (`HypergradSummary::opa` of the next `compute`). The hook shares its counters with the
  /// strategy but may outlive it. Throws `std::invalid_argument` when shine-opa is given no
  /// `outer_gradient`.
  [[nodiscard]] virtual inner::IterationHook inner_hook(const InnerSolveContext& context);
  /// The hypergradient at the inner solution described by `context`. Never throws for a
  /// numerical outcome (see `HypergradSummary::termination`); throws `std::invalid_argument`
  /// for misuse: sizes that do not match, a missing `cross_derivative`, or a missing
  /// `hessian_vector` for hoag and shine-refine.
  [[nodiscard]] virtual HypergradResult compute(const HypergradContext& context) = 0;
};

/// The strategy for `options.method` (validated; throws `std::invalid_argument` when invalid).
std::unique_ptr<Strategy> make_strategy(const HypergradOptions& options);

/// The fallback guard's test on q given ∇f: the reason q is unsafe, in words, or `nullopt` when
/// it is acceptable. Checked in this order: q not finite; qᵀ∇f ≤ 0; ‖q‖ > ratio·‖∇f‖.
std::optional<std::string> fallback_reason(const Vector& q, const Vector& outer_gradient,
                                           double ratio);

/// The context for the logistic inner objective at the point of `state` (normally the state of
/// the `inner::LogisticObjective` adapter after the solve): exact Hessian-vector products
/// `objective.hessian_vector(state, ·)` and the objective's cross-derivative. `state.w` is the
/// w of the context. `objective`, `state`, `outer_gradient`, `memory` and `previous_q` are
/// referenced and must outlive the context.
HypergradContext logistic_context(const objective::InnerObjective& objective,
                                  const objective::LogisticState& state,
                                  const Vector& outer_gradient, const inner::LbfgsMemory& memory,
                                  double tolerance, const Vector* previous_q = nullptr);

}  // namespace shine::hypergrad
