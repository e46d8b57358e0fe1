#pragma once
/// @file
/// The outer loop: tune θ = log λ on a validation set (or the folds of a cross-validation), by
/// hypergradients or by a baseline search.
///
/// Hypergradient methods, at outer iteration k:
///  1. solve the inner problem at θ_k, warm-started from the previous w (and L-BFGS memory, when
///     `warm_memory` is in force), to the tolerance of `inner_tolerance_rule`: by default a
///     fraction of the gradient at the warm start (`warm-start`); `paper` is the references' rule
///     ‖∇h‖ ≤ ε_k·‖∇h(w₀, θ₀)‖·min_j exp(θ_k,j − θ₀,j) with ε_k from the tolerance schedule;
///  2. f_k = f(w_k) on the validation rows, ∇f(w_k); the hypergradient p_k (hypergrad/);
///  3. θ_{k+1} from the step rule: `secant` (the default: secant steps on θ in a trust radius,
///     converged when the step is short, then one accurately solved evaluation that confirms
///     it; secant_step.hpp) or HOAG's adaptive step (`single`, `double`; hoag_step.hpp, where a
///     rejected step halves ε). A non-finite p_k never moves θ.
/// Grid and random search evaluate their candidates in turn with the same inner solver,
/// warm-started along the path, each to ‖∇h‖ ≤ baseline_tolerance·‖∇h(warm start)‖.
/// With folds, steps 1–2 run for every fold and the losses and hypergradients are summed in fold
/// order (the same bits whether folds run at once or in turn).
///
/// Every evaluated θ becomes an `OuterRecord`, passed to the observers (which may stop the run).
/// The held-out test loss of a record is computed outside the timed region. The result
/// (`TuneResult::best_iteration`) is the last evaluation of a converged run, else the evaluated θ
/// with the lowest validation loss.
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
