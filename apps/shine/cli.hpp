#pragma once
// Entry point of the command-line tool, separated from main() so tests can drive it.

#include <iosfwd>

namespace shine::cli {

/// Version of the tool, printed by `shine --version` and written into every JSON file.
inline constexpr const char* kVersion = "0.1.0";

/// Exit codes, documented in `shine --help` and the README.
enum ExitCode : int {
  kSuccess = 0,
  kUsageError = 2,     ///< Unknown command, bad option or option value.
  kInputError = 3,     ///< A file cannot be read, or its content is malformed.
  kNoResult = 4,       ///< The computation produced no usable result.
  kInterrupted = 130,  ///< Stopped by SIGINT/SIGTERM before a result was complete.
};

/// Runs the tool with the given arguments; never throws, returns the exit code.
int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace shine::cli
