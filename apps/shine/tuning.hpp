#pragma once
// What `shine tune` and `shine reproduce` share: the train / validation / test parts of a run,
// and how a tuning result maps to an exit code.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common.hpp"
#include "shine/data/dataset.hpp"
#include "shine/data/split.hpp"
#include "shine/outer/tuner.hpp"
#include "shine/report/trajectory.hpp"

namespace shine::cli {

/// The three datasets of a tuning run and where each came from.
struct Parts {
  data::Dataset train;
  data::Dataset validation;
  data::Dataset test;  ///< 0 rows when there is no held-out set.
  std::vector<report::DatasetDescription> descriptions;
  double load_seconds = 0.0;
};

/// Where the parts come from: TRAIN, optional VALIDATION and TEST files, and the split of TRAIN
/// that provides what is missing.
struct PartSources {
  std::string train;
  std::optional<std::string> validation;
  std::optional<std::string> test;
  std::vector<double> fractions{0.9, 0.05, 0.05};  ///< train, validation, test.
  std::uint64_t seed = 0;
  bool stratify = false;
};

/// Loads `source` (a file or registered name, by `role`) with `train`'s feature count (features
/// beyond it are dropped) and label mapping; a label outside that mapping is a `data::ParseError`
/// that says so in the command line's terms.
LoadedData load_like_train(const std::string& source, const data::Dataset& train,
                           const std::string& role);

/// Loads TRAIN, then the validation and test files (read with TRAIN's feature count and label
/// mapping; features beyond it are dropped), and splits off TRAIN what is missing: both → the
/// three fractions; only the test part → train gets train + validation fractions; only the
/// validation part → train gets train + test fractions.
Parts load_parts(const PartSources& sources);

/// Parses "LO,HI" into two numbers; throws UsageError naming `option`.
std::pair<double, double> parse_pair(const std::string& text, const std::string& option);

/// The exit code of a finished tuning run: 130 when interrupted, 4 without a usable result, else
/// 0.
int tune_exit_code(const outer::TuneResult& result);

}  // namespace shine::cli
