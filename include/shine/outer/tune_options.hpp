#pragma once
/// @file
/// Options of the outer loop that tunes θ = log λ (one λ, or one per feature group).

#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "shine/hypergrad/hypergradient.hpp"
#include "shine/inner/lbfgs_options.hpp"
#include "shine/objective/objective_options.hpp"
#include "shine/outer/hoag_step.hpp"
#include "shine/outer/secant_step.hpp"
#include "shine/outer/tolerance_schedule.hpp"

namespace shine::outer {

/// How θ is searched: by a hypergradient method with HOAG's adaptive step, or by a baseline.
enum class TuneMethod {
  Hoag,          ///< Hypergradient by conjugate gradient (HOAG).
  Shine,         ///< Hypergradient from the inner L-BFGS inverse estimate (SHINE; the default).
  ShineOpa,      ///< SHINE with outer-problem-aware secant pairs.
  ShineRefine,   ///< SHINE refined by a few CG steps.
  JacobianFree,  ///< H⁻¹ replaced by the identity.
  Grid,          ///< Grid search over θ (one λ only).
  Random,        ///< Random search over θ, seeded.
};

/// Stable names: "hoag", "shine", "shine-opa", "shine-refine", "jacobian-free", "grid", "random".
std::string_view to_string(TuneMethod method) noexcept;
/// Inverse of `to_string`; throws `std::invalid_argument` listing the valid names.
TuneMethod parse_tune_method(std::string_view name);
/// Every method, in the order above (the one list the names, the CLI and `reproduce` use).
std::span<const TuneMethod> all_tune_methods() noexcept;
/// True for the five hypergradient methods.
bool is_hypergradient_method(TuneMethod method) noexcept;

/// Starting point of the first inner solve.
enum class InitialWeights {
  Zero,  ///< w₀ = 0 (the default; the inner tolerance is then relative to ‖∇h(0)‖, as liblinear).
  Gaussian,  ///< w₀ ~ N(0, I), seeded (the reference protocol of the SHINE paper).
};

/// Stable names: "zero", "gaussian".
std::string_view to_string(InitialWeights weights) noexcept;

/// Whether the L-BFGS memory is carried from one inner solve to the next
/// (`TuneOptions::warm_memory`).
enum class WarmMemory {
  Automatic,  ///< On with cross-validation, off for a train / validation split (the default).
  On,         ///< Always carried.
  Off,        ///< Never: each solve starts with an empty memory (the reference).
};

/// Stable names: "auto", "on", "off".
std::string_view to_string(WarmMemory warm) noexcept;

/// How the tolerance of each inner solve of a hypergradient method is set.
enum class InnerToleranceRule {
  /// ‖∇h(w, θ_k)‖ ≤ `inner_tolerance`·‖∇h(w_start, θ_k)‖, w_start the warm start (the last
  /// solution): loose while θ moves (the warm start is then far from the new solution), tight as
  /// θ settles. The default; see docs/hypergradients.md for the measurements behind it.
  WarmStart,
  /// ‖∇h(w, θ_k)‖ ≤ ε_k·‖∇h(w₀, θ₀)‖·min_j exp(θ_j − θ₀_j), ε_k from `schedule` (the HOAG and
  /// SHINE papers' formula, as written; `reproduce` uses it).
  Paper,
};

/// Stable names: "warm-start", "paper".
std::string_view to_string(InnerToleranceRule rule) noexcept;
/// Inverse of `to_string`; throws `std::invalid_argument` listing the valid names.
InnerToleranceRule parse_inner_tolerance_rule(std::string_view name);

/// The L-BFGS settings of a tuning run: the fields of `inner::LbfgsOptions` that the outer loop
/// does not set itself, with their meanings, ranges and defaults (read from
/// `inner::LbfgsOptions`), except `diagonal_scaling`, on here. Not here, because the outer loop
/// sets them for every solve: `memory` (`TuneOptions::memory`), `tolerance` and
/// `tolerance_mode` (`inner_tolerance_rule`, `inner_tolerance`, `final_tolerance`,
/// `baseline_tolerance`) and `time_limit` (`time_budget`).
struct TuneLbfgsOptions {
  /// Iteration budget of one inner solve. Range [1, ∞). Default 1000.
  int max_iterations = inner::LbfgsOptions{}.max_iterations;
  /// Most evaluations per line search. Range [1, 1000]. Default 20.
  int max_linesearch = inner::LbfgsOptions{}.max_linesearch;
  /// Armijo constant. Range (0, c2). Default 1e-4.
  double c1 = inner::LbfgsOptions{}.c1;
  /// Strong-curvature constant. Range (c1, 1). Default 0.9.
  double c2 = inner::LbfgsOptions{}.c2;
  /// Cosine test of a new pair. Range [0, 1). Default 1e-10.
  double curvature_epsilon = inner::LbfgsOptions{}.curvature_epsilon;
  /// H₀ of the two-loop recursion. Default `ScaledIdentity`.
  inner::InitialHessian initial_hessian = inner::LbfgsOptions{}.initial_hessian;
  /// H₀ = γΔ (diagonal scaling) instead of γI. Default **true**: with the CG hypergradients
  /// after a bounce it reached 1 % of the exact optimum's held-out loss sooner on six of the
  /// seven shared sets, 2.3× sooner summed over them (BENCHMARKS.md, "Tuning").
  bool diagonal_scaling = true;
  /// Relative slack of the approximate-Wolfe acceptance. Range [0, 1e-3]. Default 1e-12.
  double value_noise = inner::LbfgsOptions{}.value_noise;
  /// Storage of the memory's pairs. Default **`Automatic`**: binary16 when the pairs would take
  /// 8 MiB or more in double (text data), double below. With the convergence confirmed by CG
  /// (`bounce_cg_tolerance`) binary16 pairs ended within 1 % of the best held-out loss on every
  /// shared set and seed, as double ones, and reached it sooner on the five sets where they
  /// apply (BENCHMARKS.md, "Tuning"). `inner::LbfgsOptions` (`shine fit`) keeps `Double`.
  inner::PairPrecision pair_precision = inner::PairPrecision::Automatic;
  /// Threads of the memory sweeps; 0 (default): those of `TuneOptions::objective`.
  int num_threads = inner::LbfgsOptions{}.num_threads;

