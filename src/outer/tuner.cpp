#include "shine/outer/tuner.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "core/check.hpp"
#include "core/random.hpp"
#include "shine/core/timer.hpp"
#include "shine/linalg/sparse_kernels.hpp"
#include "shine/objective/inner_objective.hpp"
#include "shine/objective/l2_regularizer.hpp"
#include "shine/objective/logistic_loss.hpp"
#include "shine/objective/outer_objective.hpp"
#include "shine/outer/checkpoint.hpp"

namespace shine::outer {
namespace {

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

// State shared by the hypergradient loop and the baselines.
class Run {
 public:
  Run(const TuneProblem& problem, const TuneOptions& options, std::span<Observer* const> observers)
      : problem_(problem),
        options_(options),
        observers_(observers),
        k_(problem.hyperparameters()),
        inner_(*problem.train, make_regularizer(problem, options.initial_theta), options.objective),
        outer_(*problem.validation, options.objective),
        schedule_(options.effective_schedule()),
        step_(options.step) {
    lbfgs_ = options.lbfgs;
    lbfgs_.memory = options.effective_memory();
    // One thread count everywhere: the solver's memory sweeps follow the kernels' unless set.
    if (lbfgs_.num_threads == 0) lbfgs_.num_threads = options.objective.num_threads;
    if (options.step.rule == StepRule::Secant) {
      secant_.emplace(options.secant, options.step.lower_bound, options.step.upper_bound);
    }
    theta_ = Vector::Constant(k_, options.initial_theta);
    epsilon_ = schedule_.initial;
    for (const Observer* observer : observers_)
      wants_checkpoints_ = wants_checkpoints_ || observer->wants_checkpoints();
    if (wants_checkpoints_) fingerprint_ = fingerprint(problem, options);
  }

  // Continues from `checkpoint` instead of starting afresh (before `run`).
  void restore(const TuneCheckpoint& checkpoint) {
    // One checksum pass over the data: the constructor's, when an observer wants checkpoints.
    if (fingerprint_.empty()) fingerprint_ = fingerprint(problem_, options_);
    const Fingerprint& expected = fingerprint_;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      const std::string& key = expected[i].first;
      const std::string& value = expected[i].second;
      const auto found = std::find_if(checkpoint.fingerprint.begin(), checkpoint.fingerprint.end(),
                                      [&key](const auto& entry) { return entry.first == key; });
      const std::string saved =
          found == checkpoint.fingerprint.end() ? std::string("(missing)") : found->second;
      if (saved != value) {
        throw ResumeError("the checkpoint was made with " + key + " = " + saved +
                          ", this run has " + key + " = " + value +
                          ": resume with the same data and options");
      }
    }
    const Index dim = inner_.dim();
    const auto check = [](bool ok, const std::string& what) {
      if (!ok) throw ResumeError("inconsistent checkpoint: " + what);
    };
    check(checkpoint.w.size() == dim, "w has " + std::to_string(checkpoint.w.size()) +
                                          " entries, the problem needs " + std::to_string(dim));
    check(checkpoint.w.allFinite(), "w is not finite");
    check(checkpoint.q.size() == 0 || checkpoint.q.size() == dim, "q has the wrong size");
    check(checkpoint.memory_s.size() == checkpoint.memory_y.size(), "memory has unpaired vectors");
    const TuneResult& saved = checkpoint.result;
    check(!saved.has_result ||
              (saved.best_iteration >= 0 && saved.best_iteration < checkpoint.evaluations() &&
               saved.theta.size() == k_ && saved.w.size() == dim),
          "the best result does not match the records");
    if (is_hypergradient_method(options_.method)) {
      check(checkpoint.theta.size() == k_, "theta has " + std::to_string(checkpoint.theta.size()) +
                                               " entries, the problem has " + std::to_string(k_));
      check(checkpoint.theta.allFinite() &&
                checkpoint.theta.minCoeff() >= options_.step.lower_bound &&
                checkpoint.theta.maxCoeff() <= options_.step.upper_bound,
            "theta is not finite or outside the bounds");
      check(std::isfinite(checkpoint.epsilon) && checkpoint.epsilon > 0.0,
            "the tolerance is not positive");
      theta_ = checkpoint.theta;
      epsilon_ = checkpoint.epsilon;
      initial_gradient_norm_ = checkpoint.initial_gradient_norm;
      step_.restore(checkpoint.lipschitz, checkpoint.previous_loss);
      if (secant_ && checkpoint.secant.radius > 0.0) {
        try {
          secant_->restore(checkpoint.secant);
        } catch (const std::invalid_argument& error) {
          check(false, error.what());
        }
      }
      have_q_ = checkpoint.q.size() == dim;
      if (have_q_) q_previous_ = checkpoint.q;
      q_from_cg_ = have_q_ && checkpoint.q_from_cg;
    }
    if (options_.warm_memory && !checkpoint.memory_s.empty()) {
      memory_ =
          inner::LbfgsMemory(dim, lbfgs_.memory, lbfgs_.initial_hessian, lbfgs_.curvature_epsilon);
      for (std::size_t i = 0; i < checkpoint.memory_s.size(); ++i) {
        check(checkpoint.memory_s[i].size() == dim && checkpoint.memory_y[i].size() == dim,
              "a memory pair has the wrong size");
        memory_.add_pair(checkpoint.memory_s[i], checkpoint.memory_y[i]);
      }
    }
    result_ = saved;
    // The checkpoint of the evaluation that converged: the run was over (its message is rebuilt).
    converged_ =
        secant_ && !saved.records.empty() && saved.records.back().step == StepOutcome::Converged;
    polishing_ =
        secant_ && !saved.records.empty() && saved.records.back().step == StepOutcome::Confirm;
    result_.termination = Termination::MaxIterations;
    result_.message.clear();
    w_ = checkpoint.w;
    elapsed_offset_ = saved.elapsed_seconds;
    resumed_ = true;
  }

