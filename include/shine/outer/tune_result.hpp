#pragma once
/// @file
/// What a tuning run produces: one `OuterRecord` per evaluated θ and the `TuneResult`.

#include <limits>
#include <string>
#include <vector>

#include "shine/core/status.hpp"
#include "shine/core/types.hpp"
#include "shine/hypergrad/hypergradient.hpp"
#include "shine/inner/lbfgs_solver.hpp"
#include "shine/outer/hoag_step.hpp"

namespace shine::outer {

/// One evaluated θ.
struct OuterRecord {
  int iteration = 0;  ///< 0-based index of the evaluation.
  Vector theta;       ///< θ at which the inner problem was solved.
  Vector lambda;      ///< exp(θ).
  double validation_loss = std::numeric_limits<double>::quiet_NaN();  ///< Mean log-loss.
  /// Share of validation samples classified correctly, in [0, 1].
  double validation_accuracy = std::numeric_limits<double>::quiet_NaN();
  double test_loss = std::numeric_limits<double>::quiet_NaN();  ///< Mean log-loss; NaN: no test.
  /// Share of test samples classified correctly; NaN without a test set.
  double test_accuracy = std::numeric_limits<double>::quiet_NaN();
  /// Index in `TuneResult::records` of the evaluation the run returns if it ends after this one
  /// (`TuneResult::best_iteration` then): the lowest validation loss so far among the evaluations
  /// that are not `provisional` (among all of them while every one is), except that an
  /// evaluation whose secant step converged (`step` = `StepOutcome::Converged`, which ends the run)
  /// returns itself. −1 while no evaluation had a finite validation loss. (An observer that stops
  /// the run at a converged evaluation makes the run end as stopped, returning the lowest loss.)
  int returned = -1;
  /// The inner solve ended more than 100 times above the final tolerance level 0.01·λ·‖w‖ (the
  /// secant rule's loose early solves, in any fold): stopping that early regularizes too, so its
  /// validation loss does not measure λ alone and can be lower than that of any accurate solve.
  /// Such an evaluation is returned only while every evaluation so far is provisional. Always
  /// false with HOAG's step rules and for grid and random search.
  bool provisional = false;
  /// ∇F(θ) of the summed validation loss (empty for grid and random search).
  Vector hypergradient;
  /// ‖∇F(θ)‖₂ (NaN for grid and random search).
  double hypergradient_norm = std::numeric_limits<double>::quiet_NaN();
  double tolerance = std::numeric_limits<double>::quiet_NaN();  ///< ε_k (hypergradient methods).
  StepOutcome step = StepOutcome::Kept;  ///< What the adaptive step did after this evaluation.
  double lipschitz = 0.0;                ///< L after the step (HOAG rules).
  /// Secant rule: the curvature estimate c along the last step (0 when unknown or not positive)
  /// and the trust radius after the step.
  double curvature = 0.0;
  double trust_radius = 0.0;                          ///< See `curvature`.
  inner::InnerSummary inner;                          ///< The inner solve at θ.
  hypergrad::HypergradSummary hypergradient_summary;  ///< (hypergradient methods)
  Index data_passes = 0;         ///< Passes over the training data in this iteration (all parts).
  double iteration_seconds = 0;  ///< Time of this iteration (test loss excluded).
  double elapsed_seconds = 0;    ///< Time since the start of `tune` (test losses excluded).
};

/// The outcome of `tune`.
struct TuneResult {
  /// Why the loop ended: Converged (the secant rule's step fell below its tolerance: the normal
  /// end of the default), MaxIterations (the budget was used: the normal end of HOAG's steps and
  /// of grid and random search), TimeLimit, Interrupted, StoppedByObserver, or NumericalError
  /// when no evaluation gave a finite loss.
  Termination termination = Termination::MaxIterations;
  std::string message;      ///< One sentence on how it ended.
  bool has_result = false;  ///< False when no θ was evaluated with a finite loss.
  /// Index in `records` of the returned θ: the last evaluation of a converged run (the
  /// stationary point, most accurately solved), else the one with the lowest validation loss
  /// among those that are not `OuterRecord::provisional` (among all while every one is).
  int best_iteration = -1;
  Vector theta;   ///< The returned θ (see `best_iteration`).
  Vector lambda;  ///< exp(θ).
  Vector w;       ///< The weights fitted at that θ (intercept last when fitted).
  /// Mean validation log-loss at the best θ (NaN without a result).
  double validation_loss = std::numeric_limits<double>::quiet_NaN();
  /// Validation accuracy at the best θ, in [0, 1].
  double validation_accuracy = std::numeric_limits<double>::quiet_NaN();
  /// Mean test log-loss at the best θ; NaN without a test set.
  double test_loss = std::numeric_limits<double>::quiet_NaN();
  /// Test accuracy at the best θ; NaN without a test set.
  double test_accuracy = std::numeric_limits<double>::quiet_NaN();
  std::vector<OuterRecord> records;   ///< Every evaluation, in order.
  double elapsed_seconds = 0.0;       ///< Timed work (test losses excluded).
  int rejected_steps = 0;             ///< Steps the adaptive rule rejected.
  int non_finite_hypergradients = 0;  ///< Hypergradients that were NaN or infinite (θ kept).
  int fallbacks = 0;                  ///< Hypergradients replaced by the fallback guard.
};

}  // namespace shine::outer