  /// The solver's options: these fields, `memory`, and the solver's defaults for the rest (the
  /// tolerance the outer loop then sets for each solve).
  [[nodiscard]] inner::LbfgsOptions solver_options(int memory) const;
};

/// The hypergradient settings of a tuning run: `hypergrad::HypergradOptions` without its
/// `method`, which `TuneOptions::method` decides; meanings, ranges and defaults are
/// `hypergrad::HypergradOptions`'s.
struct TuneHypergradOptions {
  /// hoag, shine-refine, and CG after a bounce: most CG iterations per hypergradient. Range
  /// [1, ∞). Default 100.
  int max_cg_iterations = hypergrad::HypergradOptions{}.max_cg_iterations;
  /// hoag: start CG from the previous q (HOAG's warm start). Default true.
  bool cg_warm_start = hypergrad::HypergradOptions{}.cg_warm_start;
  /// hoag: precondition CG with the L-BFGS inverse estimate. Default false.
  bool cg_lbfgs_preconditioner = hypergrad::HypergradOptions{}.cg_lbfgs_preconditioner;
  /// shine-refine: CG budget int(refine_scale / √ε_k), clamped to [1, max_cg_iterations].
  /// Range (0, ∞). Default 0.01.
  double refine_scale = hypergrad::HypergradOptions{}.refine_scale;
  /// shine-opa: inner iterations between outer-aware pairs (0: the reference's rule). Range
  /// [0, ∞). Default 0.
  int opa_every = hypergrad::HypergradOptions{}.opa_every;
  /// shine-opa: the pair's ỹ from an exact Hessian product. Default false.
  bool opa_exact_hessian = hypergrad::HypergradOptions{}.opa_exact_hessian;
  /// shine variants: replace a suspicious q by ∇f. Default false.
  bool fallback = hypergrad::HypergradOptions{}.fallback;
  /// The fallback fires when ‖q‖ > fallback_ratio·‖∇f‖. Range (0, ∞). Default 1.8.
  double fallback_ratio = hypergrad::HypergradOptions{}.fallback_ratio;

