// Names, options, summary, factory and the steps shared by every method.
//
// Every method computes the same quantity (implicit differentiation; Pedregosa 2016 eq. 3,
// Ramzi et al., SHINE, ICLR 2022 section 2): at the inner solution w*(θ), with f the outer
// loss and h the inner objective,
//
//   q = [∇²_w h]⁻¹ ∇f(w*)            (HOAG: by CG on Hessian-vector products; SHINE: q = B⁻¹∇f
//                                     with B⁻¹ the L-BFGS inverse estimate of the solve; OPA:
//                                     the same after extra pairs along ∇f; refine: CG started at
//                                     SHINE's q; Jacobian-free: q = ∇f)
//   ∇_θ F = −(∂_θ ∇_w h)ᵀ q          (cross_derivative; for L2 entry k is −λ_k Σ_{j∈G_k} w_j q_j)
//
// A method fills q (`shine_direction`, `solve_cg`), then `guard` may replace an untrustworthy q
// by ∇f (the fallback: q not finite, qᵀ∇f ≤ 0, or ‖q‖ > ratio·‖∇f‖, which a positive definite
// B⁻¹ with bounded spectrum cannot give), and `finish` forms the hypergradient, replacing q by
// ∇f once more if the product overflows. Invariant: a result is either finite or flagged
// NumericalError with its reason, never a silent NaN.

#include "shine/hypergrad/hypergradient.hpp"

#include <array>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <utility>

#include "core/check.hpp"
#include "hypergrad/strategy_impl.hpp"
#include "shine/linalg/conjugate_gradient.hpp"

