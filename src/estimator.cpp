#include "shine/estimator.hpp"

#include <cmath>
#include <utility>

#include "core/check.hpp"
#include "shine/objective/inner_objective.hpp"

namespace shine {
namespace {

Tuned tuned_from(const outer::TuneProblem& problem, const TuneOptions& options,
                 outer::TuneResult result) {
  Tuned tuned;
  tuned.trajectory = std::move(result);
  const outer::TuneResult& r = tuned.trajectory;
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
  inner::InnerResult solved = inner::minimize(objective, Vector::Zero(objective.dim()),
                                              options.lbfgs, {}, stop_on_interrupt);
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