  /// The strategy's options for `method`.
  [[nodiscard]] hypergrad::HypergradOptions for_method(hypergrad::Method method) const;
};

/// Everything that drives `tune`. Every field has a usable default; `validate()` checks all.
struct TuneOptions {
  /// The search method. Default `Shine`: with the secant step, the warm-start tolerance, H₀ = γΔ
  /// and CG after a bounce, 33 of the 35 shared set × seed runs ended within 1 % of the exact
  /// optimum's held-out loss, converged, and sooner than scikit-learn's grid (BENCHMARKS.md,
  /// "Tuning").
  TuneMethod method = TuneMethod::Shine;

  /// Outer iterations of a hypergradient method: each is one inner solve, one hypergradient and
  /// one step. Range [1, 100000]. Default 30, a budget: the secant step usually converges and
  /// stops sooner. (The SHINE paper's protocol runs 29: `paper_options` in outer/protocol.hpp.)
  int max_iterations = 30;
  /// Candidates tried by grid and random search. Range [1, 100000]. Default 10 (the paper's).
  int candidates = 10;

  /// θ₀ for every group (log λ₀). Default 0 (λ₀ = 1, the reference). Must lie within the step
  /// bounds.
  double initial_theta = 0.0;
  /// Step rule (default secant), HOAG's adaptive-step constants and the bounds of θ (default
  /// [−12, 12], also the grid and random range).
  HoagStepOptions step;
  /// The secant rule's trust radius and convergence tolerance (`step.rule == Secant`).
  SecantStepOptions secant;
  /// How each inner solve's tolerance is set. Default `WarmStart`.
  InnerToleranceRule inner_tolerance_rule = InnerToleranceRule::WarmStart;
  /// The factor of the `WarmStart` rule. Range (0, 1). Default 0.1.
  double inner_tolerance = 0.1;
  /// Relative accuracy τ of the returned model. When the secant step converges after a looser
  /// inner solve (step `Confirm`), one last evaluation at the secant's θ solves to
  /// ‖∇h(w)‖ ≤ τ·min(λ)·‖w_start‖, which bounds ‖w − w*‖ ≤ τ·‖w_start‖ (h is λ-strongly
  /// convex), and ends the run. A convergence announced by a solve whose gradient is more than
  /// 100 times that level is not polished (step `Tighten`): the run goes on. Range (0, 1). Default
  /// 1e-2: at the small λ of nearly separable data a loose model, or one solved to `shine fit`'s
  /// 1e-6·‖∇h(0)‖, can be several per cent off the held-out loss of the exact minimizer
  /// (docs/hypergradients.md).
  double final_tolerance = 1e-2;
  /// Secant rule: once the held-out loss has risen over a step shorter than
  /// 5·`secant.theta_tolerance` (θ bounces about the minimum within the hypergradients' error,
  /// `SecantStep::Update::bounced`), every later hypergradient is computed by conjugate gradient
  /// on H q = ∇f, started from the method's own q, to the relative residual
  /// ‖∇f − Hq‖ ≤ bounce_cg_tolerance·‖∇f‖ (at most `hypergrad.max_cg_iterations` Hessian
  /// products, two data passes each). The same CG gives the hypergradient of the last,
  /// accurate evaluation after a `Confirm`: the run ends `Converged` only when its secant step
  /// moves θ by at most 5·`secant.theta_tolerance`; otherwise the convergence came from the
  /// error of the looser hypergradients and the run goes on with CG hypergradients, as after a
  /// bounce (`SecantStep::require_accuracy`). Range [0, 1); 0 turns both off. Default 1e-2: on
  /// the 35 shared set × seed runs as many ended within 1 % and converged as with 1e-3, with
  /// shorter whole runs on five of the seven sets (docs/hypergradients.md).
  double bounce_cg_tolerance = 1e-2;
  /// Tolerance sequence ε_k. Unset (default): exponential from 1e-3 with ρ = 0.9 for hoag and
  /// ρ = 0.78 for the SHINE variants and jacobian-free (the paper's settings).
  std::optional<ToleranceSchedule> schedule;
  /// Hypergradient options (CG, refine budget, OPA frequency, fallback); the method is `method`.
  TuneHypergradOptions hypergrad;

