#pragma once
/// @file
/// Observers of a tuning run: progress, outputs, checkpoints and stopping rules plug in here.

#include <span>

#include "shine/core/types.hpp"
#include "shine/outer/tune_options.hpp"
#include "shine/outer/tune_result.hpp"

namespace shine::outer {

struct TuneCheckpoint;  // checkpoint.hpp

/// Sizes and settings of a run, given to observers before the first iteration.
struct TuneInfo {
  TuneMethod method = TuneMethod::ShineOpa;  ///< The tuning method of this run.
  Index train_rows = 0;                      ///< Samples of the training set.
  Index validation_rows = 0;                 ///< Samples of the validation set.
  Index test_rows = 0;                       ///< Samples of the test set (0 without one).
  Index features = 0;                        ///< Number of features d.
  Index train_nnz = 0;                       ///< Non-zeros of the training X.
  Index hyperparameters = 1;  ///< Number k of entries of θ (1 without feature groups).
  /// Cross-validation folds (0: a hold-out validation set). With folds, `validation_rows` counts
  /// the rows of every fold's validation part (all the training rows).
  int folds = 0;
  int threads = 1;  ///< Threads of the sparse kernels.
  /// Whether the L-BFGS memory is carried between solves (`TuneOptions::warm_memory` resolved).
  bool warm_memory = false;
  /// How the L-BFGS pairs are stored (`TuneOptions::lbfgs.pair_precision` resolved: never
  /// `Automatic`).
  inner::PairPrecision pair_precision = inner::PairPrecision::Double;
  /// Folds solved at once (`TuneOptions::fold_workers` resolved; 1 without folds).
  int fold_workers = 1;
  /// The options `tune` was called with; valid only during the call.
  const TuneOptions* options = nullptr;
  /// Evaluations restored from a checkpoint by `resume` (0 for a fresh run).
  int resumed_evaluations = 0;
};

/// Watches a run; return true from `on_iteration` to stop it (`StoppedByObserver`).
/// Observers are called on the thread running `tune`, outside the timed region.
class Observer {
 public:
  virtual ~Observer() = default;
  /// Called once before the first evaluation. Default: nothing.
  virtual void on_begin(const TuneInfo& /*info*/) {}
  /// Called after each evaluation, with its record; true requests a stop (every observer is
  /// still called for this record). Default: false.
  virtual bool on_iteration(const OuterRecord& /*record*/) { return false; }
  /// True when this observer wants `on_checkpoint` calls (building a checkpoint copies the
  /// weights and the records, so the loop only does it when asked). Default: false.
  [[nodiscard]] virtual bool wants_checkpoints() const { return false; }
  /// Called after each evaluation (after every observer's `on_iteration`, also when the run then
  /// stops), when `wants_checkpoints()`, with the state from which `resume` continues the run
  /// (checkpoint.hpp). Default: nothing.
  virtual void on_checkpoint(const TuneCheckpoint& /*checkpoint*/) {}
  /// Called after `on_begin` when `resume` continues a checkpoint, with the evaluations it holds
  /// (which are not passed to `on_iteration`). Default: nothing.
  virtual void on_resume(std::span<const OuterRecord> /*previous*/) {}
  /// Called once with the final result, after the loop has ended (whatever the `termination`).
  /// Default: nothing.
  virtual void on_end(const TuneResult& /*result*/) {}
};

}  // namespace shine::outer
