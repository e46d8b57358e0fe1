#pragma once
/// @file
/// The high-level API: tune λ on a validation set, or fit one λ, and get a model back.
///
/// ```cpp
/// #include <shine/shine.hpp>
///
/// shine::data::Split parts = shine::data::split_dataset(shine::data::read_libsvm("train.svm"));
/// shine::TuneOptions options;                       // shine, secant steps until converged
/// shine::Tuned tuned = shine::tune(parts.train, parts.validation, options);
/// std::vector<double> labels = tuned.model.predict_labels(parts.test);
/// double lambda = tuned.lambda;                     // the λ found
/// const auto& records = tuned.trajectory.records;   // one record per outer iteration
/// ```
///
/// Data can also come from the caller's Eigen matrices, without a file (`data::from_eigen`).
/// These functions keep no global state: independent calls may run concurrently.

#include <atomic>
#include <limits>
#include <optional>
#include <span>
#include <string>

#include "shine/data/dataset.hpp"
#include "shine/data/split.hpp"
#include "shine/inner/lbfgs_options.hpp"
#include "shine/inner/lbfgs_solver.hpp"
#include "shine/model/logistic_model.hpp"
#include "shine/objective/objective_options.hpp"
#include "shine/outer/checkpoint.hpp"
#include "shine/outer/tune_options.hpp"
#include "shine/outer/tuner.hpp"

namespace shine {

/// Options of `tune` (see `outer::TuneOptions`: method, budgets, schedules, bounds, threads…).
using TuneOptions = outer::TuneOptions;
/// The search methods: hoag, shine, shine-opa, shine-refine, jacobian-free, grid, random.
using TuneMethod = outer::TuneMethod;

/// What `tune` found.
struct Tuned {
  /// The model fitted at the best λ (weights of the best evaluation, label mapping of the
  /// training data). Empty weights when `trajectory.has_result` is false.
  model::LogisticModel model;
  /// The best λ (with feature groups: the first group's; see `lambdas`). NaN without a result.
  double lambda = std::numeric_limits<double>::quiet_NaN();
  /// The best λ of every group (one entry without groups).
  Vector lambdas;
  /// The whole run: termination, message, best evaluation, losses, and every `OuterRecord`.
  /// With cross-validation and `TuneOptions::refit`, its `w`, `test_loss` and `test_accuracy`
  /// are those of the refit model (the records keep the folds' mean model of each evaluation).
  outer::TuneResult trajectory;
  /// The solve of the refit on all training rows (cross-validation with `refit` only).
  std::optional<inner::InnerSummary> refit;
};

/// Tunes λ on `validation` (the outer objective) for a model fitted on `train`; `test`, when
/// given, is only reported in the records. Throws `std::invalid_argument` for invalid options or
/// data whose feature counts differ; numerical trouble is reported in `trajectory.termination`.
Tuned tune(const data::Dataset& train, const data::Dataset& validation,
           const TuneOptions& options = {}, std::span<outer::Observer* const> observers = {});

/// Same with a held-out test set.
Tuned tune(const data::Dataset& train, const data::Dataset& validation, const data::Dataset& test,
           const TuneOptions& options = {}, std::span<outer::Observer* const> observers = {});

/// Tunes λ for `problem`: train, validation, an optional test set and optional feature groups
/// (one λ per group). Throws as `outer::tune`.
Tuned tune(const outer::TuneProblem& problem, const TuneOptions& options = {},
           std::span<outer::Observer* const> observers = {});

/// Tunes λ by k-fold cross-validation on `train` (`data::kfold_split` with `folds`): the outer
/// objective is the sum of the folds' validation losses; the model is refit on all of `train`
/// at the λ found (see `TuneOptions::refit`). `test`, when not null, is only reported. Throws
/// `std::invalid_argument` for bad options or folds that cannot be made.
Tuned tune_cv(const data::Dataset& train, const data::KFoldOptions& folds = {},
              const TuneOptions& options = {}, const data::Dataset* test = nullptr,
              std::span<outer::Observer* const> observers = {});

/// Continues the run saved in `checkpoint` (`outer::CheckpointWriter`, `outer::load_checkpoint`)
/// with the same problem and options, and returns the whole run as `tune` would. Throws
/// `outer::ResumeError` when the checkpoint belongs to other data or options.
Tuned resume(const outer::TuneProblem& problem, const TuneOptions& options,
             const outer::TuneCheckpoint& checkpoint,
             std::span<outer::Observer* const> observers = {});

/// Options of `fit`.
struct FitOptions {
  /// Intercept and threads. Default: no intercept, all cores.
  objective::ObjectiveOptions objective;
  /// The solver: default tolerance ‖∇h‖ ≤ 1e-6·‖∇h(0)‖, memory 10, 1000 iterations. A relative
  /// tolerance is relative to ‖∇h(0)‖ whatever the starting point, so that a warm start
  /// (`initial_weights`) stops at the same accuracy as a start from zero, sooner.
  inner::LbfgsOptions lbfgs;
  /// The starting point: empty (default) = w = 0; else the features' weights followed by the
  /// intercept when `objective.fit_intercept` (the layout of `LogisticModel::weights` and
  /// `intercept`), e.g. a model fitted at the same λ on part of the rows. Finite values.
  Vector initial_weights;
  /// When not null, the solve stops at the next iteration after `*interrupt` becomes true and
  /// returns the iterate reached, with termination `Interrupted`. Only read. Default null.
  const std::atomic<bool>* interrupt = nullptr;
  /// Throws `std::invalid_argument` naming the field of a value out of range.
  void validate() const;
};

/// A model fitted at one λ, and how the solve went.
struct Fitted {
  model::LogisticModel model;   ///< The fitted model (with λ and the label mapping).
  inner::InnerSummary summary;  ///< Termination, iterations, passes, times.
};

/// Fits L2-regularized logistic regression at `lambda` (> 0, finite) on `train`, from w = 0 or
/// from `options.initial_weights`.
/// Throws `std::invalid_argument` for a bad λ or options; a numerical outcome (for example the
/// iteration budget) is in `summary.termination`, with the last finite iterate as the model.
Fitted fit(const data::Dataset& train, double lambda, const FitOptions& options = {});

}  // namespace shine