  /// Inner L-BFGS options (line search, curvature guard, H₀, pair storage, threads); the memory
  /// is `memory`, each solve's tolerance comes from the inner tolerance rule.
  TuneLbfgsOptions lbfgs;
  /// L-BFGS memory m. Unset (default): 30 for the SHINE variants and jacobian-free, 10 for hoag,
  /// grid and random (the paper's settings). Range [1, 1000].
  std::optional<int> memory;
  /// Carry the L-BFGS memory from one inner solve to the next (warm memory), so that SHINE does
  /// not degrade to jacobian-free when a warm-started solve stops after 0–2 iterations. Default
  /// `Automatic`: on with cross-validation, where it keeps SHINE's summed hypergradient accurate
  /// (without it the k-fold default ended 2 % above the best CV loss on 20news), off for a train /
  /// validation split, where it gained nothing (BENCHMARKS.md, "Cross-validation").
  WarmMemory warm_memory = WarmMemory::Automatic;
  /// Inner tolerance factor of grid and random search: each solve stops at
  /// ‖∇h‖ ≤ baseline_tolerance·‖∇h(warm start)‖. Range (0, 1). Default 1e-3 (the paper's).
  double baseline_tolerance = 1e-3;
  /// With cross-validation (`TuneProblem::folds`), `shine::tune` fits the returned model on all
  /// the training rows (`TuneProblem::train`) at the λ found, as scikit-learn's `refit=True`;
  /// false returns the mean of the folds' models at that λ (its `refit=False`). No effect on
  /// the search, nor without folds. Default true.
  bool refit = true;
  /// With cross-validation: how many folds are solved at once, each on its share of the threads
  /// (`objective.num_threads` split evenly; a fold's results do not depend on its thread count,
  /// so neither does the run's). 0 (default) = automatic: min(folds, threads), chosen by
  /// measurement (BENCHMARKS.md, "Cross-validation"). 1 = one after the other, each fold with
  /// every thread. Range >= 0.
  int fold_workers = 0;

  /// Objective layout (intercept) and threads of the sparse kernels.
  objective::ObjectiveOptions objective;
  /// w₀ of the first inner solve. Default `Zero`.
  InitialWeights initial_weights = InitialWeights::Zero;
  /// Seed of w₀ (Gaussian) and of random search. Default 0.
  std::uint64_t seed = 0;

  /// Wall-clock budget in seconds for the whole run (checked between and inside inner solves);
  /// 0 = none. Range >= 0. Default 0.
  double time_budget = 0.0;
  /// When not null, the run stops (`Termination::Interrupted`) soon after `*interrupt` becomes
  /// true: the current inner solve is abandoned and the best result so far returned. The flag is
  /// only read. Default null.
  const std::atomic<bool>* interrupt = nullptr;

  /// Checks every option against its row of the option table (outer/tune_option_table.hpp) and
  /// the rules that tie options together; throws `OptionError` (a `std::invalid_argument`)
  /// naming the option, its value and the rule it breaks. `tune` and `resume` call it once.
  void validate() const;

  /// The schedule in force: `schedule` or the method's default.
  [[nodiscard]] ToleranceSchedule effective_schedule() const;
  /// The L-BFGS memory in force: `memory` or the method's default.
  [[nodiscard]] int effective_memory() const;
};

}  // namespace shine::outer
