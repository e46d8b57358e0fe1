#pragma once
// What `shine tune` and `shine reproduce` share: the train / validation / test parts of a run,
// feature-group files, and how a tuning result maps to an exit code.

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

/// A feature → group map read from a file (see `read_groups`).
struct Groups {
  std::vector<std::int32_t> group_of;  ///< One entry per feature.
  std::vector<std::string> names;      ///< Name of each group, by index.
  Index unlisted = 0;                  ///< Features the file did not list (their own group).
  Index ignored = 0;                   ///< Lines about features beyond the training data.
};

/// Reads a group file: one `FEATURE GROUP` pair per line (FEATURE the 1-based LIBSVM index,
/// GROUP any name without spaces); `#` starts a comment; blank lines are skipped. Features not
/// listed share one extra group "(unlisted)"; features beyond `features` are ignored. Throws
/// `data::ParseError` (file, line, column, what to fix) for a malformed line or a feature listed
/// twice, `std::runtime_error` when the file cannot be read.
Groups read_groups(const std::string& path, Index features);

/// Parses "LO,HI" into two numbers; throws UsageError naming `option`.
std::pair<double, double> parse_pair(const std::string& text, const std::string& option);

/// The exit code of a finished tuning run: 130 when interrupted, 4 without a usable result, else
/// 0.
int tune_exit_code(const outer::TuneResult& result);

}  // namespace shine::cli
