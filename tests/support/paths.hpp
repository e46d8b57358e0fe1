#pragma once
/// @file
/// Where tests find the shipped datasets, the fixtures and the shared real datasets.

#include <cstdlib>
#include <filesystem>
#include <string>

namespace shine::test {

/// Root of the source tree (for `datasets/`).
inline std::filesystem::path source_dir() { return SHINE_SOURCE_DIR; }

/// Folder of small hand-written test inputs.
inline std::filesystem::path fixtures_dir() { return SHINE_TEST_FIXTURES_DIR; }

/// Folder of the large real datasets (`SHINE_DATA_DIR` in the environment, else
/// `<source>/../shared/data`). Tests that need it skip when it does not exist.
inline std::filesystem::path shared_data_dir() {
  if (const char* env = std::getenv("SHINE_DATA_DIR"); env != nullptr && *env != '\0') return env;
  return SHINE_DEFAULT_SHARED_DATA_DIR;
}

/// Path of a file under `shared_data_dir()`, or an empty path when it is absent.
inline std::filesystem::path shared_data_file(const std::string& relative) {
  const auto path = shared_data_dir() / relative;
  return std::filesystem::exists(path) ? path : std::filesystem::path{};
}

}  // namespace shine::test

/// Skips the current test with a clear message when a shared dataset is missing.
#define SHINE_REQUIRE_SHARED_DATA(path_var, relative)                                      \
  const auto path_var = ::shine::test::shared_data_file(relative);                         \
  if (path_var.empty()) {                                                                  \
    GTEST_SKIP() << "shared dataset " << (relative) << " not found under "                 \
                 << ::shine::test::shared_data_dir() << " (set SHINE_DATA_DIR to run this)"; \
  }
