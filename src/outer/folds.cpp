#include "outer/folds.hpp"

#include <algorithm>
#include <string>

namespace shine::outer::detail {

// Adds the work of another fold's solve to `total` (the first fold's summary): counts and times
// add up; a fold that did not converge gives its termination and message.
void add_work(inner::InnerSummary& total, const inner::InnerSummary& part, std::size_t fold) {
  total.iterations += part.iterations;
  total.function_evaluations += part.function_evaluations;
  total.gradient_evaluations += part.gradient_evaluations;
  total.data_passes += part.data_passes;
  total.hessian_products += part.hessian_products;
  total.line_search_evaluations += part.line_search_evaluations;
  total.steepest_descent_retries += part.steepest_descent_retries;
  total.pairs_accepted += part.pairs_accepted;
  total.pairs_rejected += part.pairs_rejected;
  total.initial_value += part.initial_value;
  total.final_value += part.final_value;
  total.initial_gradient_norm = std::max(total.initial_gradient_norm, part.initial_gradient_norm);
  total.final_gradient_norm = std::max(total.final_gradient_norm, part.final_gradient_norm);
  total.tolerance = std::max(total.tolerance, part.tolerance);
  total.total_seconds += part.total_seconds;
  total.line_search_seconds += part.line_search_seconds;
  total.direction_seconds += part.direction_seconds;
  total.hook_seconds += part.hook_seconds;
  if (total.termination == Termination::Converged && part.termination != Termination::Converged) {
    total.termination = part.termination;
    total.message = "fold " + std::to_string(fold + 1) + ": " + part.message;
  }
}

void add_work(hypergrad::HypergradSummary& total, const hypergrad::HypergradSummary& part) {
  total.cg_iterations += part.cg_iterations;
  total.cg_budget += part.cg_budget;
  total.hessian_products += part.hessian_products;
  total.data_passes += part.data_passes;
  total.relative_residual = std::max(total.relative_residual, part.relative_residual);
  total.fallback_fired = total.fallback_fired || part.fallback_fired;
  if (total.fallback_reason.empty()) total.fallback_reason = part.fallback_reason;
  total.seconds += part.seconds;
}

// How many folds to solve at once with `threads` threads (TuneOptions::fold_workers). Automatic:
// as many as there are threads (at most one per fold). Measured on two cores (BENCHMARKS.md,
// "Cross-validation"): as fast as one fold after the other with both threads on an idle machine,
// and 2-4x faster on a busy one, where one-thread folds never wait at a barrier for a
// descheduled thread.
int choose_fold_workers(int requested, std::size_t folds, int threads) {
  const int k = static_cast<int>(folds);
  if (k <= 1) return 1;
  if (requested > 0) return std::min(requested, k);
  return std::min(k, threads);
}

}  // namespace shine::outer::detail
