// The reader's memory check (ReadOptions::memory_limit_bytes, MemoryLimitError), the system
// limits it reads (available_memory) and the consuming split that keeps the peak low.

#include "data/memory.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <utility>

#include "shine/data/libsvm_io.hpp"
#include "shine/data/split.hpp"

namespace shine::data {
namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;

// A fresh folder under the system's temporary folder, removed at the end of the test.
class TempDir {
 public:
  explicit TempDir(const std::string& name)
      : path_(fs::temp_directory_path() /
              ("shine-memory-" + name + "-" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

Dataset parse(const std::string& text, const ReadOptions& options) {
  std::istringstream input(text);
  return read_libsvm(input, "mem.svm", options);
}

MemoryLimitError parse_memory_error(const std::string& text, const ReadOptions& options) {
  try {
    parse(text, options);
  } catch (const MemoryLimitError& e) {
    return e;
  }
  ADD_FAILURE() << "no MemoryLimitError";
  return MemoryLimitError("none", 0, 0, 0, "none");
}

// n rows of `per_row` entries each, labels alternating.
std::string rows_text(int n, int per_row) {
  std::string text;
  for (int i = 0; i < n; ++i) {
    text += i % 2 == 0 ? "+1" : "-1";
    for (int j = 1; j <= per_row; ++j) {
      text += ' ';
      text += std::to_string(j);
      text += ":0.5";
    }
    text += '\n';
  }
  return text;
}

// ---------------------------------------------------------------------------------------------
// The reader's check.

TEST(MemoryLimit, SmallLimitStopsTheReadWithAClearMessage) {
  ReadOptions options;
  options.memory_limit_bytes = 100;
  // 3 rows, 3 features, 4 non-zeros: 2·4·12 + (3 + 1 + 3 + 1)·4 + 3·8 = 152 bytes.
  const MemoryLimitError e = parse_memory_error("+1 1:1 3:2\n-1 2:1\n+1 1:4\n", options);
  EXPECT_EQ(e.file(), "mem.svm");
  EXPECT_EQ(e.needed_bytes(), 152U);
  EXPECT_EQ(e.available_bytes(), 100U);
  EXPECT_EQ(e.line(), 3);
  const std::string what = e.what();
  EXPECT_EQ(what,
            "mem.svm: not enough memory to load this file: its 3 rows, 3 features and 4 "
            "non-zeros need 152 bytes with the transpose shine stores, and 100 bytes is "
            "available (ReadOptions::memory_limit_bytes); use a smaller file (fewer rows: cut "
            "it by lines), or a machine with more memory");
}

TEST(MemoryLimit, TheLimitIsTheDatasetFootprint) {
  const std::string text = "+1 1:1 3:2\n-1 2:1\n+1 1:4\n";
  ReadOptions options;
  options.memory_limit_bytes = 152;  // exactly Dataset::memory_bytes() of the result
  const Dataset d = parse(text, options);
  EXPECT_EQ(d.memory_bytes(), 152U);
  options.memory_limit_bytes = 151;
  EXPECT_THROW(parse(text, options), MemoryLimitError);
}

TEST(MemoryLimit, IsARuntimeErrorNotAParseError) {
  ReadOptions options;
  options.memory_limit_bytes = 1;
  try {
    parse("+1 1:1\n", options);
    FAIL() << "no error";
  } catch (const ParseError&) {
    FAIL() << "a MemoryLimitError is not a ParseError";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("not enough memory"), std::string::npos);
  }
}

TEST(MemoryLimit, ForcedFeatureCountCountsTheTransposeRowPointers) {
  ReadOptions options;
  options.n_features = 50'000'000;  // 200 MB of row pointers for the transpose
  options.memory_limit_bytes = 100'000'000;
  const MemoryLimitError e = parse_memory_error("+1 1:1\n", options);
  EXPECT_GT(e.needed_bytes(), 200'000'000U);
  EXPECT_NE(std::string(e.what()).find("50,000,000 features"), std::string::npos) << e.what();
}

TEST(MemoryLimit, StopsEarlyInALargeFile) {
  // 40,000 rows × 20 entries = 800,000 non-zeros (about 19 MB once loaded) against a 4 MB limit:
  // the periodic check stops the read long before the end of the file.
  const std::string text = rows_text(40'000, 20);
  ReadOptions options;
  options.memory_limit_bytes = 4'000'000;
  const MemoryLimitError e = parse_memory_error(text, options);
  EXPECT_GT(e.needed_bytes(), 4'000'000U);
  EXPECT_LT(e.needed_bytes(), 19'000'000U);
  EXPECT_GT(e.line(), 0);
  EXPECT_LT(e.line(), 40'000);
  const std::string what = e.what();
  EXPECT_NE(what.find("mem.svm: not enough memory to load this file: the first "),
            std::string::npos)
      << what;
  EXPECT_NE(what.find(" already need "), std::string::npos) << what;
  EXPECT_NE(what.find("3.8 MiB is available (ReadOptions::memory_limit_bytes)"), std::string::npos)
      << what;
  EXPECT_NE(what.find("a machine with more memory"), std::string::npos) << what;
}

TEST(MemoryLimit, LargestValueTurnsTheCheckOff) {
  ReadOptions options;
  options.memory_limit_bytes = std::numeric_limits<std::uint64_t>::max();
  EXPECT_EQ(parse(rows_text(100, 3), options).nnz(), 300);
}

TEST(MemoryLimit, AutomaticLimitReadsSmallFiles) {
  // Default (0): the memory the system has; a small file fits.
  EXPECT_EQ(parse(rows_text(1000, 5), {}).nnz(), 5000);
}

TEST(MemoryLimit, NamesThePathOfAFile) {
  TempDir dir("path");
  const fs::path file = dir.path() / "small.svm";
  write(file, "+1 1:1\n-1 2:1\n");
  ReadOptions options;
  options.memory_limit_bytes = 10;
  try {
    read_libsvm(file, options);
    FAIL() << "no error";
  } catch (const MemoryLimitError& e) {
    EXPECT_EQ(e.file(), file.string());
    EXPECT_EQ(std::string(e.what()).rfind(file.string() + ": not enough memory", 0), 0U)
        << e.what();
  }
}

// ---------------------------------------------------------------------------------------------
// available_memory.

TEST(AvailableMemory, SystemValuesAreSane) {
  const AvailableMemory memory = available_memory();
  ASSERT_TRUE(memory.system.has_value()) << "no MemAvailable in /proc/meminfo";
  EXPECT_GT(*memory.system, std::uint64_t{16} << 20);  // more than 16 MiB free
  EXPECT_LT(*memory.system, std::uint64_t{1} << 50);   // less than 1 PiB
  if (memory.cgroup) {
    EXPECT_LT(*memory.cgroup, std::uint64_t{1} << 62);
  }
  EXPECT_LE(memory.bytes(), *memory.system);
  EXPECT_GT(memory.bytes(), 0U);
  EXPECT_NE(memory.limited_by(), "no known limit");
}

TEST(AvailableMemory, MinimumOfTheKnownLimits) {
  AvailableMemory memory;
  EXPECT_EQ(memory.bytes(), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(memory.limited_by(), "no known limit");
  memory.system = 8 * kGiB;
  memory.cgroup = 2 * kGiB;
  EXPECT_EQ(memory.bytes(), 2 * kGiB);
  EXPECT_EQ(memory.limited_by(), "the cgroup memory limit");
  memory.address_space = kGiB;
  EXPECT_EQ(memory.bytes(), kGiB);
  EXPECT_EQ(memory.limited_by(), "RLIMIT_AS (ulimit -v)");
  memory.address_space.reset();
  memory.cgroup.reset();
  EXPECT_EQ(memory.limited_by(), "MemAvailable in /proc/meminfo");
}

TEST(AvailableMemory, CgroupV2LimitMinusUsageWithoutPageCache) {
  TempDir dir("v2");
  MemorySources sources{dir.path() / "proc", dir.path() / "cgroup", false};
  write(sources.proc / "meminfo", "MemTotal:       16000000 kB\nMemAvailable:    8000000 kB\n");
  write(sources.proc / "self" / "cgroup", "0::/jobs/one\n");
  // The job: 3 GiB limit, 2 GiB used of which 1.5 GiB page cache -> 2.5 GiB free.
  write(sources.cgroup_root / "jobs" / "one" / "memory.max", std::to_string(3 * kGiB) + "\n");
  write(sources.cgroup_root / "jobs" / "one" / "memory.current", std::to_string(2 * kGiB) + "\n");
  write(sources.cgroup_root / "jobs" / "one" / "memory.stat",
        "anon 536870912\nfile " + std::to_string(3 * kGiB / 2) + "\n");
  // Its parent has no limit.
  write(sources.cgroup_root / "jobs" / "memory.max", "max\n");
  const AvailableMemory memory = available_memory(sources);
  ASSERT_TRUE(memory.system.has_value());
  EXPECT_EQ(*memory.system, std::uint64_t{8000000} * 1024);
  ASSERT_TRUE(memory.cgroup.has_value());
  EXPECT_EQ(*memory.cgroup, 5 * kGiB / 2);
  EXPECT_FALSE(memory.address_space.has_value());
  EXPECT_EQ(memory.bytes(), 5 * kGiB / 2);

  // A parent's tighter limit applies to its children.
  write(sources.cgroup_root / "jobs" / "memory.max", std::to_string(kGiB) + "\n");
  write(sources.cgroup_root / "jobs" / "memory.current", std::to_string(kGiB / 2) + "\n");
  EXPECT_EQ(available_memory(sources).cgroup, kGiB / 2);
}

TEST(AvailableMemory, CgroupV1AndAContainerWhosePathIsNotMounted) {
  TempDir dir("v1");
  MemorySources sources{dir.path() / "proc", dir.path() / "cgroup", false};
  write(sources.proc / "meminfo", "MemAvailable:    8000000 kB\n");
  write(sources.proc / "self" / "cgroup", "5:cpu,cpuacct:/\n4:memory:/docker/abc\n0::/\n");
  // The host path /docker/abc is not there: the mount point is the container's own cgroup.
  write(sources.cgroup_root / "memory" / "memory.limit_in_bytes", std::to_string(kGiB) + "\n");
  write(sources.cgroup_root / "memory" / "memory.usage_in_bytes", std::to_string(kGiB / 2) + "\n");
  write(sources.cgroup_root / "memory" / "memory.stat",
        "cache 1\ntotal_cache " + std::to_string(kGiB / 4) + "\n");
  EXPECT_EQ(available_memory(sources).cgroup, 3 * kGiB / 4);

  // No limit: v1 reports a huge number.
  write(sources.cgroup_root / "memory" / "memory.limit_in_bytes", "9223372036854771712\n");
  EXPECT_FALSE(available_memory(sources).cgroup.has_value());
}

TEST(AvailableMemory, MissingFilesAreNoLimit) {
  TempDir dir("missing");
  const MemorySources sources{dir.path() / "proc", dir.path() / "cgroup", false};
  const AvailableMemory memory = available_memory(sources);
  EXPECT_FALSE(memory.system.has_value());
  EXPECT_FALSE(memory.cgroup.has_value());
  EXPECT_EQ(memory.bytes(), std::numeric_limits<std::uint64_t>::max());
}

// ---------------------------------------------------------------------------------------------
// The consuming split gives the same parts as the copying one.

TEST(SplitConsuming, SamePartsAsTheCopyingSplit) {
  const Dataset source = parse(rows_text(200, 4) + "+1 7:1\n-1 9:2 10:3\n", {});
  const SplitOptions options{.train = 0.8, .validation = 0.1, .test = 0.1, .seed = 5};
  const Split copied = split_dataset(source, options);
  Dataset consumed_source = source;
  const Split consumed = split_dataset(std::move(consumed_source), options);
  EXPECT_EQ(consumed_source.rows(), 0);
  EXPECT_EQ(consumed_source.nnz(), 0);
  for (const auto& [a, b] : {std::pair{&copied.train, &consumed.train},
                             std::pair{&copied.validation, &consumed.validation},
                             std::pair{&copied.test, &consumed.test}}) {
    EXPECT_EQ(a->name, b->name);
    EXPECT_EQ(a->features(), b->features());
    EXPECT_TRUE(a->X.isApprox(b->X));
    EXPECT_TRUE(a->Xt.isApprox(b->Xt));
    EXPECT_EQ(a->y, b->y);
    EXPECT_EQ(a->labels.positive, b->labels.positive);
    EXPECT_NO_THROW(b->validate());
  }
}

TEST(SplitConsuming, AnEmptyPartThrowsBeforeTouchingTheSource) {
  Dataset source = parse(rows_text(5, 2), {});
  EXPECT_THROW(split_dataset(std::move(source), {.train = 0.9, .validation = 0.05, .test = 0.05}),
               std::invalid_argument);
  EXPECT_EQ(source.rows(), 5);  // NOLINT(bugprone-use-after-move): documented to stay intact
  EXPECT_EQ(source.nnz(), 10);
}

}  // namespace
}  // namespace shine::data
