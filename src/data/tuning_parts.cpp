#include "shine/data/tuning_parts.hpp"

#include <utility>

#include "shine/data/libsvm_io.hpp"
#include "shine/data/sample_weights.hpp"

namespace shine::data {
namespace {

// The default reader: a LIBSVM file, held-out files read with the training data's feature count
// and label mapping.
DatasetPart read_libsvm_source(const std::string& path, const Dataset* train,
                               const core::Communicator* communicator) {
  ReadOptions options;
  if (train != nullptr) {
    options.n_features = train->features();
    options.drop_extra_features = true;
    options.labels = train->labels;
  }
  if (communicator != nullptr) return read_libsvm_part(path, *communicator, options);
  DatasetPart part;
  part.data = read_libsvm(path, options);
  part.total_rows = part.data.rows();
  return part;
}

}  // namespace

TuningParts load_tuning_parts(const TuningSources& sources) {
  const core::Communicator* group = sources.communicator;
  const auto read = [&sources, group](const std::string& source, const std::string& role,
                                      const Dataset* train) {
    return sources.read ? sources.read(source, role, train, group)
                        : read_libsvm_source(source, train, group);
  };
  const auto attach = [group](DatasetPart& part, const std::optional<std::string>& path) {
    if (!path) return;
    if (group == nullptr) {
      attach_weight_file(part.data, *path);
    } else {
      attach_weight_file(part.data, *path, part.first_row, part.total_rows);
    }
  };
  DatasetPart all = read(sources.train, "train", nullptr);
  attach(all, sources.train_weights);
  std::optional<DatasetPart> validation, test;
  if (sources.validation) {
    validation = read(*sources.validation, "validation", &all.data);
    attach(*validation, sources.validation_weights);
  }
  if (sources.test) {
    test = read(*sources.test, "test", &all.data);
    attach(*test, sources.test_weights);
  }

  TuningParts parts;
  SplitOptions& split = parts.split;
  split.seed = sources.split.seed;
  split.stratify = sources.split.stratify;
  const double f_train = sources.split.train;
  const double f_validation = sources.split.validation;
  const double f_test = sources.split.test;
  const bool no_validation_part = validation || sources.cross_validation;
  split.train = f_train + (no_validation_part ? f_validation : 0.0) + (test ? f_test : 0.0);
  split.validation = no_validation_part ? 0.0 : f_validation;
  split.test = test ? 0.0 : f_test;

  if (validation && test) {
    parts.train = std::move(all.data);
  } else if (group != nullptr) {
    // Every process draws the permutation of all the rows and keeps its own rows of each part:
    // the rows one process would have.
    // The source is freed as soon as its parts are made.
    Split pieces = split_part(DatasetPart(std::move(all)), split);
    parts.train = std::move(pieces.train);
    parts.validation = std::move(pieces.validation);
    parts.test = std::move(pieces.test);
  } else {
    // Consumes the loaded data: the source and its parts are never all in memory at once.
    Split pieces = split_dataset(std::move(all.data), split);
    parts.train = std::move(pieces.train);
    parts.validation = std::move(pieces.validation);
    parts.test = std::move(pieces.test);
  }
  if (validation) parts.validation = std::move(validation->data);
  if (test) parts.test = std::move(test->data);
  if (group != nullptr) {
    // Parts made by the split hold no communicator yet when a source was given instead.
    for (Dataset* part : {&parts.train, &parts.validation, &parts.test})
      part->communicator = group;
  }
  parts.train_rows = global_rows(parts.train);
  parts.validation_rows = global_rows(parts.validation);
  parts.test_rows = global_rows(parts.test);
  return parts;
}

}  // namespace shine::data
