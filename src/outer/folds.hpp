#pragma once
// The per-fold state of a tuning run and the scheduling of the folds' work (private to
// src/outer: the tuner's Run uses it). One FoldState for a plain train / validation problem, one
// per fold with cross-validation; folds may be solved at once on their share of the threads.

#include <atomic>
#include <cstddef>
#include <exception>
#include <thread>
#include <utility>
#include <vector>

#include "shine/data/dataset.hpp"
#include "shine/hypergrad/hypergradient.hpp"
#include "shine/inner/lbfgs_memory.hpp"
#include "shine/inner/lbfgs_solver.hpp"
#include "shine/objective/inner_objective.hpp"
#include "shine/objective/l2_regularizer.hpp"
#include "shine/objective/objective_options.hpp"
#include "shine/objective/outer_objective.hpp"

namespace shine::outer::detail {

// What one inner problem carries from an evaluation to the next: one per cross-validation fold,
// a single one for a plain train / validation problem.
struct FoldState {
  FoldState(const data::Dataset& train, const data::Dataset& heldout,
            objective::L2Regularizer regularizer, const objective::ObjectiveOptions& options)
      : inner(train, std::move(regularizer), options),
        outer(heldout, options),
        validation(&heldout) {}
  objective::InnerObjective inner;
  objective::OuterObjective outer;
  const data::Dataset* validation;
  Vector w;                   // the last solution: the next solve's warm start
  inner::LbfgsMemory memory;  // warm pairs (`warm_memory`)
  // Without warm pairs: the last solve's memory, emptied and handed to the next solve, so that a
  // solve reuses its 2m d-vectors (and their pages) instead of allocating and first-touching
  // them again. Holds no pairs that any later solve reads.
  inner::LbfgsMemory spare;
  double initial_gradient_norm = 0.0;  // ‖∇h(w₀, θ₀)‖ of the first solve
  Vector q_previous;  // the last q, warm start of CG and reused after a solve with no step
  bool have_q = false;
  bool q_from_cg = false;  // q_previous came from the conjugate gradient after a bounce
  // The accurate hypergradients (after a bounce, to confirm) by a dense direct solve, at this
  // work in Hessian-product equivalents; 0: by conjugate gradient; unset until first needed.
  std::optional<double> direct_products;
  int threads = 0;  // of its memory sweeps when folds are solved at once (0: as set)
};

// Adds the work of another fold's solve to `total` (the first fold's summary): counts and times
// add up; a fold that did not converge gives its termination and message.
void add_work(inner::InnerSummary& total, const inner::InnerSummary& part, std::size_t fold);

void add_work(hypergrad::HypergradSummary& total, const hypergrad::HypergradSummary& part);

// How many folds to solve at once with `threads` threads (TuneOptions::fold_workers). Automatic:
// as many as there are threads (at most one per fold). Measured on two cores (BENCHMARKS.md,
// "Cross-validation"): as fast as one fold after the other with both threads on an idle machine,
// and 2-4x faster on a busy one, where one-thread folds never wait at a barrier for a
// descheduled thread.
int choose_fold_workers(int requested, std::size_t folds, int threads);

// Calls `work(f)` for every fold f in [0, folds): with one worker in turn on this thread, else
// on `workers` threads (this one included) that take the next fold as they finish one. Each
// fold's work touches only that fold's state, so the order does not matter; the exception of
// the lowest fold that threw is rethrown once every worker has finished.
template <typename Work>
void for_each_fold(std::size_t folds, int workers, const Work& work) {
  if (workers <= 1 || folds <= 1) {
    for (std::size_t f = 0; f < folds; ++f)
      work(f);
    return;
  }
  std::vector<std::exception_ptr> errors(folds);
  std::atomic<std::size_t> next{0};
  const auto worker = [&] {
    for (std::size_t f = next.fetch_add(1); f < folds; f = next.fetch_add(1)) {
      try {
        work(f);
      } catch (...) {
        errors[f] = std::current_exception();
      }
    }
  };
  {
    std::vector<std::jthread> threads;
    for (int i = 1; i < workers; ++i)
      threads.emplace_back(worker);
    worker();
  }
  for (const std::exception_ptr& error : errors)
    if (error) std::rethrow_exception(error);
}

}  // namespace shine::outer::detail
