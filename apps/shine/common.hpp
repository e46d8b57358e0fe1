#pragma once
// Pieces shared by the command implementations: errors with exit codes, option parsing, dataset
// loading by name or path, output paths, number formatting.

#include <boost/program_options.hpp>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <stdexcept>
#include <string>
#include <vector>

#include "shine/core/communicator.hpp"
#include "shine/data/dataset.hpp"
#include "shine/data/libsvm_io.hpp"

namespace shine::cli {

/// A usage or option error: exit code 2, message printed as is.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using Arguments = std::vector<std::string>;

/// Parses `args` against `options` (plus `--help`) with the given positional argument names.
/// Returns false after printing `usage` and the options to `out` when --help was given. Throws
/// UsageError for an unknown option, a bad value or a missing positional argument.
bool parse_options(const Arguments& args, boost::program_options::options_description& options,
                   const std::vector<std::string>& positional,
                   boost::program_options::variables_map& vm, std::ostream& out, const char* usage);

/// Throws UsageError unless `path` can be created: its folder exists and `path` is not a folder.
/// Called for every output option before any work is done.
void check_output_path(const std::string& path, const std::string& option);

/// The value of a numeric option, checked: throws UsageError "OPTION must be RULE, got VALUE".
double positive_option(const boost::program_options::variables_map& vm, const char* name);

/// "shine tune a b c": the command line, for the records.
std::string command_line(const char* command, const Arguments& args);

/// The processes `shine-mpi` runs on (every process of `mpirun`), or null (the default) for one
/// process. Set once by the program before running a command.
const core::Communicator* process_group() noexcept;
/// Sets the group `process_group` returns.
void set_process_group(const core::Communicator* group) noexcept;

/// A dataset loaded from a file or a registry name, with what the reader saw.
struct LoadedData {
  /// The rows (with a group: this process's rows, `data.communicator` set).
  data::Dataset data;
  Index first_row = 0;   ///< With a group: the first row of `data` in the whole file.
  Index total_rows = 0;  ///< Rows of the whole file.
  data::ReadReport report;
  std::filesystem::path path;
  std::string registry_name;  ///< Non-empty when `source` was a registry name.
  double seconds = 0.0;       ///< Time to read and parse.
};

/// Loads `source`: an existing file, else a name from the dataset registry (its train or test
/// file, by `role`). Throws UsageError when it is neither, with the registered names.
LoadedData load_dataset(const std::string& source, const data::ReadOptions& options,
                        const std::string& role = "train",
                        const core::Communicator* group = nullptr);

/// Parses "0.9,0.05,0.05" into three fractions; throws UsageError naming `option`.
std::vector<double> parse_fractions(const std::string& text, const std::string& option);

/// A seed option: a whole number in [0, 2^64 - 1] (Boost.Program_options would read "-1" as
/// 2^64 - 1). Throws `UsageError` naming `option` otherwise.
std::uint64_t parse_seed(const std::string& text, const std::string& option);

/// 1234567 -> "1,234,567".
std::string with_commas(long long value);

/// Bytes as "41.2 MB".
std::string human_bytes(double bytes);

/// Seconds as "0.42 s", "12.3 s", "4 min 05 s", "1 h 02 min".
std::string human_seconds(double seconds);

/// printf-style formatting into a std::string.
std::string format(const char* pattern, ...) __attribute__((format(printf, 1, 2)));

}  // namespace shine::cli