namespace shine::hypergrad {
namespace {

constexpr std::array<std::pair<Method, std::string_view>, 5> kNames{{
    {Method::Hoag, "hoag"},
    {Method::Shine, "shine"},
    {Method::ShineOpa, "shine-opa"},
    {Method::ShineRefine, "shine-refine"},
    {Method::JacobianFree, "jacobian-free"},
}};

std::string scientific(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.3e", value);
  return buffer;
}

}  // namespace

std::string_view to_string(Method method) noexcept {
  for (const auto& [value, name] : kNames) {
    if (value == method) return name;
  }
  return "unknown";
}

Method parse_method(std::string_view name) {
  std::string valid;
  for (const auto& [value, candidate] : kNames) {
    if (candidate == name) return value;
    valid += (valid.empty() ? "" : ", ") + std::string(candidate);
  }
  throw std::invalid_argument("unknown hypergradient method '" + std::string(name) +
                              "': expected one of " + valid);
}

void HypergradOptions::validate() const {
  bool known = false;
  for (const auto& entry : kNames)
    known = known || entry.first == method;
  require(known, "HypergradOptions::method", static_cast<int>(method), "not a known method");
  require(max_cg_iterations >= 1, "HypergradOptions::max_cg_iterations", max_cg_iterations,
          "must be >= 1");
  require(refine_scale > 0.0 && std::isfinite(refine_scale), "HypergradOptions::refine_scale",
          refine_scale, "must be finite and > 0");
  require(opa_every >= 0, "HypergradOptions::opa_every", opa_every,
          "must be >= 0 (0: every max_outer - outer_iteration inner iterations)");
  require(fallback_ratio > 0.0 && std::isfinite(fallback_ratio), "HypergradOptions::fallback_ratio",
          fallback_ratio, "must be finite and > 0");
}

std::string HypergradSummary::brief() const {
  std::string line = std::string(to_string(method)) + ": " + std::string(to_string(termination));
  char buffer[160];
  if (cg_budget > 0) {
    std::snprintf(buffer, sizeof(buffer), ", %d CG it (budget %d)", cg_iterations, cg_budget);
    line += buffer;
  }
  if (hessian_products > 0) {
    std::snprintf(buffer, sizeof(buffer), ", %lld Hv", static_cast<long long>(hessian_products));
    line += buffer;
  }
  if (relative_residual >= 0.0) {
    std::snprintf(buffer, sizeof(buffer), ", residual %.1e -> %.1e", initial_relative_residual,
                  relative_residual);
    line += buffer;
  }
  if (is_shine_variant(method)) {
    std::snprintf(buffer, sizeof(buffer), ", %d pairs", memory_pairs);
    line += buffer;
  }
  if (method == Method::ShineOpa) {
    std::snprintf(buffer, sizeof(buffer), ", OPA %d/%d pairs", opa.pairs_accepted,
                  opa.pairs_offered);
    line += buffer;
  }
  std::snprintf(buffer, sizeof(buffer), ", %.3g ms", seconds * 1e3);
  line += buffer;
  if (fallback_fired) line += " [fallback: " + fallback_reason + "]";
  return line;
}

inner::IterationHook Strategy::inner_hook(const InnerSolveContext& /*context*/) {
  return {};
}

std::unique_ptr<Strategy> make_strategy(const HypergradOptions& options) {
  options.validate();
  switch (options.method) {
    case Method::Hoag:
      return detail::make_hoag(options);
    case Method::Shine:
      return detail::make_shine(options);
    case Method::ShineOpa:
      return detail::make_shine_opa(options);
    case Method::ShineRefine:
      return detail::make_shine_refine(options);
    case Method::JacobianFree:
      return detail::make_jacobian_free(options);
  }
  throw std::invalid_argument("make_strategy: unknown method");
}

std::optional<std::string> fallback_reason(const Vector& q, const Vector& outer_gradient,
                                           double ratio) {
  if (!q.allFinite()) return std::string("q is not finite");
  const double g_norm = outer_gradient.norm();
  const double q_norm = q.norm();
  if (g_norm == 0.0) {
    // The exact q is 0; anything else is wrong.
    if (q_norm == 0.0) return std::nullopt;
    return "|q| = " + scientific(q_norm) + " > 0 while grad f = 0";
  }
  const double inner_product = q.dot(outer_gradient);
  if (!(inner_product > 0.0)) {
    return "q.grad f = " + scientific(inner_product) + " <= 0 (not a descent-consistent q)";
  }
  if (q_norm > ratio * g_norm) {
    return "|q| = " + scientific(q_norm) + " > " + scientific(ratio) +
           " |grad f| = " + scientific(ratio * g_norm);
  }
  return std::nullopt;
}

HypergradContext logistic_context(const objective::InnerObjective& objective,
                                  const objective::LogisticState& state,
                                  const Vector& outer_gradient, const inner::LbfgsMemory& memory,
                                  double tolerance, const Vector* previous_q) {
  const objective::InnerObjective* objective_ptr = &objective;
  const objective::LogisticState* state_ptr = &state;
  return HypergradContext{
      state.w,
      outer_gradient,
      memory,
      [objective_ptr, state_ptr, work = Vector()](const Vector& v, Vector& out) mutable {
        objective_ptr->hessian_vector(*state_ptr, v, out, &work);
      },
      [objective_ptr](const Vector& w, const Vector& q) {
        return objective_ptr->cross_derivative(w, q);
      },
      tolerance,
      previous_q};
}

namespace detail {

HypergradResult begin(Method method, const HypergradContext& context, bool needs_hessian) {
  const Index dim = context.w.size();
  require(context.outer_gradient.size() == dim, "HypergradContext::outer_gradient size",
          context.outer_gradient.size(), "must equal the size of w = " + std::to_string(dim));
  require(context.memory.empty() || context.memory.dim() == dim, "HypergradContext::memory dim",
          context.memory.dim(), "must equal the size of w = " + std::to_string(dim));
  require(static_cast<bool>(context.cross_derivative), "HypergradContext::cross_derivative",
          "empty", "must be set");
  if (needs_hessian) {
    require(static_cast<bool>(context.hessian_vector), "HypergradContext::hessian_vector", "empty",
            "must be set for " + std::string(to_string(method)));
  }
  require(context.tolerance > 0.0 && !std::isnan(context.tolerance), "HypergradContext::tolerance",
          context.tolerance, "must be > 0");
  HypergradResult result;
  result.summary.method = method;
  result.summary.tolerance = context.tolerance;
  return result;
}

void note(HypergradSummary& summary, const std::string& sentence) {
  if (!summary.message.empty()) summary.message += "; ";
  summary.message += sentence;
}

void shine_direction(const HypergradContext& context, HypergradResult& result) {
  HypergradSummary& summary = result.summary;
  summary.memory_pairs = context.memory.size();
  if (context.memory.empty()) {
    // B⁻¹ = I: report it rather than pretend to be SHINE.
    summary.empty_memory = true;
    note(summary, "the L-BFGS memory has no pair: B^-1 = I, q = grad f (jacobian-free)");
    result.q = context.outer_gradient;
    return;
  }
  context.memory.apply_inverse(context.outer_gradient, result.q);
}

void guard(const HypergradOptions& options, const HypergradContext& context,
           HypergradResult& result) {
  if (!options.fallback) return;
  std::optional<std::string> reason =
      fallback_reason(result.q, context.outer_gradient, options.fallback_ratio);
  if (!reason) return;
  result.q = context.outer_gradient;
  result.summary.fallback_fired = true;
  result.summary.fallback_reason = std::move(*reason);
}

void solve_cg(const HypergradContext& context, int budget, bool precondition,
              HypergradResult& result) {
  HypergradSummary& summary = result.summary;
  const Index dim = context.w.size();
  const linalg::FunctionOperator hessian(dim, std::cref(context.hessian_vector));
  linalg::CgOptions cg_options;
  cg_options.tolerance = context.tolerance;
  cg_options.max_iterations = budget;
  linalg::CgWorkspace workspace;
  summary.cg_budget = budget;

  const bool use_preconditioner = precondition && !context.memory.empty();
  const linalg::CgSummary cg =
      use_preconditioner
          ? linalg::preconditioned_conjugate_gradient(
                hessian, context.memory, context.outer_gradient, result.q, cg_options, &workspace)
          : linalg::conjugate_gradient(hessian, context.outer_gradient, result.q, cg_options,
                                       &workspace);
  if (use_preconditioner) summary.memory_pairs = context.memory.size();
  if (precondition && !use_preconditioner) {
    note(summary, "the L-BFGS memory is empty: CG not preconditioned");
  }
  summary.cg_iterations += cg.iterations;
  summary.hessian_products += cg.operator_applications;
  summary.initial_relative_residual = cg.initial_relative_residual;
  summary.relative_residual = cg.relative_residual;
  summary.termination = cg.termination;
  if (cg.termination != Termination::Converged) note(summary, "CG " + cg.message);
  if (cg.termination == Termination::NumericalError) {
    // A breakdown means the Hessian products are not trustworthy (non-finite, or no positive
    // curvature where H is definite), and so is an iterate built from them: use ∇f, and say so.
    result.q = context.outer_gradient;
    summary.fallback_fired = true;
    summary.fallback_reason = "CG " + cg.message;
  }
}

void finish(const HypergradContext& context, const Timer& timer, HypergradResult& result) {
  HypergradSummary& summary = result.summary;
  const auto replace_by_gradient = [&](const std::string& reason) {
    result.q = context.outer_gradient;
    summary.fallback_fired = true;
    summary.fallback_reason = reason;
    summary.termination = Termination::NumericalError;
  };

  if (!context.outer_gradient.allFinite() || !context.w.allFinite()) {
    // No finite q can be trusted: report and let the caller reject the result.
    summary.termination = Termination::NumericalError;
    note(summary, "w or grad f is not finite: the hypergradient cannot be computed");
    if (!result.q.allFinite()) result.q = context.outer_gradient;
    result.hypergradient = -context.cross_derivative(context.w, result.q);
  } else {
    if (!result.q.allFinite()) replace_by_gradient("q is not finite");
    result.hypergradient = -context.cross_derivative(context.w, result.q);
    if (!result.hypergradient.allFinite() && !summary.fallback_fired) {
      replace_by_gradient("the hypergradient of q is not finite");
      result.hypergradient = -context.cross_derivative(context.w, result.q);
    }
    if (!result.hypergradient.allFinite()) {
      summary.termination = Termination::NumericalError;
      note(summary, "the hypergradient is not finite even with q = grad f (overflow)");
    }
  }
  summary.data_passes = 2 * summary.hessian_products;
  summary.seconds = timer.seconds();
}

}  // namespace detail
}  // namespace shine::hypergrad
