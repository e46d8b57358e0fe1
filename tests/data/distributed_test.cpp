// A dataset spread by rows over ranks (threads here, tests/support/thread_communicator.hpp): the
// parts read from byte ranges of a file are the whole file's rows, once each, in order, with its
// columns and label mapping; errors are the same on every rank; the split of the parts holds the
// rows split_dataset picks.
#include "shine/data/distributed.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "shine/data/libsvm_io.hpp"
#include "shine/data/split.hpp"
#include "support/random_problems.hpp"
#include "support/thread_communicator.hpp"

namespace shine::data {
namespace {

namespace fs = std::filesystem;

class TempFile {
 public:
  TempFile(const std::string& name, const std::string& text)
      : path_(fs::temp_directory_path() /
              ("shine-distributed-" + std::to_string(::getpid()) + "-" + name)) {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out << text;
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    std::error_code ignored;
    fs::remove(path_, ignored);
  }
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// 60 rows labelled 0 then 1 (so that a part may see one class only), with comments, blank
// lines, CRLF ends, unsorted indices and the largest index on the last row.
std::string sample_text() {
  std::ostringstream text;
  text << "# a comment line\n";
  for (int i = 0; i < 60; ++i) {
    text << (i < 30 ? 0 : 1) << ' ' << i % 7 + 2 << ':' << 0.5 + i << " 1:" << i % 3;
    if (i == 59) text << " 41:2.5";
    text << (i % 11 == 0 ? "  # trailing\r\n" : "\n");
    if (i % 13 == 0) text << '\n';
  }
  return text.str();
}

// The rows [first, first + part.rows()) of `whole` equal `part`, and the shapes agree.
void expect_rows_equal(const Dataset& whole, Index first, const Dataset& part) {
  ASSERT_EQ(part.features(), whole.features());
  ASSERT_LE(first + part.rows(), whole.rows());
  EXPECT_EQ(part.labels.negative, whole.labels.negative);
  EXPECT_EQ(part.labels.positive, whole.labels.positive);
  for (Index i = 0; i < part.rows(); ++i) {
    EXPECT_EQ(part.y[i], whole.y[first + i]) << "row " << first + i;
    const SparseMatrix a = part.X.row(i);
    const SparseMatrix b = whole.X.row(first + i);
    EXPECT_EQ(a.nonZeros(), b.nonZeros()) << "row " << first + i;
    EXPECT_EQ((a - b).norm(), 0.0) << "row " << first + i;
  }
}

class ReadPart : public testing::TestWithParam<int> {};

TEST_P(ReadPart, EveryRowOnceInFileOrderWithTheWholeFilesColumnsAndLabels) {
  const int ranks = GetParam();
  const TempFile file("rows.svm", sample_text());
  const Dataset whole = read_libsvm(file.path());
  ASSERT_EQ(whole.rows(), 60);
  std::vector<Index> rows(static_cast<std::size_t>(ranks));
  std::mutex mutex;
  test::run_ranks(ranks, [&](const core::Communicator& communicator) {
    const DatasetPart part = read_libsvm_part(file.path(), communicator);
    const std::lock_guard lock(mutex);
    EXPECT_EQ(part.data.communicator, &communicator);
    EXPECT_EQ(part.total_rows, 60);
    expect_rows_equal(whole, part.first_row, part.data);
    rows[static_cast<std::size_t>(communicator.rank())] = part.data.rows();
  });
  Index total = 0;
  for (const Index n : rows)
    total += n;
  EXPECT_EQ(total, 60);
}

INSTANTIATE_TEST_SUITE_P(Ranks, ReadPart, testing::Values(1, 2, 3, 4, 7));

TEST(ReadPart, MoreRanksThanLinesLeavesSomePartsEmpty) {
  const TempFile file("three.svm", "+1 1:1\n-1 2:1\n+1 3:1\n");
  test::run_ranks(5, [&](const core::Communicator& communicator) {
    const DatasetPart part = read_libsvm_part(file.path(), communicator);
    EXPECT_EQ(part.total_rows, 3);
    EXPECT_EQ(part.data.features(), 3);
    EXPECT_LE(part.data.rows(), 1);
  });
}

TEST(ReadPart, AMalformedLineIsReportedByEveryRankWithItsLineInTheWholeFile) {
  std::string text = sample_text();
  // Line 50 of the file gets a bad index.
  std::size_t at = 0;
  for (int line = 1; line < 50; ++line)
    at = text.find('\n', at) + 1;
  text.insert(at, "1 0:3\n");
  const TempFile file("bad.svm", text);
  int where = 0;
  try {
    (void)read_libsvm(file.path());
  } catch (const ParseError& e) {
    where = static_cast<int>(e.line());
  }
  ASSERT_EQ(where, 50);
  std::mutex mutex;
  int failures = 0;
  test::run_ranks(3, [&](const core::Communicator& communicator) {
    try {
      (void)read_libsvm_part(file.path(), communicator);
    } catch (const ParseError& e) {
      const std::lock_guard lock(mutex);
      EXPECT_EQ(e.line(), 50) << e.what();
      EXPECT_NE(std::string(e.what()).find("bad.svm:50:"), std::string::npos) << e.what();
      ++failures;
    }
  });
  EXPECT_EQ(failures, 3);
}

TEST(ReadPart, AnIndexBeyondAForcedCountKeepsItsTypeOnEveryRank) {
  const TempFile file("wide.svm", "1 1:1\n-1 2:1\n1 1:1\n-1 2:1\n1 3:1 9:1\n-1 2:1\n");
  ReadOptions forced;
  forced.n_features = 4;
  int failures = 0;
  std::mutex mutex;
  test::run_ranks(3, [&](const core::Communicator& communicator) {
    try {
      (void)read_libsvm_part(file.path(), communicator, forced);
    } catch (const FeatureBeyondCountError& e) {
      const std::lock_guard lock(mutex);
      EXPECT_EQ(e.index(), 9);
      EXPECT_EQ(e.limit(), 4);
      EXPECT_EQ(e.line(), 5) << e.what();
      EXPECT_EQ(e.column(), 7) << e.what();
      ++failures;
    }
  });
  EXPECT_EQ(failures, 3);
}

TEST(ReadPart, AMissingFileIsAnErrorOnEveryRank) {
  int failures = 0;
  std::mutex mutex;
  test::run_ranks(2, [&](const core::Communicator& communicator) {
    try {
      (void)read_libsvm_part("/nonexistent/shine.svm", communicator);
    } catch (const std::runtime_error& e) {
      const std::lock_guard lock(mutex);
      EXPECT_NE(std::string(e.what()).find("cannot open"), std::string::npos) << e.what();
      ++failures;
    }
  });
  EXPECT_EQ(failures, 2);
}

TEST(ReadPart, ThreeLabelsAcrossThePartsAreAnError) {
  const TempFile file("three-classes.svm", "1 1:1\n1 1:1\n2 1:1\n2 1:1\n3 1:1\n3 1:1\n");
  int failures = 0;
  std::mutex mutex;
  test::run_ranks(3, [&](const core::Communicator& communicator) {
    try {
      (void)read_libsvm_part(file.path(), communicator);
    } catch (const ParseError& e) {
      const std::lock_guard lock(mutex);
      EXPECT_NE(std::string(e.what()).find("more than two labels"), std::string::npos);
      ++failures;
    }
  });
  EXPECT_EQ(failures, 3);
}

TEST(ReadPart, ACompressedFileIsRefusedWithSeveralRanks) {
  const TempFile file("compressed.svm.gz", std::string("\x1f\x8b\x08\x00\x00\x00", 6));
  int failures = 0;
  std::mutex mutex;
  test::run_ranks(2, [&](const core::Communicator& communicator) {
    try {
      (void)read_libsvm_part(file.path(), communicator);
    } catch (const std::invalid_argument& e) {
      const std::lock_guard lock(mutex);
      EXPECT_NE(std::string(e.what()).find("decompress it first"), std::string::npos);
      ++failures;
    }
  });
  EXPECT_EQ(failures, 2);
}

class SplitPart : public testing::TestWithParam<std::tuple<int, bool>> {};

TEST_P(SplitPart, HoldsTheRowsSplitDatasetPicks) {
  const auto [ranks, stratify] = GetParam();
  const Dataset whole = test::random_dataset(203, 12, 0.3, 5);
  const SplitOptions options{
      .train = 0.8, .validation = 0.15, .test = 0.05, .seed = 9, .stratify = stratify};
  const Split reference = split_dataset(whole, options);
  std::vector<Index> counts(static_cast<std::size_t>(3 * ranks));
  std::mutex mutex;
  test::run_ranks(ranks, [&](const core::Communicator& communicator) {
    const DatasetPart part = rows_of_rank(whole, communicator);
    const Split split = split_part(part, options);
    const std::lock_guard lock(mutex);
    const auto r = static_cast<std::size_t>(communicator.rank());
    counts[3 * r] = split.train.rows();
    counts[3 * r + 1] = split.validation.rows();
    counts[3 * r + 2] = split.test.rows();
    EXPECT_EQ(split.train.communicator, &communicator);
    EXPECT_EQ(split.validation.communicator, &communicator);
  });
  // Each rank's rows of a part follow the earlier ranks' rows of it.
  test::run_ranks(ranks, [&](const core::Communicator& communicator) {
    const DatasetPart part = rows_of_rank(whole, communicator);
    const Split split = split_part(part, options);
    const auto r = static_cast<std::size_t>(communicator.rank());
    Index first[3] = {0, 0, 0};
    for (std::size_t q = 0; q < r; ++q) {
      for (std::size_t k = 0; k < 3; ++k)
        first[k] += counts[3 * q + k];
    }
    const std::lock_guard lock(mutex);
    expect_rows_equal(reference.train, first[0], split.train);
    expect_rows_equal(reference.validation, first[1], split.validation);
    expect_rows_equal(reference.test, first[2], split.test);
  });
  Index train = 0;
  for (int r = 0; r < ranks; ++r)
    train += counts[static_cast<std::size_t>(3 * r)];
  EXPECT_EQ(train, reference.train.rows());
}

TEST_P(SplitPart, KFoldPartsHoldTheRowsKFoldSplitPicks) {
  const auto [ranks, stratify] = GetParam();
  const Dataset whole = test::random_dataset(97, 8, 0.4, 6);
  const KFoldOptions options{.folds = 4, .seed = 2, .stratify = stratify};
  const std::vector<Split> reference = kfold_split(whole, options);
  // Each rank's rows of a fold's part follow the earlier ranks' rows of it: gathered in turn.
  std::vector<std::vector<Index>> counts(static_cast<std::size_t>(ranks));
  std::mutex mutex;
  for (int turn = 0; turn < 2; ++turn) {
    test::run_ranks(ranks, [&](const core::Communicator& communicator) {
      const DatasetPart part = rows_of_rank(whole, communicator);
      const auto [first, total] = row_offsets(part.data);
      EXPECT_EQ(first, part.first_row);
      EXPECT_EQ(total, part.total_rows);
      const std::vector<Split> folds = kfold_part(part, options);
      const auto r = static_cast<std::size_t>(communicator.rank());
      const std::lock_guard lock(mutex);
      ASSERT_EQ(folds.size(), 4U);
      if (turn == 0) {
        for (const Split& fold : folds) {
          counts[r].push_back(fold.train.rows());
          counts[r].push_back(fold.validation.rows());
        }
        return;
      }
      for (std::size_t j = 0; j < folds.size(); ++j) {
        Index train_first = 0, validation_first = 0;
        for (std::size_t q = 0; q < r; ++q) {
          train_first += counts[q][2 * j];
          validation_first += counts[q][2 * j + 1];
        }
        expect_rows_equal(reference[j].train, train_first, folds[j].train);
        expect_rows_equal(reference[j].validation, validation_first, folds[j].validation);
        EXPECT_EQ(folds[j].train.communicator, &communicator);
      }
    });
  }
}

INSTANTIATE_TEST_SUITE_P(RanksAndStratification, SplitPart,
                         testing::Combine(testing::Values(1, 2, 3), testing::Bool()));

}  // namespace
}  // namespace shine::data
