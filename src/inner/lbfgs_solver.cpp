// L-BFGS (Liu & Nocedal 1989; Nocedal & Wright, Numerical Optimization, 2nd ed., Algorithm 7.5)
// for a smooth strongly convex h(w): from w₀, repeat
//
//   d_k = −H_k ∇h(w_k)                       (two-loop recursion over the memory: LbfgsMemory)
//   α_k: strong Wolfe step along d_k          (line_search.cpp; c1 = 1e-4, c2 = 0.9)
//   s_k = α_k d_k, y_k = ∇h(w_{k+1}) − ∇h(w_k) kept when s_kᵀy_k > ε‖s_k‖‖y_k‖ (curvature test)
//
// until ‖∇h(w_k)‖ ≤ tol on an accepted iterate (never on a line-search trial point, so the last
// pair belongs to the returned w: the memory SHINE reuses is the memory of that point).
// Invariants: the objective's point is always an accepted, finite iterate; the memory holds
// pairs in chronological order and outlives the solve (returned in InnerResult, and may be
// passed back warm); the first direction is −H₀∇h scaled to a trial step of length ≤ 1. A
// direction that is not a descent direction (rounding in an ill-conditioned memory), or whose
// line search fails, is replaced once by −∇h; if that fails too the solve ends LineSearchFailed
// at the last accepted iterate. The work counts (evaluations, data passes) are the objective's,
// differenced over the solve.
#include "shine/inner/lbfgs_solver.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>

#include "core/check.hpp"
#include "shine/core/timer.hpp"

