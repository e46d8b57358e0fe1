#include "tuning.hpp"

#include <charconv>
#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "shine/core/timer.hpp"
#include "shine/data/distributed.hpp"
#include "shine/data/tuning_parts.hpp"

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

Parts load_parts(const PartSources& sources) {
  const Timer timer;
  // How the descriptions name each source: its path, or the registered name and its path.
  std::map<std::string, std::string> names;
  data::TuningSources tuning;
  tuning.train = sources.train;
  tuning.validation = sources.validation;
  tuning.test = sources.test;
  tuning.train_weights = sources.weights.train;
  tuning.validation_weights = sources.weights.validation;
  tuning.test_weights = sources.weights.test;
  tuning.split.train = sources.fractions[0];
  tuning.split.validation = sources.fractions[1];
  tuning.split.test = sources.fractions[2];
  tuning.split.seed = sources.seed;
  tuning.split.stratify = sources.stratify;
  tuning.cross_validation = sources.cv > 0;
  // With a process group (shine-mpi), every process reads its rows of each file.
  tuning.communicator = process_group();
  // Sources are files or registered names; a held-out label outside the training data's mapping
  // is reported in the command line's terms.
  tuning.read = [&names](const std::string& source, const std::string& role,
                         const data::Dataset* train, const core::Communicator* group) {
    LoadedData loaded = train == nullptr ? load_dataset(source, {}, role, group)
                                         : load_like_train(source, *train, role);
    names[role] = source_name(loaded);
    return data::DatasetPart{.data = std::move(loaded.data),
                             .first_row = loaded.first_row,
                             .total_rows = loaded.total_rows};
  };
  data::TuningParts loaded = data::load_tuning_parts(tuning);

  Parts parts;
  parts.train = std::move(loaded.train);
  parts.validation = std::move(loaded.validation);
  parts.test = std::move(loaded.test);
  parts.train_rows = loaded.train_rows;
  parts.validation_rows = loaded.validation_rows;
  parts.test_rows = loaded.test_rows;
  if (sources.weights.classes) {
    apply_class_weight(*sources.weights.classes, parts.train, {&parts.validation, &parts.test});
  }
  const data::SplitOptions& split = loaded.split;
  const std::string how = format(" (seed %llu%s)", static_cast<unsigned long long>(split.seed),
                                 split.stratify ? ", stratified" : "");
  const std::string& train_source = names["train"];
  const bool whole = sources.validation && sources.test;
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
        sources.validation ? names["validation"]
                           : percent(split.validation) + " of " + train_source + how));
  }
  if (sources.test) {
    parts.descriptions.push_back(report::DatasetDescription::of(parts.test, "test", names["test"]));
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
