#pragma once
// The state and the loops of one tuning run (private to src/outer): `outer::tune` and
// `outer::resume` (tuner.cpp) make a Run, `resume` restores it from a checkpoint
// (tune_run_checkpoint.cpp), and `run()` evaluates θ until a stop rule fires. The hypergradient
// loop and the baselines (grid, random search) share the folds, the records, the observers and
// the stop rules.

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "outer/folds.hpp"
#include "shine/core/timer.hpp"
#include "shine/inner/lbfgs_options.hpp"
#include "shine/outer/checkpoint.hpp"
#include "shine/outer/hoag_step.hpp"
#include "shine/outer/secant_step.hpp"
#include "shine/outer/tolerance_schedule.hpp"
#include "shine/outer/tuner.hpp"

namespace shine::outer::detail {

// State shared by the hypergradient loop and the baselines.
class Run {
 public:
  Run(const TuneProblem& problem, const TuneOptions& options, std::span<Observer* const> observers);

  // Continues from `checkpoint` instead of starting afresh (before `run`).
  void restore(const TuneCheckpoint& checkpoint);

  TuneResult run();

 private:
  static objective::L2Regularizer make_regularizer(const TuneProblem& problem, double theta);

  Vector initial_weights() const;

  // The model of the current evaluation: the fold's w, or with cross-validation the mean of the
  // folds' w (scikit-learn's LogisticRegressionCV(refit=False) returns that mean too).
  Vector model_weights() const;

  // The accurate stop level at the current θ for a solve of `fold` from `w_start` (see
  // TuneOptions).
  double final_level(const FoldState& fold, const Vector& w_start) const;

  // Ends the run as converged, after the evaluation whose secant step was below the tolerance.
  void stop_converged();

  // True when the run must stop now; sets the termination.
  bool should_stop();

  void stop(Termination termination, std::string message);

  double elapsed() const { return elapsed_offset_ + timer_.seconds() - excluded_seconds_; }

  // The carried state of `fold` as a checkpoint stores it.
  TuneCheckpoint::Fold fold_checkpoint(const FoldState& fold) const;

  // Passes the state after an evaluation to the observers that asked for it (outside the timed
  // region).
  void checkpoint();

  // An inner hook that abandons the solve on an interrupt, around the strategy's own hook.
  inner::IterationHook with_interrupt(inner::IterationHook hook) const;

  // Solves the inner problem of `fold` at the current θ from its w with `solver` options.
  // Touches only `fold`, so that folds can be solved at once.
  void solve(FoldState& fold, const inner::LbfgsOptions& solver, inner::IterationHook hook,
             inner::LogisticObjective& adapter, inner::InnerResult& result) const;
  // Keeps a solve's memory once its evaluation is done with it: as the fold's warm pairs, or as
  // the storage of the next solve.
  void keep_memory(FoldState& fold, inner::LbfgsMemory&& solved) const;

  bool interrupt_requested() const;

  // After the solves of an evaluation: true, and the run stopped, when an interrupt abandoned
  // them.
  bool interrupted_during_solves();

  // Fills the validation and test parts of a record (the test part outside the timed region):
  // the validation metrics are those of every fold's model on its own validation rows, pooled;
  // the test metrics those of `w` (the model of the evaluation).
  void measure(OuterRecord& record, const Vector& w);

  // Records an evaluation, keeps the best, notifies observers (outside the timed region).
  void commit(OuterRecord record, const Vector& w, double iteration_start);

  void hypergradient_loop();

  std::vector<Vector> baseline_candidates() const;

  void baseline_loop();

  void finish();

  const TuneProblem& problem_;
  const TuneOptions& options_;
  std::span<Observer* const> observers_;
  Index k_;
  std::vector<std::unique_ptr<FoldState>> folds_;  // one, or one per cross-validation fold
  int fold_workers_ = 1;                           // folds solved at once
  bool warm_memory_ = false;                       // TuneOptions::warm_memory in force
  inner::LbfgsOptions lbfgs_;
  // State of the hypergradient loop for the next evaluation (what a checkpoint saves).
  ToleranceSchedule schedule_;
  HoagStep step_;
  std::optional<SecantStep> secant_;
  Vector theta_;
  double epsilon_ = 0.0;
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

}  // namespace shine::outer::detail