namespace shine::inner {
namespace {

std::string format(const char* pattern, double a, double b = 0.0) {
  char buffer[160];
  std::snprintf(buffer, sizeof(buffer), pattern, a, b);
  return buffer;
}

LbfgsMemory prepare_memory(LbfgsMemory memory, Index dim, const LbfgsOptions& options) {
  if (memory.dim() == 0) {
    LbfgsMemory fresh(dim, options.memory, options.initial_hessian, options.curvature_epsilon,
                      options.pair_precision);
    fresh.set_num_threads(options.num_threads);
    return fresh;
  }
  require(memory.dim() == dim, "minimize: warm memory dimension", memory.dim(),
          "must equal the objective's dimension " + std::to_string(dim));
  memory.set_capacity(options.memory);
  memory.set_initial_hessian(options.initial_hessian);
  memory.set_curvature_epsilon(options.curvature_epsilon);
  memory.set_pair_precision(options.pair_precision);
  memory.set_num_threads(options.num_threads);
  return memory;
}

bool finite_point(const SmoothObjective& objective) {
  return std::isfinite(objective.value()) && std::isfinite(objective.gradient_norm());
}

}  // namespace

std::string InnerSummary::brief() const {
  char buffer[256];
  std::snprintf(buffer, sizeof(buffer),
                "%s: %d it, %lld f, %lld g, %lld passes, |g| %.2e -> %.2e (tol %.2e), %.3g s",
                std::string(to_string(termination)).c_str(), iterations,
                static_cast<long long>(function_evaluations),
                static_cast<long long>(gradient_evaluations), static_cast<long long>(data_passes),
                initial_gradient_norm, final_gradient_norm, tolerance, total_seconds);
  return buffer;
}

InnerResult minimize(SmoothObjective& objective, const Vector& w0, const LbfgsOptions& options,
                     LbfgsMemory memory, const IterationHook& hook) {
  const Timer timer;
  options.validate();
  const Index dim = objective.dim();
  require(w0.size() == dim, "minimize: size of w0", w0.size(),
          "must equal the objective's dimension " + std::to_string(dim));
  require(w0.allFinite(), "minimize: w0", "non-finite entries", "must be finite");

  InnerResult result;
  result.memory = prepare_memory(std::move(memory), dim, options);
  LbfgsMemory& mem = result.memory;
  InnerSummary& summary = result.summary;
  const WorkCounts counts_before = objective.counts();

  LineSearchOptions search_options;
  search_options.c1 = options.c1;
  search_options.c2 = options.c2;
  search_options.max_evaluations = options.max_linesearch;
  search_options.value_noise = options.value_noise;

  Vector delta;
  if (options.diagonal_scaling && objective.diagonal_scaling(delta)) {
    mem.set_diagonal(delta);
  } else if (mem.diagonal().size() > 0) {
    mem.set_diagonal(Vector());
  }

  objective.set_point(w0);
  summary.initial_value = objective.value();
  summary.initial_gradient_norm = objective.gradient_norm();
  const double tol = options.tolerance_mode == ToleranceMode::Relative
                         ? options.tolerance * summary.initial_gradient_norm
                         : options.tolerance;
  summary.tolerance = tol;

  Vector direction(dim);
  Vector s(dim);
  Vector y(dim);
  // Products of the current gradient with the pairs, computed while adding the newest pair.
  LbfgsProjection projection;
  double last_step = 0.0;
  bool last_pair_accepted = false;
  const auto phi = [&](double alpha) { return objective.line_value(alpha); };

  if (!finite_point(objective)) {
    summary.termination = Termination::NumericalError;
    summary.message = "h or its gradient is not finite at w0";
  }
  while (finite_point(objective)) {
    const int k = summary.iterations;
    bool stop_requested = false;
    if (hook) {
      const Timer hook_timer;
      IterationView view{k,
                         objective.point(),
                         objective.value(),
                         objective.gradient(),
                         objective.gradient_norm(),
                         tol,
                         last_step,
                         last_pair_accepted,
                         timer.seconds(),
                         mem,
                         objective};
      stop_requested = hook(view);
      summary.hook_seconds += hook_timer.seconds();
    }
    const double gnorm = objective.gradient_norm();
    if (gnorm <= tol) {
      summary.termination = Termination::Converged;
      summary.message = format("gradient norm %.3e <= tolerance %.3e", gnorm, tol);
      break;
    }
    if (stop_requested) {
      summary.termination = Termination::StoppedByObserver;
      summary.message = "the iteration hook asked to stop";
      break;
    }
    if (k >= options.max_iterations) {
      summary.termination = Termination::MaxIterations;
      summary.message = "reached max_iterations = " + std::to_string(options.max_iterations) +
                        format(" with gradient norm %.3e > tolerance %.3e", gnorm, tol);
      break;
    }
    if (timer.seconds() >= options.time_limit) {
      summary.termination = Termination::TimeLimit;
      summary.message =
          format("time limit of %.3g s reached (gradient norm %.3e)", options.time_limit, gnorm);
      break;
    }

    // Search direction d = −B⁻¹g (−H₀g with an empty memory, then a first trial step of unit
    // length at most).
    const Timer direction_timer;
    const bool first_step = mem.empty();
    mem.apply_inverse(objective.gradient(), direction, -1.0, &projection);
    summary.direction_seconds += direction_timer.seconds();

    const Timer search_timer;
    const double steepest_step = std::min(1.0, 1.0 / gnorm);
    double initial_step = first_step ? std::min(1.0, 1.0 / direction.norm()) : 1.0;
    bool steepest = first_step && mem.diagonal().size() == 0;  // d is already −g
    LinePoint origin = objective.set_direction(direction);
    if (!(origin.slope < 0.0)) {
      // Not a descent direction (rounding in a badly conditioned memory): use −g.
      direction = -objective.gradient();
      origin = objective.set_direction(direction);
      initial_step = steepest_step;
      steepest = true;
    }
    LineSearchResult search = strong_wolfe_search(phi, origin, initial_step, search_options);
    summary.line_search_evaluations += search.evaluations;
    if (!search.usable() && !steepest) {
      ++summary.steepest_descent_retries;
      direction = -objective.gradient();
      origin = objective.set_direction(direction);
      search = strong_wolfe_search(phi, origin, steepest_step, search_options);
      summary.line_search_evaluations += search.evaluations;
    }
    summary.line_search_seconds += search_timer.seconds();
    if (!search.usable()) {
      summary.termination = Termination::LineSearchFailed;
      summary.message =
          "no step with sufficient decrease along the L-BFGS direction nor along -gradient" +
          format(" (gradient norm %.3e, tolerance %.3e)", gnorm, tol);
      break;
    }

    // Accept the step; the objective forms s = αd and y = ∇h(new) − ∇h(old) in its own sweep.
    const double alpha = search.point.step;
    objective.move(alpha, &s, &y);
    if (!finite_point(objective)) {
      // Cannot happen with a finite line-search value, but never return a non-finite point.
      Vector back = objective.point() - alpha * direction;
      objective.set_point(back);
      summary.termination = Termination::NumericalError;
      summary.message = "h or its gradient became non-finite at the accepted step";
      break;
    }
    ++summary.iterations;
    last_step = alpha;

    const Timer update_timer;
    last_pair_accepted = mem.add_pair(std::move(s), std::move(y), objective.gradient(), projection);
    if (last_pair_accepted) {
      ++summary.pairs_accepted;
    } else {
      ++summary.pairs_rejected;
    }
    summary.direction_seconds += update_timer.seconds();
  }

  // The work vectors (direction, s, y) go before the point and gradient are copied out, so that
  // they do not add to the peak beside the memory's 2m vectors.
  direction.resize(0);
  s.resize(0);
  y.resize(0);
  result.w = objective.point();
  result.value = objective.value();
  result.gradient = objective.gradient();
  summary.final_value = result.value;
  summary.final_gradient_norm = objective.gradient_norm();
  const WorkCounts counts = objective.counts();
  summary.function_evaluations = counts.function_evaluations - counts_before.function_evaluations;
  summary.gradient_evaluations = counts.gradient_evaluations - counts_before.gradient_evaluations;
  summary.data_passes = counts.data_passes - counts_before.data_passes;
  summary.hessian_products = counts.hessian_products - counts_before.hessian_products;
  summary.total_seconds = timer.seconds();
  return result;
}

InnerResult minimize(const objective::InnerObjective& objective, const Vector& w0,
                     const LbfgsOptions& options, LbfgsMemory memory, const IterationHook& hook) {
  LogisticObjective adapter(objective);
  return minimize(adapter, w0, options, std::move(memory), hook);
}

}  // namespace shine::inner
