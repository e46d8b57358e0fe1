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
#include "support/fuzz_corpus.hpp"
#include "support/paths.hpp"

namespace {

TEST(LibsvmFuzzCorpus, EverySeedLoadsOrIsRejectedWithAMessage) {
  const int seeds = shine::test::replay_fuzz_corpus(shine::test::source_dir() /
                                                    "tests/fuzz/corpus/libsvm_reader");
  EXPECT_GE(seeds, 50);
}

}  // namespace
