#pragma once
/// @file
/// Feature groups from a file, for one λ per group (`outer::TuneProblem::group_of`).

#include <cstdint>
#include <string>
#include <vector>

#include "shine/core/types.hpp"

namespace shine::data {

/// A feature → group map read from a file (see `read_feature_groups`).
struct FeatureGroups {
  std::vector<std::int32_t> group_of;  ///< One entry per feature, in [0, names.size()).
  std::vector<std::string> names;      ///< Name of each group, by index.
  Index unlisted = 0;                  ///< Features the file did not list (their own group).
  Index ignored = 0;                   ///< Lines about features beyond `features`.
};

/// Reads a group file: one `FEATURE GROUP` pair per line (FEATURE the 1-based LIBSVM index,
/// GROUP any name without spaces); `#` starts a comment; blank lines are skipped. Features not
/// listed share one extra group "(unlisted)"; features beyond `features` are ignored. Throws
/// `data::ParseError` (file, line, column, what to fix) for a malformed line or a feature listed
/// twice, `std::runtime_error` when the file cannot be read.
FeatureGroups read_feature_groups(const std::string& path, Index features);

}  // namespace shine::data
