#pragma once
/// @file
/// The JSON record of a tuning run: configuration, datasets, every outer iteration and the
/// result, written atomically by an observer of the outer loop.
///
/// **Schema** (`"format": "shine-trajectory"`, `"version": 1`; docs/cli.md has the full table).
/// Top level: `format`, `version`, `complete` (false in a checkpoint written during the run),
/// `run` (tool, version, command, start time, and the caller's extra fields), `datasets` (role,
/// source, rows, features, nnz, positives), `labels` ({negative, positive}), `config` (every
/// option in force), then the result: `termination`, `message`, `has_result`, `best_iteration`,
/// `theta`, `lambda`, `validation_loss`, `validation_accuracy`, `test_loss`, `test_accuracy`,
/// `elapsed_seconds`, `rejected_steps`, `fallbacks`, `non_finite_hypergradients`, and `records`:
/// one object per outer iteration with `iteration`, `theta`, `lambda`, `validation_loss`,
/// `validation_accuracy`, `test_loss`, `test_accuracy`, `hypergradient`, `hypergradient_norm`,
/// `tolerance`, `step`, `lipschitz`, `inner` (the inner solve), `hypergradient_summary`,
/// `data_passes`, `iteration_seconds`, `elapsed_seconds`.
///
/// Conventions: losses are mean log-losses (natural log); `theta` = log λ; `theta`, `lambda` and
/// `hypergradient` are numbers for one λ and arrays (one entry per group) with groups; a value
/// that is not available or not finite (no test set, NaN, ±∞) is `null`; times are wall-clock
/// seconds of the tuning work (test-loss evaluations excluded). Unknown keys must be ignored by
/// readers: later versions may add keys.
///
/// The library never prints: this module produces text and files, and nlohmann_json stays
/// private to its implementation.

#include <cstdint>
#include <filesystem>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "shine/core/types.hpp"
#include "shine/data/dataset.hpp"
#include "shine/outer/tune_options.hpp"
#include "shine/outer/tuner.hpp"

namespace shine::report {

/// A scalar JSON value for caller-defined fields: null, boolean, integer, number or string.
using Value = std::variant<std::monostate, bool, long long, double, std::string>;
/// Named values, written as a JSON object in the given order.
using Fields = std::vector<std::pair<std::string, Value>>;

/// One dataset of a run, for the record.
struct DatasetDescription {
  std::string role;     ///< "train", "validation" or "test".
  std::string source;   ///< Where it came from, e.g. "train.svm" or "split 5 % of train.svm".
  Index rows = 0;       ///< Samples.
  Index features = 0;   ///< Feature count (the training file's, for every part).
  Index nnz = 0;        ///< Non-zeros of X.
  Index positives = 0;  ///< Rows labelled +1.
  /// Σ c_i of the sample weights (`Dataset::weights`); NaN when the data are unweighted (the
  /// JSON then has no `total_weight`).
  double total_weight = std::numeric_limits<double>::quiet_NaN();

  /// The description of `data` with the given role and source. When `data` is one process's
  /// rows of a dataset spread over processes (`data::Dataset::communicator`), the counts are
  /// the whole dataset's (a collective call).
  static DatasetDescription of(const data::Dataset& data, std::string role, std::string source);
};

/// What a run was, beyond its options.
struct RunDescription {
  std::string tool = "shine";                ///< Name of the program that made the run.
  std::string version;                       ///< Version of the tool.
  std::string command;                       ///< The command line, for the record (may be empty).
  std::vector<DatasetDescription> datasets;  ///< Train, validation and test, as used.
  data::LabelMap labels;                     ///< Label mapping of the training data.
  Fields extra;  ///< Written into `run` after the fields above (e.g. seed, dataset name).
};

/// Everything the JSON of one run is made of.
struct Trajectory {
  RunDescription run;          ///< What the run was (tool, command, datasets, labels).
  outer::TuneOptions options;  ///< The options given to `tune` (`interrupt` is not written).
  outer::TuneInfo info;        ///< Sizes and threads (its `options` pointer is not used).
  outer::TuneResult result;    ///< The result, or the records so far (`complete` false).
  bool complete = true;        ///< False for a checkpoint written during the run.
};

/// The JSON object of a run (see the file comment), pretty-printed, ending with a newline.
std::string to_json(const Trajectory& trajectory);

/// A collection of runs as one JSON object: `{"format": "shine-runs", "version": 1, <header
/// fields>, "runs": [<run objects>]}` (used by `shine reproduce`).
std::string runs_json(const Fields& header, std::span<const Trajectory> runs);

/// Writes `text` to `path` atomically (temporary beside it, then rename). Throws
/// `std::runtime_error` naming the path on failure; an existing file is then left intact.
void write_json_file(const std::filesystem::path& path, const std::string& text);

/// An observer that keeps the trajectory of a run and writes it to a JSON file: after every
/// outer iteration as a checkpoint (`complete` false; skipped when there are more than
/// `kCheckpointMaxHyperparameters` hyperparameters, where rewriting the growing file each time
/// would cost more than the run), and once more at the end (`complete` true, with the result —
/// also after an interrupt, a time limit or an early stop). Every write replaces the file
/// atomically, so the file on disk is always a whole JSON document.
///
/// It never throws out of the loop: a failed write is kept in `error()` (the run goes on) and
/// later writes are skipped.
class JsonTrajectoryWriter final : public outer::Observer {
 public:
  /// Checkpoints are written while the run has at most this many hyperparameters.
  static constexpr Index kCheckpointMaxHyperparameters = 1000;

  /// Writes the trajectory of the observed run to `path` (through a temporary and a rename),
  /// described by `run`. Nothing is written before `on_begin`.
  JsonTrajectoryWriter(std::filesystem::path path, RunDescription run);

  void on_begin(const outer::TuneInfo& info) override;
  bool on_iteration(const outer::OuterRecord& record) override;
  /// Takes the evaluations of a resumed checkpoint into the trajectory.
  void on_resume(std::span<const outer::OuterRecord> previous) override;
  void on_end(const outer::TuneResult& result) override;

  /// The message of the first failed write, or empty.
  [[nodiscard]] const std::string& error() const noexcept { return error_; }
  /// Files written so far (checkpoints and the final one).
  [[nodiscard]] int writes() const noexcept { return writes_; }
  /// The output file.
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  void write();
  void add(const outer::OuterRecord& record);

  std::filesystem::path path_;
  Trajectory trajectory_;
  std::string error_;
  int writes_ = 0;
};

}  // namespace shine::report
