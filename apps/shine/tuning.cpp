#include "tuning.hpp"

#include <charconv>
#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "shine/core/timer.hpp"
#include "shine/data/distributed.hpp"

namespace shine::cli {
namespace {

std::string percent(double fraction) {
  return format("%g %%", 100.0 * fraction);
}

std::string source_name(const LoadedData& loaded) {
  return loaded.registry_name.empty() ? loaded.path.string()
                                      : loaded.registry_name + " (" + loaded.path.string() + ")";
}

}  // namespace

LoadedData load_like_train(const std::string& source, const data::Dataset& train,
                           const std::string& role) {
  data::ReadOptions aligned;
  aligned.n_features = train.features();
  aligned.drop_extra_features = true;
  aligned.labels = train.labels;
  try {
    return load_dataset(source, aligned, role, train.communicator);
  } catch (const data::UnexpectedLabelError& e) {
    // The reader's advice ("read it without a forced label map") is for library callers.
    throw data::ParseError(e.file(), e.line(), e.column(),
                           "label '" + e.label() + "' is not one of the training data's labels (" +
                               train.labels.to_string() +
                               "): relabel this file to the training data's two label values");
  }
}

ClassWeightOption parse_class_weight(const std::string& text) {
  ClassWeightOption option;
  option.text = text;
  if (text == "balanced") {
    option.balanced = true;
    return option;
  }
  const auto bad = [&text]() {
    return UsageError(
        "--class-weight must be 'balanced' or two weights NEG,POS > 0 (of the classes mapped "
        "to -1 and +1) such as 1,5; got '" +
        text + "'");
  };
  if (text.find(',') == std::string::npos) throw bad();
  try {
    const auto [negative, positive] = parse_pair(text, "--class-weight");
    option.fixed = {negative, positive};
    option.fixed.validate();
  } catch (const UsageError&) {
    throw bad();
  } catch (const std::invalid_argument&) {
    throw bad();
  }
  return option;
}

data::ClassWeights apply_class_weight(const ClassWeightOption& option, data::Dataset& train,
                                      std::initializer_list<data::Dataset*> others) {
  const data::ClassWeights weights =
      option.balanced ? data::balanced_class_weights(train) : option.fixed;
  data::apply_class_weights(train, weights);
  for (data::Dataset* other : others) {
    if (other->rows() > 0) data::apply_class_weights(*other, weights);
  }
  return weights;
}

void attach_weight_file(data::Dataset& data, const std::string& path, Index first_row,
                        std::optional<Index> total_rows) {
  // With a process group every process reads the whole file (one number per row, small beside
  // the data) and keeps its rows' weights.
  Vector weights = data::read_sample_weights(path, total_rows.value_or(data.rows()));
  if (weights.size() > 0 && weights.maxCoeff() == 0.0) {
    throw data::ParseError(path, 0, 0,
                           "every weight is 0: at least one sample must weigh more than 0");
  }
  if (total_rows) weights = Vector(weights.segment(first_row, data.rows()));
  data::set_sample_weights(data, std::move(weights));
}

Parts load_parts(const PartSources& sources) {
  const Timer timer;
  Parts parts;
  // With a process group (shine-mpi), every process reads its rows of each file.
  const core::Communicator* group = process_group();
  LoadedData all = load_dataset(sources.train, {}, "train", group);
  const std::string train_source = source_name(all);
  const auto attach = [group](LoadedData& loaded, const std::optional<std::string>& path) {
    if (!path) return;
    if (group == nullptr) {
      attach_weight_file(loaded.data, *path);
    } else {
      attach_weight_file(loaded.data, *path, loaded.first_row, loaded.total_rows);
    }
  };
  attach(all, sources.weights.train);

  std::optional<LoadedData> validation, test;
  if (sources.validation) {
    validation = load_like_train(*sources.validation, all.data, "validation");
    attach(*validation, sources.weights.validation);
  }
  if (sources.test) {
    test = load_like_train(*sources.test, all.data, "test");
    attach(*test, sources.weights.test);
  }

  const double f_train = sources.fractions[0];
  const double f_validation = sources.fractions[1];
  const double f_test = sources.fractions[2];
  data::SplitOptions split;
  split.seed = sources.seed;
  split.stratify = sources.stratify;
  const bool no_validation_part = validation || sources.cv > 0;
  split.train = f_train + (no_validation_part ? f_validation : 0.0) + (test ? f_test : 0.0);
  split.validation = no_validation_part ? 0.0 : f_validation;
  split.test = test ? 0.0 : f_test;
  const std::string how = format(" (seed %llu%s)", static_cast<unsigned long long>(split.seed),
                                 split.stratify ? ", stratified" : "");

  if (validation && test) {
    parts.train = std::move(all.data);
  } else if (group != nullptr) {
    // Every process draws the permutation of all the rows and keeps its own rows of each part:
    // the rows one process would have.
    data::Split pieces = data::split_part(
        {.data = std::move(all.data), .first_row = all.first_row, .total_rows = all.total_rows},
        split);
    parts.train = std::move(pieces.train);
    parts.validation = std::move(pieces.validation);
    parts.test = std::move(pieces.test);
  } else {
    // Consumes the loaded data: the source and its parts are never all in memory at once.
    data::Split pieces = data::split_dataset(std::move(all.data), split);
    parts.train = std::move(pieces.train);
    parts.validation = std::move(pieces.validation);
    parts.test = std::move(pieces.test);
  }
  if (validation) parts.validation = std::move(validation->data);
  if (test) parts.test = std::move(test->data);
  if (group != nullptr) {
    // Parts made by the split hold no communicator yet when a file was given instead.
    for (data::Dataset* part : {&parts.train, &parts.validation, &parts.test})
      part->communicator = group;
  }
  parts.train_rows = data::global_rows(parts.train);
  parts.validation_rows = data::global_rows(parts.validation);
  parts.test_rows = data::global_rows(parts.test);
  if (sources.weights.classes) {
    apply_class_weight(*sources.weights.classes, parts.train, {&parts.validation, &parts.test});
  }
  const bool whole = validation && test;
  parts.descriptions.push_back(report::DatasetDescription::of(
      parts.train, "train",
      whole ? train_source : percent(split.train) + " of " + train_source + how));
  if (sources.cv > 0) {
    parts.descriptions.push_back(report::DatasetDescription::of(
        parts.train, "validation",
        format("%d-fold cross-validation of the train part (stratified, seed %llu)", sources.cv,
               static_cast<unsigned long long>(split.seed))));
  } else {
    parts.descriptions.push_back(report::DatasetDescription::of(
        parts.validation, "validation",
        validation ? source_name(*validation)
                   : percent(split.validation) + " of " + train_source + how));
  }
  if (test) {
    parts.descriptions.push_back(
        report::DatasetDescription::of(parts.test, "test", source_name(*test)));
  } else if (parts.test_rows > 0) {
    parts.descriptions.push_back(report::DatasetDescription::of(
        parts.test, "test", percent(split.test) + " of " + train_source + how));
  }
  parts.load_seconds = timer.seconds();
  return parts;
}

std::pair<double, double> parse_pair(const std::string& text, const std::string& option) {
  const auto comma = text.find(',');
  const auto number = [&](const std::string& piece) {
    std::size_t used = 0;
    double value = 0.0;
    try {
      value = std::stod(piece, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != piece.size() || !std::isfinite(value)) {
      throw UsageError(option + " must be two numbers LO,HI such as -12,12; got '" + text + "'");
    }
    return value;
  };
  if (comma == std::string::npos) {
    throw UsageError(option + " must be two numbers LO,HI such as -12,12; got '" + text + "'");
  }
  return {number(text.substr(0, comma)), number(text.substr(comma + 1))};
}

const outer::TuneOptionSpec& table_row(std::string_view name) {
  const outer::TuneOptionSpec* spec = outer::find_tune_option(name);
  if (spec == nullptr) {
    throw std::logic_error("the tuning option table has no row '" + std::string(name) + "'");
  }
  return *spec;
}

void check_by_row(const std::string& flag, std::string_view option, int value) {
  const outer::TuneOptionSpec& row = table_row(option);
  if (!row.admits(static_cast<std::int64_t>(value))) {
    throw UsageError(flag + " " + row.rule() + ", got " + std::to_string(value));
  }
}

void check_by_row(const std::string& flag, std::string_view option, double value) {
  const outer::TuneOptionSpec& row = table_row(option);
  if (!row.admits(value))
    throw UsageError(flag + " " + row.rule() + ", got " + format("%g", value));
}

outer::OptionRange log_lambda_range() {
  const outer::OptionRange& lower = table_row("step.lower_bound").range;
  const outer::OptionRange& upper = table_row("step.upper_bound").range;
  return {lower.min, upper.max, lower.min_open, upper.max_open};
}

int tune_exit_code(const outer::TuneResult& result) {
  if (result.termination == Termination::Interrupted) return 130;
  if (!result.has_result) return 4;
  return 0;
}

}  // namespace shine::cli
