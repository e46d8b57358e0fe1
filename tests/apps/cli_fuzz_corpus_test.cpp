// Replays the seed corpus of the command-line fuzzer (tests/fuzz/corpus/cli_options/) through the
// fuzz target itself, compiled here without libFuzzer: every command line must end with exit code
// 0, 2, 3 or 4 and no exception may escape shine::cli::run (the target aborts otherwise).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "fuzz/cli_options_fuzzer.cpp"  // NOLINT(bugprone-suspicious-include)
#include "support/fuzz_corpus.hpp"
#include "support/paths.hpp"

namespace {

// The target points PATH and the SHINE_* variables at its temporary folder; put them back.
class SavedEnvironment {
 public:
  SavedEnvironment() {
    for (const char* name : kNames) {
      const char* value = std::getenv(name);
      saved_.emplace_back(value != nullptr ? std::optional<std::string>(value) : std::nullopt);
    }
  }
  SavedEnvironment(const SavedEnvironment&) = delete;
  SavedEnvironment& operator=(const SavedEnvironment&) = delete;
  ~SavedEnvironment() {
    for (std::size_t i = 0; i < std::size(kNames); ++i) {
      if (saved_[i]) {
        setenv(kNames[i], saved_[i]->c_str(), 1);
      } else {
        unsetenv(kNames[i]);
      }
    }
  }

 private:
  static constexpr const char* kNames[] = {"PATH", "SHINE_REGISTRY", "SHINE_DATA_DIR",
                                           "SHINE_DATASETS_DIR", "OMP_NUM_THREADS"};
  std::vector<std::optional<std::string>> saved_;
};

TEST(CliFuzzCorpus, EveryCommandLineEndsWithADocumentedExitCode) {
  const SavedEnvironment environment;
  const int seeds =
      shine::test::replay_fuzz_corpus(shine::test::source_dir() / "tests/fuzz/corpus/cli_options");
  EXPECT_GE(seeds, 30);
}

}  // namespace