  TuneResult run() {
    TuneInfo info;
    info.method = options_.method;
    info.train_rows = problem_.train->rows();
    info.validation_rows = problem_.validation->rows();
    info.test_rows = problem_.test != nullptr ? problem_.test->rows() : 0;
    info.features = problem_.train->features();
    info.train_nnz = problem_.train->nnz();
    info.hyperparameters = k_;
    info.threads = linalg::resolve_threads(options_.objective.num_threads);
    info.options = &options_;
    info.resumed_evaluations = static_cast<int>(result_.records.size());
    for (Observer* observer : observers_)
      observer->on_begin(info);
    if (resumed_) {
      for (Observer* observer : observers_)
        observer->on_resume(result_.records);
    } else {
      w_ = initial_weights();
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

 private:
  static objective::L2Regularizer make_regularizer(const TuneProblem& problem, double theta) {
    const Index d = problem.train->features();
    if (problem.group_of.empty()) return objective::L2Regularizer::uniform(d, theta);
    return objective::L2Regularizer::grouped(problem.group_of, problem.groups,
                                             Vector::Constant(problem.groups, theta));
  }

  Vector initial_weights() const {
    Vector w = Vector::Zero(inner_.dim());
    if (options_.initial_weights == InitialWeights::Gaussian) {
      Random rng(options_.seed);
      for (Index j = 0; j < w.size(); ++j)
        w[j] = rng.normal();
    }
    return w;
  }

  // The accurate stop level at the current θ for a solve from `w_start` (see TuneOptions).
  double final_level(const Vector& w_start) const {
    // Never below 1e-12 of the first gradient (w_start = 0 would ask for an exact zero).
    return std::max(options_.final_tolerance * std::exp(theta_.minCoeff()) * w_start.norm(),
                    1e-12 * initial_gradient_norm_);
  }

  // Ends the run as converged, after the evaluation whose secant step was below the tolerance.
  void stop_converged() {
    const OuterRecord& last = result_.records.back();
    const std::size_t n = result_.records.size();
    // After a `Confirm`, the converged step is the one that led to the last, accurate solve.
    const bool polished = n >= 2 && result_.records[n - 2].step == StepOutcome::Confirm;
    const Vector moved =
        polished ? Vector(last.theta - result_.records[n - 2].theta) : Vector(theta_ - last.theta);
    char buffer[200];
    std::snprintf(buffer, sizeof buffer,
                  "the secant step moved log(lambda) by %.3g <= %.3g after %zu evaluations%s",
                  moved.norm() / std::sqrt(static_cast<double>(k_)),
                  options_.secant.theta_tolerance, n,
                  polished ? ", the last solved to the final tolerance" : "");
    stop(Termination::Converged, buffer);
    // The result is the stationary point: the last evaluation, whose solve is the most accurate.
    // Earlier, looser solves can score a lower validation loss than any accurate solve at any
    // λ (stopping early regularizes too), so the lowest loss seen would name the wrong λ.
    result_.has_result = true;
    result_.best_iteration = last.iteration;
    result_.theta = last.theta;
    result_.lambda = last.lambda;
    result_.w = w_;
    result_.validation_loss = last.validation_loss;
    result_.validation_accuracy = last.validation_accuracy;
    result_.test_loss = last.test_loss;
    result_.test_accuracy = last.test_accuracy;
  }

  // True when the run must stop now; sets the termination.
  bool should_stop() {
    if (options_.interrupt != nullptr && options_.interrupt->load(std::memory_order_relaxed)) {
      stop(Termination::Interrupted, "interrupted");
      return true;
    }
    if (options_.time_budget > 0.0 && elapsed() >= options_.time_budget) {
      char buffer[96];
      std::snprintf(buffer, sizeof buffer, "time budget of %.3g s used", options_.time_budget);
      stop(Termination::TimeLimit, buffer);
      return true;
    }
    return false;
  }

  void stop(Termination termination, std::string message) {
    result_.termination = termination;
    result_.message = std::move(message);
    stopped_ = true;
  }

  double elapsed() const { return elapsed_offset_ + timer_.seconds() - excluded_seconds_; }

  // Passes the state after an evaluation to the observers that asked for it (outside the timed
  // region).
  void checkpoint() {
    if (!wants_checkpoints_) return;
    const Timer excluded;
    TuneCheckpoint state;
    state.fingerprint = fingerprint_;
    state.result = result_;
    state.result.elapsed_seconds = elapsed();
    if (is_hypergradient_method(options_.method)) {
      state.theta = theta_;
      state.epsilon = epsilon_;
      state.initial_gradient_norm = initial_gradient_norm_;
      state.lipschitz = step_.lipschitz();
      state.previous_loss = step_.previous_loss();
      if (secant_) state.secant = secant_->state();
      if (have_q_) state.q = q_previous_;
      state.q_from_cg = q_from_cg_;
    }
    state.w = w_;
    if (options_.warm_memory) {
      for (int i = 0; i < memory_.size(); ++i) {
        state.memory_s.push_back(memory_.s(i));
        state.memory_y.push_back(memory_.y(i));
      }
    }
    for (Observer* observer : observers_) {
      if (observer->wants_checkpoints()) observer->on_checkpoint(state);
    }
    excluded_seconds_ += excluded.seconds();
  }

  // An inner hook that abandons the solve on an interrupt, around the strategy's own hook.
  inner::IterationHook with_interrupt(inner::IterationHook hook) const {
    if (options_.interrupt == nullptr) return hook;
    const std::atomic<bool>* flag = options_.interrupt;
    return [flag, hook = std::move(hook)](inner::IterationView& view) {
      if (flag->load(std::memory_order_relaxed)) return true;
      return hook ? hook(view) : false;
    };
  }

  // Solves the inner problem at the current θ from w_ with `solver` options; returns false when
  // the solve was abandoned because of an interrupt.
  bool solve(const inner::LbfgsOptions& solver, inner::IterationHook hook,
             inner::LogisticObjective& adapter, inner::InnerResult& result) {
    // The warm pairs move into the solve (no copy of m·2·d doubles); memory_ is left empty and
    // refilled from the solve's memory by the caller before the next checkpoint.
    inner::LbfgsMemory warm =
        options_.warm_memory ? std::exchange(memory_, {}) : inner::LbfgsMemory{};
    result = inner::minimize(adapter, w_, solver, std::move(warm), with_interrupt(std::move(hook)));
    if (options_.interrupt != nullptr && options_.interrupt->load(std::memory_order_relaxed)) {
      stop(Termination::Interrupted,
           "interrupted during an inner solve; the iteration in "
           "progress was abandoned");
      return false;
    }
    return true;
  }

  // Fills the validation and test parts of a record (the test part outside the timed region).
  void measure(OuterRecord& record, const Vector& w) {
    const bool intercept = options_.objective.fit_intercept;
    const HeldOutMetrics validation =
        evaluate_heldout(*problem_.validation, w, intercept, options_.objective.num_threads);
    record.validation_loss = validation.mean_loss;
    record.validation_accuracy = validation.accuracy;
    if (problem_.test != nullptr && problem_.test->rows() > 0) {
      const Timer excluded;
      const HeldOutMetrics test =
          evaluate_heldout(*problem_.test, w, intercept, options_.objective.num_threads);
      record.test_loss = test.mean_loss;
      record.test_accuracy = test.accuracy;
      excluded_seconds_ += excluded.seconds();
    }
  }

  // Records an evaluation, keeps the best, notifies observers (outside the timed region).
  void commit(OuterRecord record, const Vector& w, double iteration_start) {
    record.iteration = static_cast<int>(result_.records.size());
    record.lambda = record.theta.array().exp();
    record.elapsed_seconds = elapsed();
    record.iteration_seconds = record.elapsed_seconds - iteration_start;
    if (std::isfinite(record.validation_loss) &&
        (!result_.has_result || record.validation_loss < result_.validation_loss)) {
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
    result_.records.push_back(std::move(record));
    const Timer excluded;
    bool stop_requested = false;
    for (Observer* observer : observers_) {
      stop_requested = observer->on_iteration(result_.records.back()) || stop_requested;
    }
    excluded_seconds_ += excluded.seconds();
    if (stop_requested) stop(Termination::StoppedByObserver, "stopped by an observer");
  }

  void hypergradient_loop() {
    hypergrad::HypergradOptions hg_options = options_.hypergrad;
    hg_options.method = to_hypergrad(options_.method);
    const std::unique_ptr<hypergrad::Strategy> strategy = hypergrad::make_strategy(hg_options);
    // After a bounce of the secant step: CG from the method's q (see TuneOptions).
    hypergrad::HypergradOptions cg_options = options_.hypergrad;
    cg_options.method = hypergrad::Method::Hoag;
    cg_options.cg_warm_start = true;
    const std::unique_ptr<hypergrad::Strategy> bounce_cg = hypergrad::make_strategy(cg_options);
    const ToleranceSchedule& schedule = schedule_;
    const Vector theta0 = Vector::Constant(k_, options_.initial_theta);
    Vector outer_gradient;

    if (converged_) {
      stop_converged();
      return;
    }
    for (int it = static_cast<int>(result_.records.size()); it < options_.max_iterations; ++it) {
      if (should_stop()) return;
      const double iteration_start = elapsed();
      inner_.set_theta(theta_);

      // Warm-start rule: relative to this solve's starting gradient. Paper rule: ε_k·‖∇h(w₀, θ₀)‖·
      // min_j exp(θ_j − θ₀_j); at the first iteration θ = θ₀ and the solve starts at w₀, so the
      // relative mode gives exactly that without an extra pass.
      // After a secant step below the tolerance on a loose solve, one last solve at the secant's
      // θ is accurate: ‖∇h(w)‖ ≤ final_tolerance·min(λ)·‖w_start‖, so that
      // ‖w − w*‖ ≤ final_tolerance·‖w_start‖ by the λ-strong convexity of h.
      const bool polish = polishing_;
      inner::LbfgsOptions solver = lbfgs_;
      if (polish) {
        solver.tolerance_mode = inner::ToleranceMode::Absolute;
        solver.tolerance = final_level(w_);
      } else if (options_.inner_tolerance_rule == InnerToleranceRule::WarmStart) {
        solver.tolerance_mode = inner::ToleranceMode::Relative;
        solver.tolerance = options_.inner_tolerance;
      } else if (it == 0) {
        solver.tolerance_mode = inner::ToleranceMode::Relative;
        solver.tolerance = epsilon_;
      } else {
        solver.tolerance_mode = inner::ToleranceMode::Absolute;
        solver.tolerance =
            epsilon_ * initial_gradient_norm_ * std::exp((theta_ - theta0).minCoeff());
      }

      hypergrad::InnerSolveContext solve_context;
      solve_context.outer_gradient = [this](const Vector& w, Vector& gradient) {
        outer_.value_and_gradient(w, gradient);
      };
      solve_context.outer_iteration = it;
      solve_context.max_outer = options_.max_iterations;

      inner::LogisticObjective adapter(inner_);
      inner::InnerResult solved;
      if (!solve(solver, strategy->inner_hook(solve_context), adapter, solved)) return;
      if (it == 0) initial_gradient_norm_ = solved.summary.initial_gradient_norm;
      w_ = std::move(solved.w);

      const double f_sum = outer_.value_and_gradient(w_, outer_gradient);
      Vector work;
      hypergrad::HypergradContext context{
          w_,
          outer_gradient,
          solved.memory,
          [this, &adapter, &work](const Vector& v, Vector& out) {
            inner_.hessian_vector(adapter.state(), v, out, &work);
          },
          [this](const Vector& w, const Vector& q) { return inner_.cross_derivative(w, q); },
          epsilon_,
          have_q_ ? &q_previous_ : nullptr};
      // The SHINE variants read B⁻¹ from the solve's pairs. A solve that made no step (its warm
      // start already met the tolerance) has no pair of its own (shine-opa at most one along ∇f)
      // and left w, hence ∇f, as they were: the last q = B⁻¹∇f still holds (B differs only by
      // the step in λ), where an empty memory would give the identity (jacobian-free). Reusing q
      // keeps a resumed run identical: q is in the checkpoint.
      // After a bounce, q by CG (not on the last, polishing evaluation: its step is not taken).
      // Once a CG q exists it is the start, and the method's own q is not needed (shine-opa's is
      // still computed: its summary carries the work of its inner hook).
      const bool accurate = secant_ && !polish && options_.bounce_cg_tolerance > 0.0 &&
                            secant_->bounces(theta_, f_sum);
      const bool skip_method = accurate && q_from_cg_ && options_.method != TuneMethod::ShineOpa;
      hypergrad::HypergradResult hg;
      if (skip_method) {
        // CG below starts from q_previous_.
      } else if (solved.summary.iterations == 0 && needs_pairs(options_.method) && have_q_ &&
                 q_previous_.size() == w_.size()) {
        hg.summary.method = hg_options.method;
        hg.summary.message = "the inner solve made no step: q of the last evaluation reused";
        hg.q = q_previous_;
        hg.hypergradient = -inner_.cross_derivative(w_, hg.q);
      } else {
        hg = strategy->compute(context);
      }
      if (accurate) {
        // From the last CG solution (a nearby θ) when there is one, else from the method's q.
        const Vector start = q_from_cg_ ? q_previous_ : hg.q.allFinite() ? hg.q : outer_gradient;
        hypergrad::HypergradContext refine{context.w,
                                           context.outer_gradient,
                                           context.memory,
                                           context.hessian_vector,
                                           context.cross_derivative,
                                           options_.bounce_cg_tolerance,
                                           &start};
        const bool from_cg = q_from_cg_;
        hypergrad::HypergradResult refined = bounce_cg->compute(refine);
        refined.summary.opa = hg.summary.opa;
        // The method's own Hessian products (hoag, shine-refine) count too.
        refined.summary.hessian_products += hg.summary.hessian_products;
        refined.summary.data_passes += hg.summary.data_passes;
        refined.summary.message =
            std::string("after a bounce: CG from the ") +
            (from_cg ? "last CG q" : std::string(hypergrad::to_string(hg_options.method)) + " q") +
            (refined.summary.message.empty() ? "" : "; ") + refined.summary.message;
        hg = std::move(refined);
      }
      if (hg.q.allFinite()) {
        q_previous_ = hg.q;
        have_q_ = true;
        q_from_cg_ = accurate;
      }

      const double epsilon_used = epsilon_;
      epsilon_ = schedule.next(epsilon_, it + 1);
      OuterRecord record;
      Vector next_theta;
      if (secant_) {
        SecantStep::Update update =
            secant_->update(theta_, hg.hypergradient, f_sum,
                            options_.bounce_cg_tolerance > 0.0 ? SecantStep::AfterBounce::Accurate
                                                               : SecantStep::AfterBounce::Same);
        // Converged on a solve looser than the final level: the next evaluation, at the
        // secant's θ (within the tolerance of this one), is solved accurately and ends the run.
        // (Letting its hypergradient decide again was measured: on nearly separable data it
        // caught a few early stops, but elsewhere it restarted runs that had converged, with
        // expensive accurate solves; docs/hypergradients.md.)
        if (polish) {
          polishing_ = false;
          update.outcome = StepOutcome::Converged;
        } else if (update.outcome == StepOutcome::Converged &&
                   solved.summary.tolerance > final_level(w_) * (1.0 + 1e-12)) {
          update.outcome = StepOutcome::Confirm;
          polishing_ = true;
        }
        record.step = update.outcome;
        record.curvature = update.curvature;
        record.trust_radius = update.radius;
        next_theta = std::move(update.theta);
      } else {
        HoagStep::Update update =
            step_.update(theta_, hg.hypergradient, f_sum, epsilon_used, epsilon_);
        if (update.halve_tolerance) epsilon_ = std::max(epsilon_ / 2.0, schedule.floor);
        record.step = update.outcome;
        record.lipschitz = update.lipschitz;
        next_theta = std::move(update.theta);
      }
      const StepOutcome outcome = record.step;

      record.theta = theta_;
      record.hypergradient = hg.hypergradient;
      record.hypergradient_norm = hg.hypergradient.norm();
      record.tolerance = epsilon_used;
      record.inner = solved.summary;
      record.hypergradient_summary = hg.summary;
      record.data_passes = solved.summary.data_passes + 2 * hg.summary.hessian_products;
      if (outcome == StepOutcome::Rejected) ++result_.rejected_steps;
      if (outcome == StepOutcome::NonFinite) ++result_.non_finite_hypergradients;
      if (hg.summary.fallback_fired) ++result_.fallbacks;
      if (options_.warm_memory) memory_ = std::move(solved.memory);

      measure(record, w_);
      commit(std::move(record), w_, iteration_start);
      theta_ = std::move(next_theta);
      if (outcome == StepOutcome::Converged && !stopped_) stop_converged();
      checkpoint();
      if (stopped_) return;
    }
  }

  std::vector<Vector> baseline_candidates() const {
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

  void baseline_loop() {
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
      inner_.set_theta(theta);
      inner::LogisticObjective adapter(inner_);
      inner::InnerResult solved;
      if (!solve(solver, {}, adapter, solved)) return;
      w_ = std::move(solved.w);
      if (options_.warm_memory) memory_ = std::move(solved.memory);
      OuterRecord record;
      record.theta = theta;
      record.inner = solved.summary;
      record.data_passes = solved.summary.data_passes;
      measure(record, w_);
      commit(std::move(record), w_, iteration_start);
      checkpoint();
      if (stopped_) return;
    }
  }

  void finish() {
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

  const TuneProblem& problem_;
  const TuneOptions& options_;
  std::span<Observer* const> observers_;
  Index k_;
  objective::InnerObjective inner_;
  objective::OuterObjective outer_;
  inner::LbfgsOptions lbfgs_;
  inner::LbfgsMemory memory_;
  Vector w_;
  // State of the hypergradient loop for the next evaluation (what a checkpoint saves).
  ToleranceSchedule schedule_;
  HoagStep step_;
  std::optional<SecantStep> secant_;
  Vector theta_;
  double epsilon_ = 0.0;
  double initial_gradient_norm_ = 0.0;
  Vector q_previous_;
  bool have_q_ = false;
  bool q_from_cg_ = false;  // q_previous_ came from the conjugate gradient after a bounce
  Timer timer_;
  double excluded_seconds_ = 0.0;
  double elapsed_offset_ = 0.0;  // timed work before a resumed checkpoint
  bool stopped_ = false;
  bool resumed_ = false;
  bool converged_ = false;  // resumed from the checkpoint of a converged evaluation
  bool polishing_ = false;  // the next solve is the last, accurate one (after a `Confirm`)
  bool wants_checkpoints_ = false;
  Fingerprint fingerprint_;
  TuneResult result_;
};

}  // namespace

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
  Run run(problem, options, observers);
  return run.run();
}

TuneResult resume(const TuneProblem& problem, const TuneOptions& options,
                  const TuneCheckpoint& checkpoint, std::span<Observer* const> observers) {
  validate_call(problem, options);
  Run run(problem, options, observers);
  run.restore(checkpoint);
  return run.run();
}

}  // namespace shine::outer
