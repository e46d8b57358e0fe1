#pragma once
// Pieces shared by the command implementations: errors with exit codes, dataset loading by name
// or path, number formatting.

#include <filesystem>
#include <iosfwd>
#include <stdexcept>
#include <string>
#include <vector>

#include "shine/data/dataset.hpp"
#include "shine/data/libsvm_io.hpp"

namespace shine::cli {

/// A usage or option error: exit code 2, message printed as is.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A dataset loaded from a file or a registry name, with what the reader saw.
struct LoadedData {
  data::Dataset data;
  data::ReadReport report;
  std::filesystem::path path;
  std::string registry_name;  ///< Non-empty when `source` was a registry name.
  double seconds = 0.0;       ///< Time to read and parse.
};

/// Loads `source`: an existing file, else a name from the dataset registry (its train or test
/// file, by `role`). Throws UsageError when it is neither, with the registered names.
LoadedData load_dataset(const std::string& source, const data::ReadOptions& options,
                        const std::string& role = "train");

/// Parses "0.9,0.05,0.05" into three fractions; throws UsageError naming `option`.
std::vector<double> parse_fractions(const std::string& text, const std::string& option);

/// 1234567 -> "1,234,567".
std::string with_commas(long long value);

/// Bytes as "41.2 MB".
std::string human_bytes(double bytes);

}  // namespace shine::cli
