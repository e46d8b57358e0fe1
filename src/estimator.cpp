#include "shine/estimator.hpp"

#include <cmath>
#include <utility>

#include "core/check.hpp"
#include "shine/core/communicator.hpp"
#include "shine/objective/heldout_metrics.hpp"
#include "shine/objective/inner_objective.hpp"
#include "shine/objective/l2_regularizer.hpp"

namespace shine {
namespace {

// The refit after cross-validation: the model at the λ found, fitted on all the training rows,
// warm-started from the folds' mean model and solved as the tuner's last solve is (gradient
// norm at most final_tolerance·min(λ)·‖w_start‖, so ‖w − w*‖ ≤ final_tolerance·‖w_start‖).
void refit(const outer::TuneProblem& problem, const TuneOptions& options, Tuned& tuned) {
  outer::TuneResult& r = tuned.trajectory;
  const objective::L2Regularizer regularizer =
      problem.group_of.empty()
          ? objective::L2Regularizer::uniform(problem.train->features(), r.theta[0])
          : objective::L2Regularizer::grouped(problem.group_of, problem.groups, r.theta);
  const objective::InnerObjective objective(*problem.train, regularizer, options.objective);
  inner::LbfgsOptions solver = options.lbfgs.solver_options(options.effective_memory());
  if (solver.num_threads == 0) solver.num_threads = options.objective.num_threads;
  const double level = options.final_tolerance * r.lambda.minCoeff() * r.w.norm();
  if (level > 0.0) {
    solver.tolerance_mode = inner::ToleranceMode::Absolute;
    solver.tolerance = level;
  } else {
    solver.tolerance_mode = inner::ToleranceMode::Relative;
    solver.tolerance = 1e-6;
  }
  const std::atomic<bool>* flag = options.interrupt;
  inner::IterationHook stop_on_interrupt;
  if (flag != nullptr) {
    stop_on_interrupt = [flag](inner::IterationView&) {
      return flag->load(std::memory_order_relaxed);
    };
  }
  inner::InnerResult solved = inner::minimize(objective, r.w, solver, {}, stop_on_interrupt);
  tuned.refit = solved.summary;
  r.w = std::move(solved.w);
  if (problem.test != nullptr &&
      (problem.test->rows() > 0 || core::is_distributed(problem.test->communicator))) {
    const objective::HeldOutMetrics test = objective::evaluate_heldout(
        *problem.test, r.w, options.objective.fit_intercept, options.objective.num_threads);
    r.test_loss = test.mean_loss;
    r.test_accuracy = test.accuracy;
  }
}

Tuned tuned_from(const outer::TuneProblem& problem, const TuneOptions& options,
                 outer::TuneResult result) {
  Tuned tuned;
  tuned.trajectory = std::move(result);
  const outer::TuneResult& r = tuned.trajectory;
  if (r.has_result && !problem.folds.empty() && options.refit &&
      r.termination != Termination::Interrupted) {
    refit(problem, options, tuned);
  }
  if (r.has_result) {
    tuned.lambdas = r.lambda;
    tuned.lambda = r.lambda[0];
    tuned.model = model::LogisticModel::from_solution(
        r.w, options.objective.fit_intercept, r.lambda, problem.train->labels, problem.group_of);
  }
  return tuned;
}

}  // namespace

Tuned tune(const outer::TuneProblem& problem, const TuneOptions& options,
           std::span<outer::Observer* const> observers) {
  return tuned_from(problem, options, outer::tune(problem, options, observers));
}

Tuned resume(const outer::TuneProblem& problem, const TuneOptions& options,
             const outer::TuneCheckpoint& checkpoint, std::span<outer::Observer* const> observers) {
  return tuned_from(problem, options, outer::resume(problem, options, checkpoint, observers));
}

Tuned tune(const data::Dataset& train, const data::Dataset& validation, const TuneOptions& options,
           std::span<outer::Observer* const> observers) {
  outer::TuneProblem problem;
  problem.train = &train;
  problem.validation = &validation;
  return shine::tune(problem, options, observers);
}

Tuned tune(const data::Dataset& train, const data::Dataset& validation, const data::Dataset& test,
           const TuneOptions& options, std::span<outer::Observer* const> observers) {
  outer::TuneProblem problem;
  problem.train = &train;
  problem.validation = &validation;
  problem.test = &test;
  return shine::tune(problem, options, observers);
}

Tuned tune_cv(const data::Dataset& train, const data::KFoldOptions& folds,
              const TuneOptions& options, const data::Dataset* test,
              std::span<outer::Observer* const> observers) {
  options.validate();
  const std::vector<data::Split> parts = data::kfold_split(train, folds);
  outer::TuneProblem problem;
  problem.train = &train;
  problem.test = test;
  for (const data::Split& part : parts)
    problem.folds.push_back({&part.train, &part.validation});
  return shine::tune(problem, options, observers);
}

void FitOptions::validate() const {
  objective.validate();
  lbfgs.validate();
}

Fitted fit(const data::Dataset& train, double lambda, const FitOptions& options) {
  require(std::isfinite(lambda) && lambda > 0.0, "fit: lambda", lambda, "must be > 0 and finite");
  options.validate();
  const objective::InnerObjective objective(train, std::log(lambda), options.objective);
  const std::atomic<bool>* flag = options.interrupt;
  inner::IterationHook stop_on_interrupt;
  if (flag != nullptr) {
    stop_on_interrupt = [flag](inner::IterationView&) {
      return flag->load(std::memory_order_relaxed);
    };
  }
  Vector start = Vector::Zero(objective.dim());
  inner::LbfgsOptions solver = options.lbfgs;
  if (options.initial_weights.size() > 0) {
    require(options.initial_weights.size() == objective.dim(), "FitOptions::initial_weights size",
            options.initial_weights.size(),
            "must be the number of features" +
                std::string(options.objective.fit_intercept ? " + 1 (the intercept last)" : "") +
                " = " + std::to_string(objective.dim()));
    require(options.initial_weights.allFinite(), "FitOptions::initial_weights", "non-finite",
            "must hold finite values");
    start = options.initial_weights;
    if (solver.tolerance_mode == inner::ToleranceMode::Relative) {
      // Relative to ‖∇h(0)‖, as from zero (one extra pass of each kind).
      solver.tolerance_mode = inner::ToleranceMode::Absolute;
      solver.tolerance *= objective.evaluate(Vector::Zero(objective.dim())).gradient.norm();
    }
  }
  inner::InnerResult solved =
      inner::minimize(objective, std::move(start), solver, {}, stop_on_interrupt);
  if (flag != nullptr && solved.summary.termination == Termination::StoppedByObserver) {
    solved.summary.termination = Termination::Interrupted;
    solved.summary.message = "interrupted";
  }
  Fitted fitted;
  fitted.model = model::LogisticModel::from_solution(solved.w, options.objective.fit_intercept,
                                                     Vector::Constant(1, lambda), train.labels);
  fitted.summary = solved.summary;
  return fitted;
}

}  // namespace shine
