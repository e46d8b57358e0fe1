#pragma once
/// @file
/// Checkpoints of the outer loop: everything `tune` needs to continue a run after its last
/// completed evaluation, so that a run killed at any point can be resumed and reach the same
/// final θ as an uninterrupted one.
///
/// A checkpoint is taken after every evaluation (see `Observer::wants_checkpoints`). It holds the
/// records so far and the best result, and the loop's state for the next evaluation: θ, the warm
/// start w, the previous q (the warm start of HOAG's CG), the tolerance ε and ‖∇h(w₀, θ₀)‖, the
/// adaptive step's L and previous loss, the warm L-BFGS pairs (with `warm_memory`), the counters
/// and the elapsed time. Random search draws its candidates from the seed, and the Gaussian w₀ is
/// only drawn at the start, so no generator state is needed beyond the seed and the number of
/// evaluations done.
///
/// Determinism: `resume` with the same problem and options continues bit for bit where the run
/// stopped (the sparse kernels give the same result for any thread count, so the number of threads
/// may differ). It refuses a checkpoint made with other data or options that change the
/// computation (`fingerprint`); `max_iterations`, `candidates` (except for grid search, whose
/// points depend on their number), `time_budget`, threads and `interrupt` may change, to extend a
/// run or give it more time.
///
/// File format: CBOR (RFC 8949), one map with `format` = "shine-checkpoint" and `version`; vectors
/// are byte strings of little-endian IEEE-754 doubles, so values round-trip exactly (NaN and ±∞
/// included). Files are written atomically (temporary, then rename).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "shine/core/types.hpp"
#include "shine/outer/tune_options.hpp"
#include "shine/outer/tuner.hpp"

namespace shine::outer {

/// What identifies a run for resuming: (key, value) pairs in a fixed order, values in text.
using Fingerprint = std::vector<std::pair<std::string, std::string>>;

/// The state of a run after its last completed evaluation (see the file comment).
struct TuneCheckpoint {
  /// The method and everything that changes the computation, with the data's sizes and a
  /// checksum of its content (see `fingerprint`).
  Fingerprint fingerprint;
  /// The records so far, the best θ with its weights, the counters and `elapsed_seconds` (the
  /// timed work so far). `termination` and `message` are not used.
  TuneResult result;
  /// θ of the next evaluation (hypergradient methods; empty for grid and random search).
  Vector theta;
  /// Starting point of the next inner solve (the last solution).
  Vector w;
  /// The previous q, warm start of the next CG (empty: none yet).
  Vector q;
  /// `q` came from the conjugate gradient run after a bounce of the secant step (it is then the
  /// warm start of the next one, instead of the method's own q).
  bool q_from_cg = false;
  /// ε of the next evaluation (hypergradient methods).
  double epsilon = 0.0;
  /// ‖∇h(w₀, θ₀)‖, the scale of the absolute inner tolerance (0 before the first evaluation).
  double initial_gradient_norm = 0.0;
  /// L of the adaptive step (unset before its first step).
  std::optional<double> lipschitz;
  /// The previous outer loss of the adaptive step (+∞ before its first step).
  double previous_loss = 0.0;
  /// The secant rule's state (previous θ, p, f and the trust radius; `step.rule == Secant`).
  SecantStep::State secant;
  /// Warm L-BFGS pairs (s, y), oldest first (`warm_memory` only; else empty).
  std::vector<Vector> memory_s;
  std::vector<Vector> memory_y;  ///< The y of each pair in `memory_s`.

  /// What a cross-validation fold carries to its next solve: the fields of the same names above
  /// are the first fold's (the only one without cross-validation).
  struct Fold {
    Vector w;                            ///< The last solution.
    Vector q;                            ///< The last q (empty: none yet).
    bool q_from_cg = false;              ///< `q` came from CG after a bounce.
    double initial_gradient_norm = 0.0;  ///< ‖∇h(w₀, θ₀)‖ of its first solve.
    std::vector<Vector> memory_s;        ///< Warm pairs (`warm_memory`).
    std::vector<Vector> memory_y;        ///< The y of each pair in `memory_s`.
  };
  /// The second and later folds of a cross-validated run (empty otherwise).
  std::vector<Fold> folds;

  /// Evaluations done (the index of the next one).
  [[nodiscard]] int evaluations() const noexcept { return static_cast<int>(result.records.size()); }
};

/// The fingerprint of a run of `problem` with `options` (the problem is validated): for the
/// training, validation and test sets, their sizes and a 64-bit checksum of their labels and
/// matrices; the feature groups; and every option whose row in the option table says it changes
/// the computation (`TuneOptionSpec::changes_result`), keyed by the row's name, e.g. "lbfgs.c1".
/// Rows spread over processes (`data::Dataset::communicator`) are described as the whole data
/// cut into that many parts (a collective: every process calls it), so a checkpoint resumes with
/// the same data on the same number of processes.
Fingerprint fingerprint(const TuneProblem& problem, const TuneOptions& options);

/// Writes `checkpoint` to `path` atomically. Throws `std::runtime_error` naming the path when
/// it cannot be written (an existing file is then left intact).
void save_checkpoint(const std::filesystem::path& path, const TuneCheckpoint& checkpoint);

/// Reads a checkpoint written by `save_checkpoint`. Throws `std::runtime_error` naming the path
/// and what is wrong (missing, not a checkpoint, another version, truncated, inconsistent).
TuneCheckpoint load_checkpoint(const std::filesystem::path& path);

/// An observer that saves a checkpoint to a file after every evaluation (atomically, so a kill at
/// any moment leaves the previous checkpoint or the new one). It never throws out of the loop: a
/// failed write is kept in `error()`, the run goes on, and later writes are skipped.
class CheckpointWriter final : public Observer {
 public:
  /// Writes to `path`; nothing is written before the first evaluation.
  explicit CheckpointWriter(std::filesystem::path path) : path_(std::move(path)) {}

  [[nodiscard]] bool wants_checkpoints() const override { return true; }
  void on_checkpoint(const TuneCheckpoint& checkpoint) override;

  /// The message of the first failed write, or empty.
  [[nodiscard]] const std::string& error() const noexcept { return error_; }
  /// Checkpoints written so far.
  [[nodiscard]] int writes() const noexcept { return writes_; }
  /// The checkpoint file.
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
  std::string error_;
  int writes_ = 0;
};

/// A checkpoint that does not belong to the run it is resumed with: made with other data or
/// options (the message names the first difference), or inconsistent with the problem.
class ResumeError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// Continues the run saved in `checkpoint` (see the file comment) and returns the result of the
/// whole run: the records of the checkpoint followed by the new ones. Observers get `on_begin`,
/// then `on_resume` with the records of the checkpoint, then the new evaluations. Throws
/// `std::invalid_argument` when the problem or options are invalid (`OptionError` for an
/// option), and `ResumeError` when they do not match the checkpoint's fingerprint or the
/// checkpoint is inconsistent with them.
TuneResult resume(const TuneProblem& problem, const TuneOptions& options,
                  const TuneCheckpoint& checkpoint, std::span<Observer* const> observers = {});

}  // namespace shine::outer
