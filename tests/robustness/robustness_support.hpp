#pragma once
/// @file
/// Shared by the numerical edge-case tests: small datasets written out row by row, quick tuning
/// options, and the checks every case makes (finite results, an honest termination with its
/// message, every θ finite and within its bounds).

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "shine/core/status.hpp"
#include "shine/core/types.hpp"
#include "shine/data/dataset.hpp"
#include "shine/data/split.hpp"
#include "shine/hypergrad/hypergradient.hpp"
#include "shine/inner/lbfgs_solver.hpp"
#include "shine/outer/tune_options.hpp"
#include "shine/outer/tuner.hpp"

namespace shine::test {

/// One stored entry of a sparse row.
struct Entry {
  Index column;
  double value;
};
/// A sparse row, entries in any order (an empty row is a sample with no non-zero).
using Row = std::vector<Entry>;

/// A dataset from explicit rows and ±1 labels, through the library's own constructor.
inline data::Dataset dataset_from_rows(Index features, const std::vector<Row>& rows,
                                       const std::vector<double>& labels,
                                       const std::string& name = "edge-case") {
  std::vector<Eigen::Triplet<double>> triplets;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    for (const Entry& entry : rows[i]) {
      triplets.emplace_back(static_cast<StorageIndex>(i), static_cast<StorageIndex>(entry.column),
                            entry.value);
    }
  }
  SparseMatrix X(static_cast<Index>(rows.size()), features);
  X.setFromTriplets(triplets.begin(), triplets.end());
  X.makeCompressed();
  Vector y(static_cast<Index>(labels.size()));
  for (std::size_t i = 0; i < labels.size(); ++i)
    y[static_cast<Index>(i)] = labels[i];
  return data::make_dataset(std::move(X), std::move(y), name);
}

/// Rows [begin, end) of `all` as a new dataset.
inline data::Dataset row_range(const data::Dataset& all, Index begin, Index end,
                               const std::string& name) {
  std::vector<Index> rows(static_cast<std::size_t>(end - begin));
  std::iota(rows.begin(), rows.end(), begin);
  return data::select_rows(all, rows, name);
}

/// The five hypergradient methods, each tuned in turn by the outer-loop cases.
inline constexpr outer::TuneMethod kHypergradientMethods[] = {
    outer::TuneMethod::Hoag, outer::TuneMethod::Shine, outer::TuneMethod::ShineOpa,
    outer::TuneMethod::ShineRefine, outer::TuneMethod::JacobianFree};

/// Short runs on one thread: the cases are about robustness, not about reaching the optimum.
inline outer::TuneOptions quick_options(outer::TuneMethod method, int iterations = 5) {
  outer::TuneOptions options;
  options.method = method;
  options.max_iterations = iterations;
  options.candidates = iterations;
  options.objective.num_threads = 1;
  options.lbfgs.num_threads = 1;
  options.lbfgs.max_iterations = 300;
  return options;
}

/// The words each termination's message must contain (the solver's own phrasing).
inline const char* inner_message_key(Termination termination) {
  switch (termination) {
    case Termination::Converged:
      return "<= tolerance";
    case Termination::MaxIterations:
      return "max_iterations";
    case Termination::LineSearchFailed:
      return "no step with sufficient decrease";
    case Termination::NumericalError:
      return "not finite";
    case Termination::TimeLimit:
      return "time limit";
    case Termination::Interrupted:
    case Termination::StoppedByObserver:
      return "";
  }
  return "";
}

/// An inner result is finite, its termination is one of `allowed`, and its message and numbers
/// agree with that termination.
inline void expect_honest_inner(const inner::InnerResult& result,
                                std::initializer_list<Termination> allowed,
                                int max_iterations = -1) {
  const inner::InnerSummary& summary = result.summary;
  SCOPED_TRACE("inner: " + summary.brief() + " | " + summary.message);
  EXPECT_TRUE(result.w.allFinite());
  EXPECT_TRUE(std::isfinite(result.value));
  EXPECT_TRUE(result.gradient.allFinite());
  EXPECT_TRUE(std::isfinite(summary.final_value));
  EXPECT_TRUE(std::isfinite(summary.final_gradient_norm));
  EXPECT_DOUBLE_EQ(summary.final_value, result.value);
  // The reported gradient norm is the norm of the returned gradient, computed without underflow
  // or overflow (a norm of 0 for a gradient of 1e-300 would fake convergence).
  const double true_norm = result.gradient.stableNorm();
  EXPECT_LE(std::abs(summary.final_gradient_norm - true_norm), 1e-12 * true_norm)
      << summary.final_gradient_norm << " reported, " << true_norm << " actual";
  bool listed = false;
  for (Termination t : allowed)
    listed = listed || t == summary.termination;
  EXPECT_TRUE(listed) << "unexpected termination " << to_string(summary.termination);
  EXPECT_FALSE(summary.message.empty());
  EXPECT_NE(summary.message.find(inner_message_key(summary.termination)), std::string::npos)
      << summary.message;
  if (summary.termination == Termination::Converged) {
    EXPECT_LE(summary.final_gradient_norm, summary.tolerance);
  } else {
    // Any other outcome must not claim to meet the tolerance.
    EXPECT_GT(summary.final_gradient_norm, summary.tolerance);
  }
  if (summary.termination == Termination::MaxIterations && max_iterations >= 0) {
    EXPECT_EQ(summary.iterations, max_iterations);
  }
  if (max_iterations >= 0) {
    EXPECT_LE(summary.iterations, max_iterations);
  }
}

