#pragma once
/// @file
/// The outer loop: tune θ = log λ on a validation set, by hypergradients or by a baseline search.
///
/// Hypergradient methods (HOAG's loop, as its reference code), at outer iteration k with tolerance
/// ε_k:
///  1. solve the inner problem at θ_k, warm-started from the previous w (and memory, when
///     `warm_memory`), to ‖∇h‖ ≤ ε_k·‖∇h(w₀, θ₀)‖·min_j exp(θ_k,j − θ₀,j) (the reference's rule:
///     the gradient scales with λ);
///  2. f_k = f(w_k) on the validation set, ∇f(w_k); the hypergradient p_k (hypergrad/);
///  3. ε_{k+1} = schedule(ε_k); θ_{k+1} from HOAG's adaptive step (hoag_step.hpp); a rejected step
///     halves ε_{k+1}; a non-finite p_k never moves θ.
/// Grid and random search evaluate their candidates in turn with the same inner solver,
/// warm-started along the path, each to ‖∇h‖ ≤ baseline_tolerance·‖∇h(warm start)‖.
///
/// Every evaluated θ becomes an `OuterRecord`, passed to the observers (which may stop the run).
/// The held-out test loss of a record is computed outside the timed region. The result is the
/// evaluated θ with the lowest validation loss.
///
/// Thread-safety: `tune` has no global state; independent calls may run concurrently in separate
/// threads (each uses its own OpenMP team for the sparse kernels).

#include <limits>
#include <span>
#include <string>
#include <vector>

#include "shine/core/status.hpp"
#include "shine/core/types.hpp"
#include "shine/data/dataset.hpp"
#include "shine/hypergrad/hypergradient.hpp"
#include "shine/inner/lbfgs_solver.hpp"
#include "shine/outer/hoag_step.hpp"
#include "shine/outer/tune_options.hpp"

namespace shine::outer {

struct TuneCheckpoint;  // checkpoint.hpp

/// The data of a tuning problem, held by pointer (they must outlive `tune`).
struct TuneProblem {
  const data::Dataset* train = nullptr;       ///< Inner problem: the model is fitted on it.
  const data::Dataset* validation = nullptr;  ///< Outer objective: λ minimizes its loss.
  const data::Dataset* test = nullptr;        ///< Optional: only reported, never used to choose λ.
  /// Feature → group map for one λ per group (values in [0, groups)); empty (default) for one
  /// global λ.
  std::vector<std::int32_t> group_of;
  /// Number of groups when `group_of` is set.
  Index groups = 1;

  /// Throws `std::invalid_argument` when a dataset is missing, feature counts differ or the group
  /// map is malformed.
  void validate() const;
  /// Number of hyperparameters k (1 without groups).
  [[nodiscard]] Index hyperparameters() const noexcept { return group_of.empty() ? 1 : groups; }
};

/// Loss and accuracy of a weight vector on a labelled dataset.
struct HeldOutMetrics {
  /// Σ c_i log(1 + exp(−y_i x_iᵀw)), c_i the sample weights (1 without weights).
  double loss_sum = std::numeric_limits<double>::quiet_NaN();
  /// loss_sum / Σ c_i: the mean log-loss (per row without weights).
  double mean_loss = std::numeric_limits<double>::quiet_NaN();
  /// Weighted share of the samples predicted right (`objective::predicted_sign`), in [0, 1].
  double accuracy = std::numeric_limits<double>::quiet_NaN();
};

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

/// Sizes and settings of a run, given to observers before the first iteration.
struct TuneInfo {
  TuneMethod method = TuneMethod::ShineOpa;  ///< The tuning method of this run.
  Index train_rows = 0;                      ///< Samples of the training set.
  Index validation_rows = 0;                 ///< Samples of the validation set.
  Index test_rows = 0;                       ///< Samples of the test set (0 without one).
  Index features = 0;                        ///< Number of features d.
  Index train_nnz = 0;                       ///< Non-zeros of the training X.
  Index hyperparameters = 1;  ///< Number k of entries of θ (1 without feature groups).
  int threads = 1;            ///< Threads of the sparse kernels.
  /// The options `tune` was called with; valid only during the call.
  const TuneOptions* options = nullptr;
  /// Evaluations restored from a checkpoint by `resume` (0 for a fresh run).
  int resumed_evaluations = 0;
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
  /// stationary point, most accurately solved), else the one with the lowest validation loss.
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

/// Stops when the best validation loss has not improved by more than `min_relative_improvement`
/// for `patience` consecutive evaluations.
class EarlyStopping final : public Observer {
 public:
  /// `patience` >= 1, `min_relative_improvement` >= 0; throws `std::invalid_argument` otherwise.
  explicit EarlyStopping(int patience = 5, double min_relative_improvement = 1e-4);
  /// Resets the best loss and the count, so one object can watch several runs.
  void on_begin(const TuneInfo& info) override;
  /// True once `patience` evaluations in a row have not lowered the best validation loss by
  /// more than `min_relative_improvement`·|best| (a non-finite loss never improves).
  bool on_iteration(const OuterRecord& record) override;
  /// Replays the previous evaluations, so a resumed run stops where an uninterrupted one would.
  void on_resume(std::span<const OuterRecord> previous) override;

 private:
  int patience_;
  double min_relative_improvement_;
  double best_ = std::numeric_limits<double>::infinity();
  int since_best_ = 0;
};

/// Loss and accuracy of `w` (d weights, then the intercept when `fit_intercept`) on `data`.
HeldOutMetrics evaluate_heldout(const data::Dataset& data, const Vector& w, bool fit_intercept,
                                int num_threads = 0);

/// Tunes θ for `problem` (see the file comment). Throws `std::invalid_argument` for an invalid
/// problem or options (before any work); numerical trouble ends up in the result, never thrown.
TuneResult tune(const TuneProblem& problem, const TuneOptions& options = {},
                std::span<Observer* const> observers = {});

}  // namespace shine::outer
