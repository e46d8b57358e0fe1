// Replays the seed corpus of the LIBSVM reader fuzzer (tests/fuzz/corpus/libsvm_reader/) through
// the fuzz target itself, compiled here without libFuzzer: every seed must load into a valid
// dataset or be rejected by an exception with a message (the target aborts otherwise). Runs in
// the normal test suite, so that a crash once found by fuzzing stays fixed.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz/libsvm_reader_fuzzer.cpp"  // NOLINT(bugprone-suspicious-include)
#include "support/paths.hpp"

namespace {

TEST(LibsvmFuzzCorpus, EverySeedLoadsOrIsRejectedWithAMessage) {
  const auto dir = shine::test::source_dir() / "tests/fuzz/corpus/libsvm_reader";
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  ASSERT_EQ(LLVMFuzzerInitialize(nullptr, nullptr), 0);
  int seeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream file(entry.path(), std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(file)),
                                  std::istreambuf_iterator<char>());
    SCOPED_TRACE(entry.path().filename().string());
    EXPECT_EQ(
        LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()),
        0);
    ++seeds;
  }
  EXPECT_GE(seeds, 50);
}

}  // namespace