/// What the outer-loop cases assert about any run: a finite result (when one is expected), an
/// honest termination with a message, and every evaluated θ finite and within [lower, upper].
inline void expect_sound_tune(const outer::TuneResult& result, const outer::TuneOptions& options,
                              bool expect_result = true) {
  SCOPED_TRACE("tune: " + std::string(outer::to_string(options.method)) + ": " + result.message);
  const double lower = options.step.lower_bound;
  const double upper = options.step.upper_bound;
  EXPECT_FALSE(result.message.empty());
  EXPECT_FALSE(result.records.empty());
  if (expect_result) {
    // Without observers, time budget or interrupt the loop ends by using its budget, or, with
    // the secant rule, by converging within it.
    const int budget = outer::is_hypergradient_method(options.method) ? options.max_iterations
                                                                      : options.candidates;
    const bool secant = outer::is_hypergradient_method(options.method) &&
                        options.step.rule == outer::StepRule::Secant;
    if (secant && result.termination == Termination::Converged) {
      EXPECT_LE(static_cast<int>(result.records.size()), budget);
      EXPECT_EQ(result.records.back().step, outer::StepOutcome::Converged);
    } else {
      EXPECT_EQ(result.termination, Termination::MaxIterations) << to_string(result.termination);
      EXPECT_EQ(static_cast<int>(result.records.size()), budget);
    }
    ASSERT_TRUE(result.has_result);
  }
  int non_finite_steps = 0;
  int fallbacks = 0;
  for (const outer::OuterRecord& record : result.records) {
    SCOPED_TRACE("record " + std::to_string(record.iteration));
    ASSERT_GE(record.theta.size(), 1);
    EXPECT_TRUE(record.theta.allFinite());
    EXPECT_GE(record.theta.minCoeff(), lower);
    EXPECT_LE(record.theta.maxCoeff(), upper);
    EXPECT_TRUE(record.lambda.allFinite());
    EXPECT_GT(record.lambda.minCoeff(), 0.0);
    EXPECT_FALSE(record.inner.message.empty());
    EXPECT_TRUE(std::isfinite(record.inner.final_value)) << record.inner.brief();
    if (outer::is_hypergradient_method(options.method)) {
      // A non-finite hypergradient is allowed only when the step reports it and kept θ.
      if (!record.hypergradient.allFinite()) {
        EXPECT_EQ(record.step, outer::StepOutcome::NonFinite);
        EXPECT_EQ(record.hypergradient_summary.termination, Termination::NumericalError);
      }
      if (record.step == outer::StepOutcome::NonFinite) ++non_finite_steps;
      if (record.hypergradient_summary.fallback_fired) ++fallbacks;
    }
  }
  EXPECT_EQ(result.non_finite_hypergradients, non_finite_steps);
  EXPECT_EQ(result.fallbacks, fallbacks);
  // θ moves only by the adaptive step: consecutive records never leave the box either.
  if (result.has_result) {
    EXPECT_GE(result.best_iteration, 0);
    EXPECT_LT(result.best_iteration, static_cast<int>(result.records.size()));
    EXPECT_TRUE(result.theta.allFinite());
    EXPECT_GE(result.theta.minCoeff(), lower);
    EXPECT_LE(result.theta.maxCoeff(), upper);
    EXPECT_TRUE(result.lambda.allFinite());
    EXPECT_TRUE(result.w.allFinite());
    EXPECT_TRUE(std::isfinite(result.validation_loss));
    EXPECT_GE(result.validation_accuracy, 0.0);
    EXPECT_LE(result.validation_accuracy, 1.0);
  }
}

/// Tunes `train`/`validation` with every hypergradient method and grid search, checking each run
/// with `expect_sound_tune`; returns the results in the order of `kHypergradientMethods`, grid
/// last.
inline std::vector<outer::TuneResult> tune_every_method(const data::Dataset& train,
                                                        const data::Dataset& validation,
                                                        outer::TuneOptions base = {},
                                                        bool with_grid = true) {
  outer::TuneProblem problem;
  problem.train = &train;
  problem.validation = &validation;
  std::vector<outer::TuneResult> results;
  std::vector<outer::TuneMethod> methods(std::begin(kHypergradientMethods),
                                         std::end(kHypergradientMethods));
  if (with_grid) methods.push_back(outer::TuneMethod::Grid);
  for (outer::TuneMethod method : methods) {
    outer::TuneOptions options = base;
    options.method = method;
    SCOPED_TRACE(std::string(outer::to_string(method)));
    results.push_back(outer::tune(problem, options));
    expect_sound_tune(results.back(), options);
  }
  return results;
}

}  // namespace shine::test
