#pragma once
// What `shine tune` and `shine reproduce` share: the train / validation / test parts of a run,
// and how a tuning result maps to an exit code.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common.hpp"
#include "shine/data/dataset.hpp"
#include "shine/data/sample_weights.hpp"
#include "shine/data/split.hpp"
#include "shine/outer/tune_option_table.hpp"
#include "shine/outer/tuner.hpp"
#include "shine/report/trajectory.hpp"

namespace shine::cli {

/// The three datasets of a tuning run and where each came from.
struct Parts {
  data::Dataset train;
  data::Dataset validation;
  data::Dataset test;  ///< 0 rows when there is no held-out set.
  /// Rows of each part; with a process group (shine-mpi), of the whole part, every process's
  /// rows (the parts themselves hold this process's rows).
  Index train_rows = 0;
  Index validation_rows = 0;
  Index test_rows = 0;
  std::vector<report::DatasetDescription> descriptions;
  double load_seconds = 0.0;
};

/// `--class-weight`: "balanced" (scikit-learn's n / (2 n_c), from the training part) or fixed
/// weights "NEG,POS" of the classes mapped to −1 and +1.
struct ClassWeightOption {
  bool balanced = false;
  data::ClassWeights fixed;
  std::string text;  ///< As given on the command line.
};

/// Parses `--class-weight` (throws UsageError naming the flag and the accepted forms).
ClassWeightOption parse_class_weight(const std::string& text);

/// The sample-weight flags: a weight file for each data file (one weight per row, in its
/// order), and class weights applied on top of them.
struct WeightSources {
  std::optional<std::string> train;          ///< --weights: rows of TRAIN (before any split).
  std::optional<std::string> validation;     ///< --validation-weights: rows of --validation.
  std::optional<std::string> test;           ///< --test-weights: rows of --test.
  std::optional<ClassWeightOption> classes;  ///< --class-weight.
};

/// Applies the class weights of `option` to `train` and to each dataset of `others` (balanced
/// weights are those of `train`); returns the weights applied.
data::ClassWeights apply_class_weight(const ClassWeightOption& option, data::Dataset& train,
                                      std::initializer_list<data::Dataset*> others);

/// Where the parts come from: TRAIN, optional VALIDATION and TEST files, and the split of TRAIN
/// that provides what is missing.
struct PartSources {
  std::string train;
  std::optional<std::string> validation;
  std::optional<std::string> test;
  std::vector<double> fractions{0.9, 0.05, 0.05};  ///< train, validation, test.
  std::uint64_t seed = 0;
  bool stratify = false;
  WeightSources weights;
  /// k of k-fold cross-validation (0: a validation part). With folds there is no validation
  /// part: TRAIN is split into train (train + validation fractions) and test.
  int cv = 0;
};

/// Loads `source` (a file or registered name, by `role`) with `train`'s feature count (features
/// beyond it are dropped) and label mapping; a label outside that mapping is a `data::ParseError`
/// that says so in the command line's terms.
LoadedData load_like_train(const std::string& source, const data::Dataset& train,
                           const std::string& role);

/// The parts of `shine tune` (`data::load_tuning_parts`, the sources being files or registered
/// names): TRAIN, then the validation and test files (read with TRAIN's feature count and label
/// mapping; features beyond it are dropped), and the split of TRAIN for what is missing: both →
/// the three fractions; only the test part → train gets train + validation fractions; only the
/// validation part → train gets train + test fractions. Weight files are attached to the file
/// they go with before the split (whose parts keep their rows' weights); class weights are
/// applied to every part last. Adds the descriptions of the parts for the records.
Parts load_parts(const PartSources& sources);

/// The row of the tuning option table named `name` (e.g. "objective.num_threads"); throws
/// `std::logic_error` when there is none.
const outer::TuneOptionSpec& table_row(std::string_view name);

/// Checks the value of a command's flag against the row `option` of the tuning option table, for
/// flags that set that option under another name (--threads: objective.num_threads) or the same
/// field of another options struct (shine fit's --memory): throws UsageError "FLAG RULE, got
/// VALUE", worded as the table's own flags are, unless the row admits `value`.
void check_by_row(const std::string& flag, std::string_view option, int value);
/// Same for a real-valued option.
void check_by_row(const std::string& flag, std::string_view option, double value);

/// The values of log(lambda) that the option table allows (`--bounds`, `shine fit`'s lambda):
/// from the lower end of the row step.lower_bound to the upper end of step.upper_bound.
outer::OptionRange log_lambda_range();

/// Parses "LO,HI" into two numbers; throws UsageError naming `option`.
std::pair<double, double> parse_pair(const std::string& text, const std::string& option);

/// The exit code of a finished tuning run: 130 when interrupted, 4 without a usable result, else
/// 0.
int tune_exit_code(const outer::TuneResult& result);

}  // namespace shine::cli
