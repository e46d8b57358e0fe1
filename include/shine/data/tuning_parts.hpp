#pragma once
/// @file
/// The train / validation / test parts of a tuning run (the policy of `shine tune`): a training
/// source, optional validation and test sources, and the seeded split of the training source
/// that provides the parts no source was given for.
///
/// - validation and test given: the training source is the train part, whole;
/// - only the test part given: the training source is split into train (the train and test
///   fractions) and validation;
/// - only the validation part given: split into train (the train and validation fractions) and
///   test;
/// - neither: split into the three fractions.
///
/// With `cross_validation` no validation part is split off (its fraction goes to train): the
/// caller makes folds of the train part. Weight files are attached to the source they go with
/// before the split, whose parts keep their rows' weights.
///
/// With a process group (`TuningSources::communicator`) every process reads its rows of each
/// source, draws the permutation of all the rows and keeps its own rows of each part
/// (`split_part`): the parts hold the rows one process would have, with the communicator set. The
/// call is then collective.
///
/// @code
/// shine::data::TuningSources sources;
/// sources.train = "train.svm";
/// sources.test = "test.svm";
/// sources.split.seed = 7;
/// auto parts = shine::data::load_tuning_parts(sources);  // train 95 %, validation 5 %
/// auto tuned = shine::tune(parts.train, parts.validation, parts.test, shine::TuneOptions{});
/// @endcode

#include <functional>
#include <optional>
#include <string>

#include "shine/core/communicator.hpp"
#include "shine/core/types.hpp"
#include "shine/data/dataset.hpp"
#include "shine/data/distributed.hpp"
#include "shine/data/split.hpp"

namespace shine::data {

/// Reads one source of a tuning run. `role` is "train", "validation" or "test". `train` is null
/// for the training source; for the others it is the training data read before, whose feature
/// count (features beyond it dropped) and label mapping they must be read with. With
/// `communicator` set, returns this process's rows of the source (as `read_libsvm_part`, with
/// `data.communicator` set); otherwise the whole source (`first_row` 0, `total_rows` its rows).
using TuningReader =
    std::function<DatasetPart(const std::string& source, const std::string& role,
                              const Dataset* train, const core::Communicator* communicator)>;

/// Where the parts of a tuning run come from.
struct TuningSources {
  /// The training source: a LIBSVM file (or what `read` takes).
  std::string train;
  /// The validation source; none: the validation part is split off `train` (none with
  /// `cross_validation`).
  std::optional<std::string> validation;
  /// The test source; none: the test part is split off `train`.
  std::optional<std::string> test;
  /// Weight files (`attach_weight_file`) of `train` (before the split), `validation` and `test`.
  std::optional<std::string> train_weights;
  std::optional<std::string> validation_weights;  ///< See `train_weights`.
  std::optional<std::string> test_weights;        ///< See `train_weights`.
  /// The fractions train / validation / test of the split of `train`, its seed and whether it is
  /// stratified. The fractions of the parts that come from their own source (and the
  /// validation fraction with `cross_validation`) are added to the train fraction.
  SplitOptions split;
  /// The validation rows come from folds of the train part (k-fold cross-validation, made by the
  /// caller): no validation part is split off. Default false.
  bool cross_validation = false;
  /// The processes the rows are spread over (each reads its rows of every source), or null (the
  /// default) for one process. Not owned.
  const core::Communicator* communicator = nullptr;
  /// How a source is read. Empty (the default): as a LIBSVM file (`read_libsvm`, or
  /// `read_libsvm_part` with a communicator).
  TuningReader read;
};

/// The three parts of a tuning run.
struct TuningParts {
  Dataset train;
  Dataset validation;  ///< 0 rows with `cross_validation`.
  Dataset test;        ///< 0 rows when there is no test part.
  /// Rows of each part; with a process group, of the whole part (every process's rows).
  Index train_rows = 0;
  Index validation_rows = 0;  ///< See `train_rows`.
  Index test_rows = 0;        ///< See `train_rows`.
  /// The split of the training source: its seed and the fractions it was drawn with (a fraction
  /// is 0 for a part that came from its own source). Not drawn when the validation and test
  /// parts both came from their sources.
  SplitOptions split;
};

/// Reads the sources in the order train, validation, test (each followed by its weight file)
/// and makes the parts as the file comment describes. Throws what the reader throws
/// (`ParseError`, `UnexpectedLabelError` for a held-out label outside the training data's
/// mapping, `std::runtime_error` for a file that cannot be read), `ParseError` for a bad weight
/// file, and `std::invalid_argument` as `split_dataset` does (fractions out of range, a part that
/// would be empty).
TuningParts load_tuning_parts(const TuningSources& sources);

}  // namespace shine::data
