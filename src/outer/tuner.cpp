// The tuning run's loops (tune_run.hpp): setting up the folds, the hypergradient loop with its
// step rules and stop rules, the baselines, the records and what a run returns; and the public
// `tune` / `resume`. Checkpoints are written and restored in tune_run_checkpoint.cpp; the folds'
// state and scheduling are in folds.hpp.
#include "shine/outer/tuner.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/check.hpp"
#include "core/random.hpp"
#include "linalg/dense_cholesky.hpp"
#include "outer/tune_run.hpp"
#include "shine/core/communicator.hpp"
#include "shine/core/timer.hpp"
#include "shine/linalg/sparse_kernels.hpp"
#include "shine/objective/heldout_metrics.hpp"
#include "shine/objective/inner_objective.hpp"
#include "shine/objective/l2_regularizer.hpp"
#include "shine/objective/logistic_loss.hpp"
#include "shine/objective/outer_objective.hpp"
#include "shine/outer/checkpoint.hpp"

namespace shine::outer {
namespace detail {
namespace {

// A polished evaluation confirms the convergence when its CG hypergradient's secant step moves
// θ by at most this many θ tolerances (0.1 in log λ with the default 0.02: λ within 10 %).
constexpr double kConfirmFactor = 5.0;

// A convergence announced by a solve whose gradient is more than this many times the final level
// is not polished (step `Tighten`). On the 35 shared set × seed runs the announcements fell in two
// groups: within 43× of the final level, and 4,600–16,000× after the first capped steps of a9a
// and w8a, where SHINE's hypergradient came from 7–17 L-BFGS pairs. Five of those seven polishes
// failed to confirm, and all seven cost 530–1,190 data passes each (docs/hypergradients.md).
// The same threshold makes an evaluation `provisional` (OuterRecord::provisional): returned only
// while no evaluation solved closer to the final level exists.
constexpr double kTrustedAnnouncement = 100.0;

// The accurate hypergradients are computed by a dense direct solve of H q = ∇f (H formed, then
// Cholesky) instead of conjugate gradient when the features are at most this many and the solve
// costs at most this many Hessian-vector products (forming H's lower triangle:
// Σ_i nnz(x_i)(nnz(x_i)+1)/2 multiply-adds; the factorization d³/6; a product: 2·nnz). On a9a and
// w8a (d = 123 and 300) it counts as 5 and 11 products, where CG to the residual 10⁻² took
// 20–100 (docs/hypergradients.md); text data, with d in the tens of thousands, keeps CG.
constexpr Index kDirectMaxDim = 1024;
constexpr double kDirectMaxProducts = 25.0;

double direct_products(const objective::InnerObjective& inner) {
  if (inner.distributed() || inner.dim() > kDirectMaxDim) return 0.0;
  const double d = static_cast<double>(inner.dim());
  const double nnz = std::max(1.0, static_cast<double>(inner.nnz()));
  const double products = (inner.dense_hessian_work() + d * d * d / 6.0) / (2.0 * nnz);
  return products <= kDirectMaxProducts ? products : 0.0;
}

// q = H⁻¹∇f by the dense Cholesky factorization of H at the solve's state; nullopt when H is not
// numerically positive definite (then CG). Its work is counted as `products` Hessian products.
std::optional<hypergrad::HypergradResult> direct_hypergradient(
    const objective::InnerObjective& inner, const objective::LogisticState& state,
    const Vector& outer_gradient, double products) {
  const Timer timer;
  const Eigen::MatrixXd H = inner.dense_hessian(state);
  Eigen::MatrixXd L = H;
  if (!linalg::cholesky_in_place(L)) return std::nullopt;
  hypergrad::HypergradResult result;
  result.q = outer_gradient;
  linalg::cholesky_solve(L, result.q);
  if (!result.q.allFinite()) return std::nullopt;
  result.hypergradient = -inner.cross_derivative(state.w, result.q);
  if (!result.hypergradient.allFinite()) return std::nullopt;
  hypergrad::HypergradSummary& summary = result.summary;
  summary.method = hypergrad::Method::Hoag;
  summary.hessian_products = static_cast<Index>(std::ceil(products));
  summary.data_passes = 2 * summary.hessian_products;
  const double norm = outer_gradient.norm();
  summary.relative_residual =
      norm > 0.0 ? (H.selfadjointView<Eigen::Lower>() * result.q - outer_gradient).norm() / norm
                 : 0.0;
  char buffer[160];
  std::snprintf(buffer, sizeof buffer,
                "direct solve: dense Hessian (d = %lld) and Cholesky, the work of %lld Hessian "
                "products, residual %.1e",
                static_cast<long long>(inner.dim()),
                static_cast<long long>(summary.hessian_products), summary.relative_residual);
  summary.message = buffer;
  summary.seconds = timer.seconds();
  return result;
}

hypergrad::Method to_hypergrad(TuneMethod method) {
  switch (method) {
    case TuneMethod::Hoag:
      return hypergrad::Method::Hoag;
    case TuneMethod::Shine:
      return hypergrad::Method::Shine;
    case TuneMethod::ShineOpa:
      return hypergrad::Method::ShineOpa;
    case TuneMethod::ShineRefine:
      return hypergrad::Method::ShineRefine;
    case TuneMethod::JacobianFree:
      return hypergrad::Method::JacobianFree;
    default:
      throw std::logic_error("to_hypergrad: not a hypergradient method");
  }
}

// The methods whose hypergradient needs the inner solve's L-BFGS pairs.
bool needs_pairs(TuneMethod method) {
  return method == TuneMethod::Shine || method == TuneMethod::ShineOpa ||
         method == TuneMethod::ShineRefine;
}

// Whether `data` is given and holds rows: when it is spread over processes, whether it is given
// (a process may hold none of its rows, and every process must take the same branch).
bool has_rows(const data::Dataset* data) {
  return data != nullptr && (data->rows() > 0 || core::is_distributed(data->communicator));
}

std::string format_lambda(const Vector& lambda) {
  char buffer[64];
  if (lambda.size() == 1) {
    std::snprintf(buffer, sizeof buffer, "lambda = %.4g", lambda[0]);
  } else {
    std::snprintf(buffer, sizeof buffer, "%lld lambdas in [%.3g, %.3g]",
                  static_cast<long long>(lambda.size()), lambda.minCoeff(), lambda.maxCoeff());
  }
  return buffer;
}

}  // namespace

Run::Run(const TuneProblem& problem, const TuneOptions& options,
         std::span<Observer* const> observers)
    : problem_(problem),
      options_(options),
      observers_(observers),
      k_(problem.hyperparameters()),
      schedule_(options.effective_schedule()),
      step_(options.step) {
  lbfgs_ = options.lbfgs.solver_options(options.effective_memory());
  warm_memory_ = options.warm_memory == WarmMemory::On ||
                 (options.warm_memory == WarmMemory::Automatic && !problem.folds.empty());
  // One thread count everywhere: the solver's memory sweeps follow the kernels' unless set.
  if (lbfgs_.num_threads == 0) lbfgs_.num_threads = options.objective.num_threads;
  objective::ObjectiveOptions fold_objective = options.objective;
  if (problem.folds.empty()) {
    folds_.push_back(std::make_unique<FoldState>(*problem.train, *problem.validation,
                                                 make_regularizer(problem, options.initial_theta),
                                                 fold_objective));
  } else {
    // Folds solved at once share the threads evenly (results do not depend on thread counts).
    // With one fold per worker, the threads left over go to the first folds.
    const int threads = linalg::resolve_threads(options.objective.num_threads);
    const std::size_t k = problem.folds.size();
    fold_workers_ = choose_fold_workers(options.fold_workers, k, threads);
    // Over several processes every data pass ends in a collective sum, which the processes
    // must call in the same order from one thread: folds are then solved one after the other.
    if (core::is_distributed(problem.train->communicator)) fold_workers_ = 1;
    for (std::size_t f = 0; f < k; ++f) {
      const CrossValidationFold& fold = problem.folds[f];
      int fold_threads = 0;  // as set
      if (fold_workers_ > 1) {
        fold_threads = std::max(1, threads / fold_workers_);
        if (static_cast<std::size_t>(fold_workers_) == k &&
            f < static_cast<std::size_t>(threads % fold_workers_)) {
          ++fold_threads;
        }
        fold_objective.num_threads = fold_threads;
      }
      folds_.push_back(std::make_unique<FoldState>(*fold.train, *fold.validation,
                                                   make_regularizer(problem, options.initial_theta),
                                                   fold_objective));
      folds_.back()->threads = fold_threads;
    }
  }
  // Every fold has the dimension of the training data (folds are row subsets): one precision.
  lbfgs_.pair_precision = inner::resolve_pair_precision(lbfgs_.pair_precision,
                                                        folds_.front()->inner.dim(), lbfgs_.memory);
  if (options.step.rule == StepRule::Secant) {
    secant_.emplace(options.secant, options.step.lower_bound, options.step.upper_bound);
  }
  theta_ = Vector::Constant(k_, options.initial_theta);
  epsilon_ = schedule_.initial;
  for (const Observer* observer : observers_)
    wants_checkpoints_ = wants_checkpoints_ || observer->wants_checkpoints();
  if (core::is_distributed(problem.train->communicator)) {
    // The fingerprint gathers over the processes: every one computes it when any one (the
    // process that writes the checkpoints) wants them.
    double wants = wants_checkpoints_ ? 1.0 : 0.0;
    problem.train->communicator->sum(std::span<double>(&wants, 1));
    wants_checkpoints_ = wants > 0.0;
  }
  if (wants_checkpoints_) fingerprint_ = fingerprint(problem, options);
}

TuneResult Run::run() {
  TuneInfo info;
  info.method = options_.method;
  info.train_rows = data::global_rows(*problem_.train);
  for (const auto& fold : folds_)
    info.validation_rows += data::global_rows(*fold->validation);
  info.test_rows = problem_.test != nullptr ? data::global_rows(*problem_.test) : 0;
  info.features = problem_.train->features();
  info.train_nnz = problem_.train->nnz();
  info.hyperparameters = k_;
  info.folds = problem_.folds.empty() ? 0 : static_cast<int>(problem_.folds.size());
  info.threads = linalg::resolve_threads(options_.objective.num_threads);
  info.warm_memory = warm_memory_;
  info.pair_precision = lbfgs_.pair_precision;
  info.fold_workers = fold_workers_;
  info.options = &options_;
  info.resumed_evaluations = static_cast<int>(result_.records.size());
  for (Observer* observer : observers_)
    observer->on_begin(info);
  if (resumed_) {
    for (Observer* observer : observers_)
      observer->on_resume(result_.records);
  } else {
    for (const auto& fold : folds_)
      fold->w = initial_weights();
  }
  if (is_hypergradient_method(options_.method)) {
    hypergradient_loop();
  } else {
    baseline_loop();
  }
  finish();
  for (Observer* observer : observers_)
    observer->on_end(result_);
  return std::move(result_);
}

objective::L2Regularizer Run::make_regularizer(const TuneProblem& problem, double theta) {
  const Index d = problem.train->features();
  if (problem.group_of.empty()) return objective::L2Regularizer::uniform(d, theta);
  return objective::L2Regularizer::grouped(problem.group_of, problem.groups,
                                           Vector::Constant(problem.groups, theta));
}

Vector Run::initial_weights() const {
  Vector w = Vector::Zero(folds_.front()->inner.dim());
  if (options_.initial_weights == InitialWeights::Gaussian) {
    Random rng(options_.seed);
    for (Index j = 0; j < w.size(); ++j)
      w[j] = rng.normal();
  }
  return w;
}

// The model of the current evaluation: the fold's w, or with cross-validation the mean of the
// folds' w (scikit-learn's LogisticRegressionCV(refit=False) returns that mean too).
Vector Run::model_weights() const {
  if (folds_.size() == 1) return folds_.front()->w;
  Vector mean = Vector::Zero(folds_.front()->w.size());
  for (const auto& fold : folds_)
    mean += fold->w;
  return mean / static_cast<double>(folds_.size());
}

// The accurate stop level at the current θ for a solve of `fold` from `w_start` (see
// TuneOptions).
double Run::final_level(const FoldState& fold, const Vector& w_start) const {
  // Never below 1e-12 of the first gradient (w_start = 0 would ask for an exact zero).
  return std::max(options_.final_tolerance * std::exp(theta_.minCoeff()) * w_start.norm(),
                  1e-12 * fold.initial_gradient_norm);
}

// Ends the run as converged, after the evaluation whose secant step was below the θ tolerance or
// whose secant model left the validation loss less than the loss tolerance to gain.
void Run::stop_converged() {
  const OuterRecord& last = result_.records.back();
  const std::size_t n = result_.records.size();
  // After a `Confirm`, the converged step is the one that led to the last, accurate solve.
  const bool polished = n >= 2 && result_.records[n - 2].step == StepOutcome::Confirm;
  const Vector moved =
      polished ? Vector(last.theta - result_.records[n - 2].theta) : Vector(theta_ - last.theta);
  const bool confirmed = polished && options_.bounce_cg_tolerance > 0.0;
  const double moved_rms = moved.norm() / std::sqrt(static_cast<double>(k_));
  // The confirming hypergradient came from CG (a CG budget) or from the direct solve of few
  // features (none).
  const bool direct = last.hypergradient_summary.cg_budget == 0;
  const char* how = !confirmed ? (polished ? ", the last solved to the final tolerance" : "")
                    : direct   ? ", the last solved to the final tolerance and confirmed by its "
                                 "hypergradient from a direct solve"
                               : ", the last solved to the final tolerance and confirmed by its CG "
                                 "hypergradient";
  char buffer[320];
  if (moved_rms <= options_.secant.theta_tolerance * (1.0 + 1e-12)) {
    std::snprintf(buffer, sizeof buffer,
                  "the secant step moved log(lambda) by %.3g <= %.3g after %zu evaluations%s",
                  moved_rms, options_.secant.theta_tolerance, n, how);
  } else {
    // Not the θ criterion: the loss criterion (secant.loss_tolerance) decided.
    std::snprintf(
        buffer, sizeof buffer,
        "the secant model predicts that the validation loss can fall by at most a "
        "fraction %.3g of itself after %zu evaluations (log(lambda) last moved by %.3g)%s",
        options_.secant.loss_tolerance, n, moved_rms, how);
  }
  stop(Termination::Converged, buffer);
  // The result is the stationary point: the last evaluation, whose solve is the most accurate.
  // Earlier, looser solves can score a lower validation loss than any accurate solve at any
  // λ (stopping early regularizes too), so the lowest loss seen would name the wrong λ.
  result_.has_result = true;
  result_.best_iteration = last.iteration;
  result_.theta = last.theta;
  result_.lambda = last.lambda;
  result_.w = model_weights();
  result_.validation_loss = last.validation_loss;
  result_.validation_accuracy = last.validation_accuracy;
  result_.test_loss = last.test_loss;
  result_.test_accuracy = last.test_accuracy;
}

// True when the run must stop now; sets the termination.
bool Run::should_stop() {
  if (options_.interrupt != nullptr && options_.interrupt->load(std::memory_order_relaxed)) {
    stop(Termination::Interrupted, "interrupted");
    return true;
  }
  bool out_of_time = options_.time_budget > 0.0 && elapsed() >= options_.time_budget;
  if (options_.time_budget > 0.0 && core::is_distributed(problem_.train->communicator)) {
    // Clocks differ between processes: every one follows rank 0's, so that all stop together.
    std::byte flag{static_cast<unsigned char>(out_of_time ? 1 : 0)};
    problem_.train->communicator->broadcast(std::span<std::byte>(&flag, 1), 0);
    out_of_time = flag != std::byte{0};
  }
  if (out_of_time) {
    char buffer[96];
    std::snprintf(buffer, sizeof buffer, "time budget of %.3g s used", options_.time_budget);
    stop(Termination::TimeLimit, buffer);
    return true;
  }
  return false;
}

void Run::stop(Termination termination, std::string message) {
  result_.termination = termination;
  result_.message = std::move(message);
  stopped_ = true;
}

// An inner hook that abandons the solve on an interrupt, around the strategy's own hook.
inner::IterationHook Run::with_interrupt(inner::IterationHook hook) const {
  if (options_.interrupt == nullptr) return hook;
  const std::atomic<bool>* flag = options_.interrupt;
  return [flag, hook = std::move(hook)](inner::IterationView& view) {
    if (flag->load(std::memory_order_relaxed)) return true;
    return hook ? hook(view) : false;
  };
}

// Solves the inner problem of `fold` at the current θ from its w with `solver` options.
// Touches only `fold`, so that folds can be solved at once.
void Run::solve(FoldState& fold, const inner::LbfgsOptions& solver, inner::IterationHook hook,
                inner::LogisticObjective& adapter, inner::InnerResult& result) const {
  // The warm pairs move into the solve (no copy of m·2·d doubles); the fold's memory is left
  // empty and refilled from the solve's memory by the caller before the next checkpoint.
  // Without warm pairs the solve starts empty, in the storage of the last solve's memory (the
  // same results as a new memory: no pair of it is read).
  inner::LbfgsMemory start = std::exchange(warm_memory_ ? fold.memory : fold.spare, {});
  if (!warm_memory_) start.clear();
  result =
      inner::minimize(adapter, fold.w, solver, std::move(start), with_interrupt(std::move(hook)));
}

void Run::keep_memory(FoldState& fold, inner::LbfgsMemory&& solved) const {
  (warm_memory_ ? fold.memory : fold.spare) = std::move(solved);
}

bool Run::interrupt_requested() const {
  return options_.interrupt != nullptr && options_.interrupt->load(std::memory_order_relaxed);
}

// After the solves of an evaluation: true, and the run stopped, when an interrupt abandoned
// them.
bool Run::interrupted_during_solves() {
  if (options_.interrupt == nullptr || !options_.interrupt->load(std::memory_order_relaxed)) {
    return false;
  }
  stop(Termination::Interrupted,
       "interrupted during an inner solve; the iteration in progress was abandoned");
  return true;
}

// Fills the validation and test parts of a record (the test part outside the timed region):
// the validation metrics are those of every fold's model on its own validation rows, pooled;
// the test metrics those of `w` (the model of the evaluation).
void Run::measure(OuterRecord& record, const Vector& w) {
  const bool intercept = options_.objective.fit_intercept;
  if (folds_.size() == 1) {
    const objective::HeldOutMetrics only = objective::evaluate_heldout(
        *folds_.front()->validation, w, intercept, options_.objective.num_threads);
    record.validation_loss = only.mean_loss;
    record.validation_accuracy = only.accuracy;
  } else {
    double loss_sum = 0.0, correct = 0.0, total_weight = 0.0;
    for (const auto& fold : folds_) {
      const objective::HeldOutMetrics part = objective::evaluate_heldout(
          *fold->validation, fold->w, intercept, options_.objective.num_threads);
      const double weight = part.total_weight;
      loss_sum += part.loss_sum;
      correct += part.accuracy * weight;
      total_weight += weight;
    }
    record.validation_loss = loss_sum / total_weight;
    record.validation_accuracy = correct / total_weight;
  }
  if (has_rows(problem_.test)) {
    const Timer excluded;
    const objective::HeldOutMetrics test =
        objective::evaluate_heldout(*problem_.test, w, intercept, options_.objective.num_threads);
    record.test_loss = test.mean_loss;
    record.test_accuracy = test.accuracy;
    excluded_seconds_ += excluded.seconds();
  }
}

// Records an evaluation, keeps the best, notifies observers (outside the timed region).
void Run::commit(OuterRecord record, const Vector& w, double iteration_start) {
  record.iteration = static_cast<int>(result_.records.size());
  record.lambda = record.theta.array().exp();
  record.elapsed_seconds = elapsed();
  record.iteration_seconds = record.elapsed_seconds - iteration_start;
  // A provisional evaluation (a solve far looser than the final level) yields to any other; among
  // evaluations of the same kind the lower validation loss wins.
  const bool best_provisional =
      result_.has_result &&
      result_.records[static_cast<std::size_t>(result_.best_iteration)].provisional;
  if (std::isfinite(record.validation_loss) &&
      (!result_.has_result || (best_provisional && !record.provisional) ||
       (best_provisional == record.provisional &&
        record.validation_loss < result_.validation_loss))) {
    result_.has_result = true;
    result_.best_iteration = record.iteration;
    result_.theta = record.theta;
    result_.lambda = record.lambda;
    result_.w = w;
    result_.validation_loss = record.validation_loss;
    result_.validation_accuracy = record.validation_accuracy;
    result_.test_loss = record.test_loss;
    result_.test_accuracy = record.test_accuracy;
  }
  // A converged secant step ends the run at this evaluation, which it returns (stop_converged).
  record.returned =
      record.step == StepOutcome::Converged ? record.iteration : result_.best_iteration;
  result_.records.push_back(std::move(record));
  const Timer excluded;
  bool stop_requested = false;
  for (Observer* observer : observers_) {
    stop_requested = observer->on_iteration(result_.records.back()) || stop_requested;
  }
  excluded_seconds_ += excluded.seconds();
  if (stop_requested) stop(Termination::StoppedByObserver, "stopped by an observer");
}

void Run::hypergradient_loop() {
  const hypergrad::HypergradOptions hg_options =
      options_.hypergrad.for_method(to_hypergrad(options_.method));
  // One strategy per fold (a strategy may keep state between its hook and `compute`), and
  // per fold the CG that runs after a bounce of the secant step, from the method's q.
  hypergrad::HypergradOptions cg_options = options_.hypergrad.for_method(hypergrad::Method::Hoag);
  cg_options.cg_warm_start = true;
  std::vector<std::unique_ptr<hypergrad::Strategy>> strategies;
  std::vector<std::unique_ptr<hypergrad::Strategy>> bounce_cgs;
  for (std::size_t f = 0; f < folds_.size(); ++f) {
    strategies.push_back(hypergrad::make_strategy(hg_options));
    bounce_cgs.push_back(hypergrad::make_strategy(cg_options));
  }
  const ToleranceSchedule& schedule = schedule_;
  const Vector theta0 = Vector::Constant(k_, options_.initial_theta);
  const std::size_t n_folds = folds_.size();

  if (converged_) {
    stop_converged();
    return;
  }
  for (int it = static_cast<int>(result_.records.size()); it < options_.max_iterations; ++it) {
    if (should_stop()) return;
    const double iteration_start = elapsed();

    // Warm-start rule: relative to this solve's starting gradient. Paper rule: ε_k·‖∇h(w₀, θ₀)‖·
    // min_j exp(θ_j − θ₀_j); at the first iteration θ = θ₀ and the solve starts at w₀, so the
    // relative mode gives exactly that without an extra pass.
    // After a secant step below the tolerance on a loose solve, one last solve at the secant's
    // θ is accurate: ‖∇h(w)‖ ≤ final_tolerance·min(λ)·‖w_start‖, so that
    // ‖w − w*‖ ≤ final_tolerance·‖w_start‖ by the λ-strong convexity of h.
    const bool polish = polishing_;
    const auto solver_options = [&](const FoldState& fold) {
      inner::LbfgsOptions solver = lbfgs_;
      if (fold.threads > 0) solver.num_threads = fold.threads;
      if (polish) {
        solver.tolerance_mode = inner::ToleranceMode::Absolute;
        solver.tolerance = final_level(fold, fold.w);
      } else if (options_.inner_tolerance_rule == InnerToleranceRule::WarmStart) {
        solver.tolerance_mode = inner::ToleranceMode::Relative;
        solver.tolerance = options_.inner_tolerance;
      } else if (it == 0) {
        solver.tolerance_mode = inner::ToleranceMode::Relative;
        solver.tolerance = epsilon_;
      } else {
        solver.tolerance_mode = inner::ToleranceMode::Absolute;
        solver.tolerance =
            epsilon_ * fold.initial_gradient_norm * std::exp((theta_ - theta0).minCoeff());
      }
      return solver;
    };

    // Every fold's inner solve, then its outer loss and gradient; the outer objective is their
    // sum (one fold without cross-validation).
    // Folds may run at once (fold_workers_): each touches only its own state and slot; the
    // sums over folds are formed afterwards in fold order.
    std::vector<std::unique_ptr<inner::LogisticObjective>> adapters(n_folds);
    std::vector<inner::InnerResult> solutions(n_folds);
    std::vector<Vector> outer_gradients(n_folds);
    std::vector<double> outer_losses(n_folds, 0.0);
    for_each_fold(n_folds, fold_workers_, [&](std::size_t f) {
      FoldState& fold = *folds_[f];
      fold.inner.set_theta(theta_);
      hypergrad::InnerSolveContext solve_context;
      solve_context.outer_gradient = [&fold](const Vector& w, Vector& gradient) {
        fold.outer.value_and_gradient(w, gradient);
      };
      solve_context.outer_iteration = it;
      solve_context.max_outer = options_.max_iterations;
      adapters[f] = std::make_unique<inner::LogisticObjective>(fold.inner);
      solve(fold, solver_options(fold), strategies[f]->inner_hook(solve_context), *adapters[f],
            solutions[f]);
      if (interrupt_requested()) return;
      if (it == 0) fold.initial_gradient_norm = solutions[f].summary.initial_gradient_norm;
      fold.w = std::move(solutions[f].w);
      outer_losses[f] = fold.outer.value_and_gradient(fold.w, outer_gradients[f]);
    });
    if (interrupted_during_solves()) return;
    double f_sum = 0.0;
    for (const double loss : outer_losses)
      f_sum += loss;

    // After a bounce, q by CG; and on the last, polishing evaluation, whose CG hypergradient
    // must confirm the convergence that a looser one announced (below).
    const bool verify = secant_ && polish && options_.bounce_cg_tolerance > 0.0;
    const bool accurate = secant_ && options_.bounce_cg_tolerance > 0.0 &&
                          (polish || secant_->bounces(theta_, f_sum));
    std::vector<hypergrad::HypergradResult> parts(n_folds);
    for_each_fold(n_folds, fold_workers_, [&](std::size_t f) {
      FoldState& fold = *folds_[f];
      const inner::InnerResult& solved = solutions[f];
      Vector work;
      hypergrad::HypergradContext context{
          fold.w,
          outer_gradients[f],
          solved.memory,
          [&fold, &adapter = *adapters[f], &work](const Vector& v, Vector& out) {
            fold.inner.hessian_vector(adapter.state(), v, out, &work);
          },
          [&fold](const Vector& w, const Vector& q) { return fold.inner.cross_derivative(w, q); },
          epsilon_,
          fold.have_q ? &fold.q_previous : nullptr};
      // The SHINE variants read B⁻¹ from the solve's pairs. A solve that made no step (its
      // warm start already met the tolerance) has no pair of its own (shine-opa at most one
      // along ∇f) and left w, hence ∇f, as they were: the last q = B⁻¹∇f still holds (B
      // differs only by the step in λ), where an empty memory would give the identity
      // (jacobian-free). Reusing q keeps a resumed run identical: q is in the checkpoint.
      // Once a CG q exists it is the start after a bounce, and the method's own q is not
      // needed (shine-opa's is still computed: its summary carries the work of its inner hook).
      const bool skip_method =
          accurate && fold.q_from_cg && options_.method != TuneMethod::ShineOpa;
      hypergrad::HypergradResult hg;
      if (skip_method) {
        // CG below starts from q_previous.
      } else if (solved.summary.iterations == 0 && needs_pairs(options_.method) && fold.have_q &&
                 fold.q_previous.size() == fold.w.size()) {
        hg.summary.method = hg_options.method;
        hg.summary.message = "the inner solve made no step: q of the last evaluation reused";
        hg.q = fold.q_previous;
        hg.hypergradient = -fold.inner.cross_derivative(fold.w, hg.q);
      } else {
        hg = strategies[f]->compute(context);
      }
      if (accurate) {
        // From the last CG solution (a nearby θ) when there is one, else from the method's q.
        const Vector start = fold.q_from_cg     ? fold.q_previous
                             : hg.q.allFinite() ? hg.q
                                                : outer_gradients[f];
        hypergrad::HypergradContext refine{context.w,
                                           context.outer_gradient,
                                           context.memory,
                                           context.hessian_vector,
                                           context.cross_derivative,
                                           options_.bounce_cg_tolerance,
                                           &start};
        const bool from_cg = fold.q_from_cg;
        if (!fold.direct_products) fold.direct_products = direct_products(fold.inner);
        std::optional<hypergrad::HypergradResult> direct;
        if (*fold.direct_products > 0.0) {
          direct = direct_hypergradient(fold.inner, adapters[f]->state(), outer_gradients[f],
                                        *fold.direct_products);
        }
        hypergrad::HypergradResult refined =
            direct ? std::move(*direct) : bounce_cgs[f]->compute(refine);
        refined.summary.opa = hg.summary.opa;
        // The method's own Hessian products (hoag, shine-refine) count too.
        refined.summary.hessian_products += hg.summary.hessian_products;
        refined.summary.data_passes += hg.summary.data_passes;
        const std::string how =
            direct ? std::string()
                   : std::string("CG from the ") +
                         (from_cg ? "last CG q"
                                  : std::string(hypergrad::to_string(hg_options.method)) + " q");
        refined.summary.message =
            std::string(verify ? "confirming convergence: " : "after a bounce: ") + how +
            (how.empty() || refined.summary.message.empty() ? "" : "; ") + refined.summary.message;
        hg = std::move(refined);
      }
      if (hg.q.allFinite()) {
        fold.q_previous = hg.q;
        fold.have_q = true;
        fold.q_from_cg = accurate;
      }
      parts[f] = std::move(hg);
    });
    Vector hypergradient;
    hypergrad::HypergradResult total;  // the first fold's summary, with every fold's work
    for (std::size_t f = 0; f < n_folds; ++f) {
      // A part of the wrong size (a failed strategy) or non-finite makes the sum non-finite,
      // which the step rules handle.
      const Vector part =
          parts[f].hypergradient.size() == k_
              ? parts[f].hypergradient
              : Vector(Vector::Constant(k_, std::numeric_limits<double>::quiet_NaN()));
      if (f == 0) {
        hypergradient = part;
        total = std::move(parts[f]);
      } else {
        hypergradient += part;
        add_work(total.summary, parts[f].summary);
      }
    }

    const double epsilon_used = epsilon_;
    epsilon_ = schedule.next(epsilon_, it + 1);
    OuterRecord record;
    Vector next_theta;
    if (secant_) {
      SecantStep::Update update =
          secant_->update(theta_, hypergradient, f_sum,
                          options_.bounce_cg_tolerance > 0.0 ? SecantStep::AfterBounce::Accurate
                                                             : SecantStep::AfterBounce::Same);
      // Converged on a solve looser than the final level: the next evaluation, at the
      // secant's θ (within the tolerance of this one), is solved accurately and ends the run
      // if its CG hypergradient agrees: its secant step converges, or moves θ by at most
      // 5·theta_tolerance. Otherwise the convergence came from the error of the looser
      // hypergradients (SHINE's B⁻¹ is not H⁻¹): the run goes on with CG hypergradients, as
      // after a bounce. (Letting the polished evaluation's SHINE hypergradient decide was
      // measured: it restarted runs that had converged; docs/hypergradients.md.)
      bool loose = false;
      bool far = false;  // too loose for its hypergradient to announce a convergence
      for (std::size_t f = 0; f < n_folds; ++f) {
        const double level = final_level(*folds_[f], folds_[f]->w);
        loose = loose || solutions[f].summary.tolerance > level * (1.0 + 1e-12);
        far = far || solutions[f].summary.final_gradient_norm > kTrustedAnnouncement * level;
      }
      if (polish) {
        polishing_ = false;
        const bool confirmed =
            !verify || update.outcome == StepOutcome::Converged ||
            update.outcome == StepOutcome::NonFinite ||  // no CG answer: keep the convergence
            (update.outcome == StepOutcome::Secant &&
             update.step_norm <= kConfirmFactor * options_.secant.theta_tolerance);
        if (confirmed) {
          update.outcome = StepOutcome::Converged;
        } else {
          secant_->require_accuracy();
        }
      } else if (update.outcome == StepOutcome::Converged && far) {
        update.outcome = StepOutcome::Tighten;
      } else if (update.outcome == StepOutcome::Converged && loose) {
        update.outcome = StepOutcome::Confirm;
        polishing_ = true;
      }
      record.step = update.outcome;
      record.provisional = far;
      record.curvature = update.curvature;
      record.trust_radius = update.radius;
      next_theta = std::move(update.theta);
    } else {
      HoagStep::Update update = step_.update(theta_, hypergradient, f_sum, epsilon_used, epsilon_);
      if (update.halve_tolerance) epsilon_ = std::max(epsilon_ / 2.0, schedule.floor);
      record.step = update.outcome;
      record.lipschitz = update.lipschitz;
      next_theta = std::move(update.theta);
    }
    const StepOutcome outcome = record.step;

    record.theta = theta_;
    record.hypergradient = hypergradient;
    record.hypergradient_norm = hypergradient.norm();
    record.tolerance = epsilon_used;
    record.inner = solutions[0].summary;
    for (std::size_t f = 1; f < n_folds; ++f)
      add_work(record.inner, solutions[f].summary, f);
    record.hypergradient_summary = total.summary;
    record.data_passes = record.inner.data_passes + 2 * total.summary.hessian_products;
    if (outcome == StepOutcome::Rejected) ++result_.rejected_steps;
    if (outcome == StepOutcome::NonFinite) ++result_.non_finite_hypergradients;
    if (total.summary.fallback_fired) ++result_.fallbacks;
    for (std::size_t f = 0; f < n_folds; ++f)
      keep_memory(*folds_[f], std::move(solutions[f].memory));

    const Vector w = model_weights();
    measure(record, w);
    commit(std::move(record), w, iteration_start);
    theta_ = std::move(next_theta);
    if (outcome == StepOutcome::Converged && !stopped_) stop_converged();
    checkpoint();
    if (stopped_) return;
  }
}

std::vector<Vector> Run::baseline_candidates() const {
  const double lower = options_.step.lower_bound;
  const double upper = options_.step.upper_bound;
  const int n = options_.candidates;
  std::vector<Vector> thetas;
  if (options_.method == TuneMethod::Grid) {
    // From strong to weak regularization, so each warm start comes from a simpler model.
    for (int i = 0; i < n; ++i) {
      const double t = n == 1 ? 0.5 : static_cast<double>(i) / (n - 1);
      thetas.push_back(Vector::Constant(1, upper + t * (lower - upper)));
    }
  } else {
    Random rng(options_.seed + 0x9E3779B97F4A7C15ULL);
    for (int i = 0; i < n; ++i) {
      Vector theta(k_);
      for (Index j = 0; j < k_; ++j)
        theta[j] = rng.uniform(lower, upper);
      thetas.push_back(std::move(theta));
    }
  }
  return thetas;
}

void Run::baseline_loop() {
  if (options_.method == TuneMethod::Grid && k_ > 1) {
    throw std::invalid_argument(
        "grid search tunes one lambda; with feature groups use random search or a "
        "hypergradient method");
  }
  inner::LbfgsOptions solver = lbfgs_;
  solver.tolerance_mode = inner::ToleranceMode::Relative;
  solver.tolerance = options_.baseline_tolerance;
  const std::vector<Vector> candidates = baseline_candidates();
  for (auto next = result_.records.size(); next < candidates.size(); ++next) {
    const Vector& theta = candidates[next];
    if (should_stop()) return;
    const double iteration_start = elapsed();
    OuterRecord record;
    record.theta = theta;
    std::vector<inner::InnerSummary> summaries(folds_.size());
    for_each_fold(folds_.size(), fold_workers_, [&](std::size_t f) {
      FoldState& fold = *folds_[f];
      fold.inner.set_theta(theta);
      inner::LogisticObjective adapter(fold.inner);
      inner::InnerResult solved;
      inner::LbfgsOptions fold_solver = solver;
      if (fold.threads > 0) fold_solver.num_threads = fold.threads;
      solve(fold, fold_solver, {}, adapter, solved);
      if (interrupt_requested()) return;
      fold.w = std::move(solved.w);
      keep_memory(fold, std::move(solved.memory));
      summaries[f] = std::move(solved.summary);
    });
    if (interrupted_during_solves()) return;
    record.inner = summaries[0];
    for (std::size_t f = 1; f < folds_.size(); ++f)
      add_work(record.inner, summaries[f], f);
    record.data_passes = record.inner.data_passes;
    const Vector w = model_weights();
    measure(record, w);
    commit(std::move(record), w, iteration_start);
    checkpoint();
    if (stopped_) return;
  }
}

void Run::finish() {
  result_.elapsed_seconds = elapsed();
  if (!stopped_) {
    result_.termination = Termination::MaxIterations;
    result_.message = std::to_string(result_.records.size()) +
                      (result_.records.size() == 1 ? " evaluation done" : " evaluations done");
  }
  if (!result_.has_result) {
    if (!stopped_) result_.termination = Termination::NumericalError;
    result_.message += result_.records.empty() ? "; no evaluation completed"
                                               : "; no evaluation gave a finite validation loss";
    return;
  }
  char buffer[160];
  std::snprintf(buffer, sizeof buffer, "; %s validation loss %.6g at %s (evaluation %d)",
                result_.termination == Termination::Converged ? "returned" : "best",
                result_.validation_loss, format_lambda(result_.lambda).c_str(),
                result_.best_iteration);
  result_.message += buffer;
}

}  // namespace detail

namespace {

// The checks of `tune` and `resume`, before any work.
void validate_call(const TuneProblem& problem, const TuneOptions& options) {
  problem.validate();
  options.validate();
  if (options.method == TuneMethod::Grid && problem.hyperparameters() > 1) {
    throw std::invalid_argument(
        "grid search tunes one lambda; with feature groups use random search or a hypergradient "
        "method");
  }
}

}  // namespace

TuneResult tune(const TuneProblem& problem, const TuneOptions& options,
                std::span<Observer* const> observers) {
  validate_call(problem, options);
  detail::Run run(problem, options, observers);
  return run.run();
}

TuneResult resume(const TuneProblem& problem, const TuneOptions& options,
                  const TuneCheckpoint& checkpoint, std::span<Observer* const> observers) {
  validate_call(problem, options);
  detail::Run run(problem, options, observers);
  run.restore(checkpoint);
  return run.run();
}

}  // namespace shine::outer
