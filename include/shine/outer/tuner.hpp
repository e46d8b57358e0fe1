#pragma once
/// @file
/// The outer loop: tune θ = log λ on a validation set, by hypergradients or by a baseline search.
///
/// Hypergradient methods (HOAG's loop, as its reference code), at outer iteration k with tolerance
/// ε_k:
///  1. solve the inner problem at θ_k, warm-started from the previous w (and memory, when
///     `warm_memory`), to ‖∇h‖ ≤ ε_k·‖∇h(w₀, θ₀)‖·min_j exp(θ_k,j − θ₀,j) (the reference's rule:
///     the gradient scales with λ);
///  2. f_k = f(w_k) on the validation set, ∇f(w_k); the hypergradient p_k (hypergrad/);
///  3. ε_{k+1} = schedule(ε_k); θ_{k+1} from HOAG's adaptive step (hoag_step.hpp); a rejected step
///     halves ε_{k+1}; a non-finite p_k never moves θ.
/// Grid and random search evaluate their candidates in turn with the same inner solver,
/// warm-started along the path, each to ‖∇h‖ ≤ baseline_tolerance·‖∇h(warm start)‖.
///
/// Every evaluated θ becomes an `OuterRecord`, passed to the observers (which may stop the run).
/// The held-out test loss of a record is computed outside the timed region. The result is the
/// evaluated θ with the lowest validation loss.
///
/// Thread-safety: `tune` has no global state; independent calls may run concurrently in separate
/// threads (each uses its own OpenMP team for the sparse kernels).

#include <span>

#include "shine/outer/early_stopping.hpp"
#include "shine/outer/observer.hpp"
#include "shine/outer/tune_options.hpp"
#include "shine/outer/tune_problem.hpp"
#include "shine/outer/tune_result.hpp"

namespace shine::outer {

/// Tunes θ for `problem` (see the file comment). Throws `std::invalid_argument` for an invalid
/// problem or options (before any work); numerical trouble ends up in the result, never thrown.
TuneResult tune(const TuneProblem& problem, const TuneOptions& options = {},
                std::span<Observer* const> observers = {});

}  // namespace shine::outer
