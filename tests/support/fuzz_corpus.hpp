#pragma once
// Replays a fuzz target's seed corpus through the target itself (compiled into a normal test
// without libFuzzer): the file that includes this must first include the target's source, which
// defines LLVMFuzzerInitialize and LLVMFuzzerTestOneInput.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv);
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace shine::test {

/// Runs every file of `dir` through the fuzz target, expecting 0 from each; returns the count.
inline int replay_fuzz_corpus(const std::filesystem::path& dir) {
  EXPECT_TRUE(std::filesystem::is_directory(dir)) << dir;
  EXPECT_EQ(LLVMFuzzerInitialize(nullptr, nullptr), 0);
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
  return seeds;
}

}  // namespace shine::test
