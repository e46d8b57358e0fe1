#include "shine/data/libsvm_io.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "support/paths.hpp"

namespace shine::data {
namespace {

namespace fs = std::filesystem;

// The reader's block size. Tests that aim a token at a block boundary use it; with another size
// they still pass, with less coverage.
constexpr std::size_t kBlock = std::size_t{1} << 20;

// ---------------------------------------------------------------------------------------------
// Helpers.

Dataset parse(const std::string& text, const ReadOptions& options = {},
              ReadReport* report = nullptr) {
  std::istringstream input(text);
  return read_libsvm(input, "mem.svm", options, report);
}

// Parses `text`, which must fail, and returns the error.
ParseError parse_error(const std::string& text, const ReadOptions& options = {}) {
  try {
    parse(text, options);
  } catch (const ParseError& e) {
    return e;
  }
  ADD_FAILURE() << "no ParseError for:\n" << text.substr(0, 200);
  return ParseError("none", -1, -1, "no error");
}

// Expects a ParseError at (line, column) whose problem contains `phrase`.
void expect_error(const std::string& text, std::int64_t line, std::int64_t column,
                  const std::string& phrase, const ReadOptions& options = {}) {
  const ParseError e = parse_error(text, options);
  EXPECT_EQ(e.file(), "mem.svm");
  EXPECT_EQ(e.line(), line) << e.what();
  EXPECT_EQ(e.column(), column) << e.what();
  EXPECT_NE(e.problem().find(phrase), std::string::npos)
      << "expected '" << phrase << "' in: " << e.what();
  const std::string prefix =
      "mem.svm:" + std::to_string(line) + ":" + std::to_string(column) + ": ";
  EXPECT_EQ(std::string(e.what()), prefix + e.problem());
}

std::string shortest(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return {buffer, result.ptr};
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

// A comment line of exactly `length` bytes, its newline included.
std::string comment_line(std::size_t length) {
  std::string line(length, 'x');
  line.front() = '#';
  line.back() = '\n';
  return line;
}

bool have_tool(const std::string& tool) {
  return std::system(("command -v " + tool + " > /dev/null 2>&1").c_str()) == 0;
}

// Runs `tool -c in > out` (xz, bzip2, gzip) or `tool -dc` to decompress.
void run_tool(const std::string& tool, const std::string& flags, const fs::path& in,
              const fs::path& out) {
  const std::string command =
      tool + " " + flags + " '" + in.string() + "' > '" + out.string() + "' 2>/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

// Every stored value of X, bit for bit, with its row and column.
void expect_identical(const Dataset& a, const Dataset& b) {
  ASSERT_EQ(a.rows(), b.rows());
  ASSERT_EQ(a.features(), b.features());
  ASSERT_EQ(a.nnz(), b.nnz());
  for (Index i = 0; i <= a.rows(); ++i) {
    ASSERT_EQ(a.X.outerIndexPtr()[i], b.X.outerIndexPtr()[i]) << "row pointer " << i;
  }
  for (Index k = 0; k < a.nnz(); ++k) {
    ASSERT_EQ(a.X.innerIndexPtr()[k], b.X.innerIndexPtr()[k]) << "entry " << k;
    ASSERT_EQ(std::memcmp(&a.X.valuePtr()[k], &b.X.valuePtr()[k], sizeof(double)), 0)
        << "entry " << k << ": " << a.X.valuePtr()[k] << " vs " << b.X.valuePtr()[k];
  }
  for (Index i = 0; i < a.rows(); ++i)
    ASSERT_EQ(a.y[i], b.y[i]) << "label " << i;
  EXPECT_EQ(a.labels.negative, b.labels.negative);
  EXPECT_EQ(a.labels.positive, b.labels.positive);
}

// A generated sample and a renderer with every accepted variation of the format, so that a
// parse can be checked against the truth.
struct Row {
  double label = 1.0;
  std::vector<std::pair<int, double>> entries;  // sorted by index, 0-based
};

std::vector<Row> random_rows(std::size_t count, int max_entries, int features, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> length(0, max_entries);
  std::uniform_real_distribution<double> value(-10.0, 10.0);
  std::vector<Row> rows(count);
  for (Row& row : rows) {
    row.label = (rng() % 2 == 0) ? 1.0 : -1.0;
    const int n = std::min(length(rng), features);
    std::vector<int> columns;
    while (static_cast<int>(columns.size()) < n) {
      const int c = static_cast<int>(rng() % static_cast<std::uint64_t>(features));
      if (std::find(columns.begin(), columns.end(), c) == columns.end()) columns.push_back(c);
    }
    std::sort(columns.begin(), columns.end());
    for (int c : columns) {
      double v = value(rng);
      switch (rng() % 6) {
        case 0:
          v = std::ldexp(v, -60);  // tiny: written in scientific notation
          break;
        case 1:
          v = std::round(v);  // integers, zero included
          break;
        default:
          break;
      }
      row.entries.emplace_back(c, v);
    }
  }
  return rows;
}

std::string render(const std::vector<Row>& rows, unsigned seed, bool variations) {
  std::mt19937 rng(seed);
  std::string text;
  const char* blanks[] = {" ", "  ", "\t", " \t "};
  for (const Row& row : rows) {
    if (variations && rng() % 17 == 0) text += (rng() % 2 == 0) ? "\n" : "# a comment line\n";
    if (variations && rng() % 11 == 0) text += "  ";
    text += row.label > 0 ? (variations && rng() % 2 ? "1" : "+1") : "-1";
    if (variations && rng() % 7 == 0) text += " qid:" + std::to_string(rng() % 1000);
    std::vector<std::pair<int, double>> entries = row.entries;
    if (variations && rng() % 5 == 0) std::shuffle(entries.begin(), entries.end(), rng);
    for (const auto& [c, v] : entries) {
      text += variations ? blanks[rng() % 4] : " ";
      text += std::to_string(c + 1) + ":" + (variations && v > 0 && rng() % 9 == 0 ? "+" : "") +
              shortest(v);
    }
    if (variations && rng() % 13 == 0) text += " \t";
    if (variations && rng() % 9 == 0) text += " # trailing comment 1:2 3:4";
    text += (variations && rng() % 3 == 0) ? "\r\n" : "\n";
  }
  return text;
}

void expect_matches(const Dataset& d, const std::vector<Row>& rows, Index features) {
  ASSERT_EQ(d.rows(), static_cast<Index>(rows.size()));
  ASSERT_EQ(d.features(), features);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto r = static_cast<Index>(i);
    ASSERT_EQ(d.y[r], rows[i].label) << "row " << i;
    const int begin = d.X.outerIndexPtr()[r];
    ASSERT_EQ(d.X.outerIndexPtr()[r + 1] - begin, static_cast<int>(rows[i].entries.size()))
        << "row " << i;
    for (std::size_t k = 0; k < rows[i].entries.size(); ++k) {
      ASSERT_EQ(d.X.innerIndexPtr()[begin + static_cast<int>(k)], rows[i].entries[k].first);
      ASSERT_EQ(d.X.valuePtr()[begin + static_cast<int>(k)], rows[i].entries[k].second);
    }
  }
}

// A fresh directory per test, removed afterwards.
class LibsvmFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() /
           ("shine-libsvm-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "-" + std::to_string(std::random_device{}()) + "-" + std::to_string(counter++));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  fs::path dir_;
};

// ---------------------------------------------------------------------------------------------
// Accepted forms.

TEST(LibsvmRead, ReadsPlusMinusLabelsAndValues) {
  ReadReport report;
  const Dataset d = parse("+1 1:0.5 3:2\n-1 2:-1.25\n", {}, &report);
  EXPECT_EQ(d.rows(), 2);
  EXPECT_EQ(d.features(), 3);
  EXPECT_EQ(d.nnz(), 3);
  EXPECT_EQ(d.y[0], 1.0);
  EXPECT_EQ(d.y[1], -1.0);
  EXPECT_EQ(d.X.coeff(0, 0), 0.5);
  EXPECT_EQ(d.X.coeff(0, 2), 2.0);
  EXPECT_EQ(d.X.coeff(1, 1), -1.25);
  EXPECT_TRUE(d.labels.is_identity());
  EXPECT_EQ(d.name, "mem.svm");
  EXPECT_EQ(report.compression, Compression::None);
  EXPECT_EQ(report.lines, 2);
  EXPECT_EQ(report.max_index, 3);
  EXPECT_EQ(report.dropped_entries, 0);
  EXPECT_EQ(report.text_bytes, 24U);
  EXPECT_NO_THROW(d.validate());
}

TEST(LibsvmRead, MapsAnyTwoNumericLabelsSmallerToNegative) {
  struct Case {
    std::string text;
    double negative, positive;
    std::vector<double> y;
  };
  const std::vector<Case> cases = {
      {"1 1:1\n0 1:1\n1 2:1\n", 0.0, 1.0, {1, -1, 1}},
      {"2 1:1\n1 1:1\n", 1.0, 2.0, {1, -1}},
      {"-1 1:1\n1 1:1\n", -1.0, 1.0, {-1, 1}},
      {"7 1:1\n-3.5 1:1\n", -3.5, 7.0, {1, -1}},
      {"+1 1:1\n1.0 1:1\n1e0 1:1\n-1 1:1\n", -1.0, 1.0, {1, 1, 1, -1}},  // one value, 3 spellings
  };
  for (const Case& c : cases) {
    const Dataset d = parse(c.text);
    EXPECT_EQ(d.labels.negative, c.negative) << c.text;
    EXPECT_EQ(d.labels.positive, c.positive) << c.text;
    ASSERT_EQ(d.y.size(), static_cast<Index>(c.y.size()));
    for (Index i = 0; i < d.y.size(); ++i)
      EXPECT_EQ(d.y[i], c.y[static_cast<std::size_t>(i)]);
  }
}

TEST(LibsvmRead, AcceptsASingleClassOnTheSideOfItsSign) {
  const Dataset positives = parse("+1 1:1\n1 2:1\n");
  EXPECT_EQ(positives.positives(), 2);
  EXPECT_TRUE(positives.labels.is_identity());
  const Dataset twos = parse("2 1:1\n");
  EXPECT_EQ(twos.positives(), 1);
  EXPECT_EQ(twos.labels.positive, 2.0);
  const Dataset zeros = parse("0 1:1\n0 1:2\n");
  EXPECT_EQ(zeros.positives(), 0);
  EXPECT_EQ(zeros.labels.negative, 0.0);
  EXPECT_EQ(zeros.labels.positive, 1.0);
  const Dataset negatives = parse("-1 1:1\n");
  EXPECT_EQ(negatives.positives(), 0);
  EXPECT_TRUE(negatives.labels.is_identity());
}

TEST(LibsvmRead, AppliesAForcedLabelMap) {
  ReadOptions options;
  options.labels = LabelMap{0.0, 1.0};
  const Dataset d = parse("1 1:1\n1 2:1\n", options);  // only positives: still 0 -> -1
  EXPECT_EQ(d.positives(), 2);
  EXPECT_EQ(d.labels.negative, 0.0);
  const Dataset e = parse("0 1:1\n", options);
  EXPECT_EQ(e.y[0], -1.0);
  options.labels = LabelMap{2.0, 1.0};  // a map may also invert the natural order
  const Dataset f = parse("1 1:1\n2 1:1\n", options);
  EXPECT_EQ(f.y[0], 1.0);
  EXPECT_EQ(f.y[1], -1.0);
}

TEST(LibsvmRead, SkipsCommentsBlankLinesAndQid) {
  ReadReport report;
  const std::string text =
      "# a header comment\n"
      "\n"
      "+1 qid:3 1:1 2:2 # trailing comment with 5:5 inside\n"
      "   \t \n"
      "-1 qid:4 3:3#glued comment\n"
      "# the end\n";
  const Dataset d = parse(text, {}, &report);
  EXPECT_EQ(d.rows(), 2);
  EXPECT_EQ(d.features(), 3);
  EXPECT_EQ(d.nnz(), 3);
  EXPECT_EQ(d.X.coeff(1, 2), 3.0);
  EXPECT_EQ(report.lines, 6);
}

TEST(LibsvmRead, AcceptsCrlfTabsTrailingBlanksAndNoFinalNewline) {
  const Dataset crlf = parse("+1 1:1 2:2\r\n-1 3:3\r\n");
  const Dataset tabs = parse("\t+1\t1:1  2:2 \t\n  -1 3:3 \t \n\n");
  const Dataset unterminated = parse("+1 1:1 2:2\n-1 3:3");
  expect_identical(crlf, tabs);
  expect_identical(crlf, unterminated);
  EXPECT_EQ(unterminated.X.coeff(1, 2), 3.0);
}

TEST(LibsvmRead, SortsUnsortedIndices) {
  const Dataset d = parse("+1 9:9 2:2 5:5 1:1\n-1 3:3 1:1\n");
  const int* col = d.X.innerIndexPtr();
  const double* val = d.X.valuePtr();
  EXPECT_EQ(std::vector<int>(col, col + 6), (std::vector<int>{0, 1, 4, 8, 0, 2}));
  EXPECT_EQ(std::vector<double>(val, val + 6), (std::vector<double>{1, 2, 5, 9, 1, 3}));
  EXPECT_NO_THROW(d.validate());
}

TEST(LibsvmRead, AcceptsEmptyRowsSignsAndNumberForms) {
  const Dataset d =
      parse("+1\n-1 1:+0.5 2:-1e-3 3:.25 4:1E2 5:0 6:-0 7:4.9e-324 8:1.7976931348623157e308\n");
  EXPECT_EQ(d.rows(), 2);
  EXPECT_EQ(d.X.outerIndexPtr()[1], 0);  // first row empty
  EXPECT_EQ(d.nnz(), 8);                 // explicit zeros are kept as written
  EXPECT_EQ(d.X.coeff(1, 0), 0.5);
  EXPECT_EQ(d.X.coeff(1, 1), -1e-3);
  EXPECT_EQ(d.X.coeff(1, 2), 0.25);
  EXPECT_EQ(d.X.coeff(1, 3), 100.0);
  EXPECT_EQ(d.X.coeff(1, 6), std::numeric_limits<double>::denorm_min());
  EXPECT_EQ(d.X.coeff(1, 7), std::numeric_limits<double>::max());
}

TEST(LibsvmRead, ForcedFeatureCountAlignsAndDropsWhenAsked) {
  ReadOptions options;
  options.n_features = 10;
  const Dataset wide = parse("+1 1:1 4:4\n-1 2:2\n", options);
  EXPECT_EQ(wide.features(), 10);
  EXPECT_EQ(wide.Xt.rows(), 10);

  options.n_features = 3;
  options.drop_extra_features = true;
  ReadReport report;
  const Dataset narrow = parse("+1 1:1 4:4 7:7\n-1 2:2 3:3 9:1\n", options, &report);
  EXPECT_EQ(narrow.features(), 3);
  EXPECT_EQ(narrow.nnz(), 3);
  EXPECT_EQ(report.dropped_entries, 3);
  EXPECT_EQ(report.max_index, 9);
  EXPECT_EQ(narrow.X.coeff(1, 2), 3.0);
}

TEST(LibsvmRead, CountsEachDroppedEntryOnceWhereverTheReadBlocksEnd) {
  // Lines long enough to span several 1 MiB read blocks, each with one entry beyond the forced
  // feature count whose value is long: some block ends inside such a value, and the entry is
  // then parsed again from the next block. A comment line of varying length moves the ends.
  const std::string line = "+1 1:1 9:1.25000000000000000\n";
  const int lines = 120000;
  for (int shift = 0; shift < 8; ++shift) {
    std::string text(1, '#');
    text.append(static_cast<std::size_t>(shift) * 3, 'x');
    text += '\n';
    for (int i = 0; i < lines; ++i)
      text += line;
    ReadOptions options;
    options.n_features = 2;
    options.drop_extra_features = true;
    ReadReport report;
    const Dataset d = parse(text, options, &report);
    EXPECT_EQ(d.rows(), lines);
    EXPECT_EQ(d.nnz(), lines);
    EXPECT_EQ(report.dropped_entries, lines) << "shift " << shift;
  }
}

TEST(LibsvmRead, NamesTheDataset) {
  EXPECT_EQ(parse("+1 1:1\n").name, "mem.svm");
  std::istringstream in("+1 1:1\n");
  EXPECT_EQ(read_libsvm(in, "some/dir/train.svm").name, "train.svm");
  ReadOptions options;
  options.name = "custom";
  EXPECT_EQ(parse("+1 1:1\n", options).name, "custom");
}

// Large generated text with every variation, read through many 1 MiB blocks: the result must be
// the generated truth whatever the block boundaries cut.
TEST(LibsvmRead, GeneratedTextAcrossManyBlocksMatchesTheTruth) {
  const auto rows = random_rows(20000, 20, 5000, 7);
  const std::string text = render(rows, 11, true);
  ASSERT_GT(text.size(), 3 * kBlock);
  ReadReport report;
  const Dataset d = parse(text, {}, &report);
  Index features = 0;
  for (const Row& r : rows) {
    if (!r.entries.empty()) features = std::max<Index>(features, r.entries.back().first + 1);
  }
  expect_matches(d, rows, features);
  EXPECT_EQ(report.text_bytes, text.size());
}

// A token, a CRLF and an error placed at every offset across the first block boundary.
TEST(LibsvmRead, EveryCutOfALineAtABlockBoundaryParsesAlike) {
  const std::string line = "+1 qid:12 5:1 123456:0.000123456789 777777:-2.5e-3 # c 1:2\r\n";
  const std::string last = "-1 3:4\n";
  for (std::size_t cut = 0; cut <= line.size(); ++cut) {
    // A comment line filling the block up to `cut` bytes before the end of the block.
    const std::size_t pad = kBlock - (line.size() - cut) - 1;
    std::string text = comment_line(pad + 1);
    text += line;
    text += last;
    const Dataset d = parse(text);
    ASSERT_EQ(d.rows(), 2) << cut;
    ASSERT_EQ(d.nnz(), 4) << cut;
    ASSERT_EQ(d.X.coeff(0, 123455), 0.000123456789) << cut;
    ASSERT_EQ(d.X.coeff(0, 777776), -2.5e-3) << cut;
    ASSERT_EQ(d.X.coeff(1, 2), 4.0) << cut;
  }
  const std::string bad = "+1 5:1 7:2x 8:1\n";
  for (std::size_t cut = 0; cut <= bad.size(); ++cut) {
    const std::size_t pad = kBlock - (bad.size() - cut) - 1;
    std::string text = comment_line(pad + 1);
    text += bad;
    const ParseError e = parse_error(text);
    ASSERT_EQ(e.line(), 2) << cut;
    ASSERT_EQ(e.column(), 11) << cut << ": " << e.problem();
  }
}

TEST(LibsvmRead, LinesAndCommentsLongerThanABlock) {
  Row wide;
  wide.label = -1.0;
  for (int c = 0; c < 150000; ++c)
    wide.entries.emplace_back(c * 3, 1.0 / (c + 1));
  Row narrow;
  narrow.entries = {{0, 1.0}};
  const std::vector<Row> rows = {narrow, wide, narrow};
  std::string text = comment_line(3 * kBlock);
  text += render(rows, 1, false);
  ASSERT_GT(text.size(), 5 * kBlock);
  const Dataset d = parse(text);
  expect_matches(d, rows, 3 * 149999 + 1);
}

// ---------------------------------------------------------------------------------------------
// Rejected forms: each message with its position.

TEST(LibsvmReject, AThirdLabelListsTheLabelsSoFar) {
  expect_error("+1 1:1\n-1 1:1\n3 1:1\n", 3, 1,
               "found a third label '3' (labels so far: -1, +1): shine handles binary "
               "classification only; map the labels to two classes first");
  expect_error("2 1:1\n0 1:1\n2 1:1\n  1 1:1\n", 4, 3,
               "found a third label '1' (labels so far: 0, 2)");
}

TEST(LibsvmReject, LabelProblems) {
  expect_error("+1 1:1\n1:0.5 2:1\n", 2, 1,
               "missing label: the line starts with the pair '1:0.5'; each sample line must "
               "begin with its label");
  expect_error("abc 1:1\n", 1, 1, "label 'abc' is not a number");
  expect_error("1x 1:1\n", 1, 1, "label '1x' is not a number");
  expect_error("+-1 1:1\n", 1, 1, "label '+-1' is not a number");
  expect_error("+1 1:1\nnan 1:1\n", 2, 1, "label 'nan' is not a finite number");
  expect_error("inf 1:1\n", 1, 1, "label 'inf' is not a finite number");
  expect_error("1e400 1:1\n", 1, 1, "label '1e400' is not a finite number");
  ReadOptions options;
  options.labels = LabelMap{-1.0, 1.0};
  expect_error("1 1:1\n0 1:1\n", 2, 1,
               "label '0' is neither of the expected labels (-1 -> -1, 1 -> +1)", options);
  // Typed, with the label as written, so that callers need not read the message.
  try {
    (void)parse("1 1:1\n 7.5 1:1\n", options);
    FAIL() << "accepted a label outside the mapping";
  } catch (const UnexpectedLabelError& e) {
    EXPECT_EQ(e.label(), "7.5");
    EXPECT_EQ(e.line(), 2);
    EXPECT_EQ(e.column(), 2);
  }
}

TEST(LibsvmReject, IndexProblems) {
  expect_error("+1 0:1\n", 1, 4, "index 0 is not allowed: LIBSVM indices start at 1");
  expect_error("+1 2:1 -5:1\n", 1, 8, "index -5 is not allowed: LIBSVM indices start at 1");
  expect_error("+1 3000000000:1\n", 1, 4,
               "index 3000000000 is too large: indices are limited to 2147483647");
  expect_error("+1 99999999999999999999:1\n", 1, 4,
               "index 99999999999999999999 is too large: indices are limited to 2147483647");
  // A stray huge index is refused before anything proportional to it is allocated.
  expect_error("+1 2000000000:1\n", 1, 4,
               "index 2000000000 exceeds ReadOptions::max_features = 67108864");
  ReadOptions forced;
  forced.n_features = 4;
  expect_error("+1 1:1\n-1 2:1 5:1\n", 2, 8,
               "index 5 is beyond the forced feature count 4 (ReadOptions::n_features)", forced);
  // Typed, with the index and the count, so that callers need not read the message.
  try {
    (void)parse("+1 1:1\n-1 2:1 7:1\n", forced);
    FAIL() << "accepted an index beyond the forced feature count";
  } catch (const FeatureBeyondCountError& e) {
    EXPECT_EQ(e.index(), 7);
    EXPECT_EQ(e.limit(), 4);
    EXPECT_EQ(e.line(), 2);
    EXPECT_EQ(e.column(), 8);
  }
  forced.drop_extra_features = true;
  expect_error("+1 3000000000:1\n", 1, 4, "index 3000000000 is too large", forced);
}

TEST(LibsvmReject, DuplicateIndexInARow) {
  expect_error("+1 1:1 2:1 2:3\n", 1, 12, "index 2 appears twice in this sample");
  expect_error("+1 5:1 2:1 5:2 3:1\n", 1, 12, "index 5 appears twice in this sample");
  expect_error("+1 1:1\n-1 9:1 2:1 9:2", 2, 12, "index 9 appears twice in this sample");
}

TEST(LibsvmReject, MalformedPairs) {
  expect_error("+1 1:1 12\n", 1, 8,
               "malformed pair '12': expected INDEX:VALUE, the ':' is missing");
  expect_error("+1 12:\n", 1, 4, "malformed pair '12:': the value after ':' is missing");
  expect_error("+1 12: 3\n", 1, 4, "malformed pair '12:': the value after ':' is missing");
  expect_error("+1 :3\n", 1, 4, "malformed pair ':3': the index before ':' is missing");
  expect_error("+1 1.5:3\n", 1, 4, "malformed pair '1.5:3': the index '1.5' is not a whole number");
  expect_error("+1 a:3\n", 1, 4, "the index 'a' is not a whole number");
  expect_error("+1 +3:3\n", 1, 4, "the index '+3' is not a whole number");
  expect_error("+1 1:2x\n", 1, 7,
               "malformed pair '1:2x': unexpected 'x' after the value; separate pairs with spaces");
  expect_error("+1 1:2:3\n", 1, 7, "unexpected ':' after the value");
  expect_error("+1 1:0x10\n", 1, 7, "unexpected 'x' after the value");
  expect_error("+1 1:abc\n", 1, 6, "malformed pair '1:abc': the value 'abc' is not a number");
  expect_error("+1 1:+-2\n", 1, 6, "the value '+-2' is not a number");
  expect_error("+1 qid:x 1:1\n", 1, 4, "malformed qid 'qid:x': expected qid:N");
}

TEST(LibsvmReject, NonFiniteAndOutOfRangeValues) {
  for (const std::string value :
       {"nan", "NaN", "-nan", "inf", "-inf", "infinity", "1e400", "-1e400", "1e-400"}) {
    expect_error("+1 1:1 2:" + value + "\n", 1, 10,
                 "value '" + value + "' at index 2 is not a finite double");
  }
}

TEST(LibsvmReject, EmptyFilesAndFilesWithoutSamples) {
  expect_error("", 0, 0, "the file is empty");
  expect_error("# only a comment\n\n   \n", 0, 0, "no samples: all 3 lines are blank or comments");
}

TEST(LibsvmReject, ATokenLongerThanTheLimitAcrossABlock) {
  // A token that runs over the block boundary is carried to the next block, up to a limit.
  std::string text = comment_line(kBlock - 5000);
  text += "+1 ";
  text.append(10000, '7');
  text += ":1\n";
  expect_error(text, 2, 4,
               "a token of more than 4096 characters without a space: no label, INDEX:VALUE pair "
               "or qid is that long");
  // Below the limit, the same token is read whole and its real problem reported.
  text = comment_line(kBlock - 1000);
  text += "+1 ";
  text.append(3000, '7');
  text += "x:1\n";
  expect_error(text, 2, 4, "is not a whole number");
}

TEST(LibsvmReject, ZstdIsNamed) {
  const std::string zstd_magic = std::string("\x28\xB5\x2F\xFD", 4) + "rest";
  expect_error(zstd_magic, 0, 0, "zstd-compressed input is not supported");
}

TEST(LibsvmReject, OptionsAreValidated) {
  ReadOptions options;
  options.n_features = -1;
  EXPECT_THROW(parse("+1 1:1\n", options), std::invalid_argument);
  try {
    options.validate();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("ReadOptions::n_features = -1"), std::string::npos);
  }
  options = {};
  options.max_features = 0;
  EXPECT_THROW(options.validate(), std::invalid_argument);
  options = {};
  options.labels = LabelMap{1.0, 1.0};
  EXPECT_THROW(options.validate(), std::invalid_argument);
  options.labels = LabelMap{std::nan(""), 1.0};
  EXPECT_THROW(options.validate(), std::invalid_argument);
}

// Random damage to a valid text: the reader either reads it or throws ParseError; it never crashes,
// hangs or throws anything else (run under the sanitizers too).
TEST(LibsvmReject, RandomlyDamagedInputNeverCrashes) {
  const std::string valid =
      "+1 qid:1 1:0.5 3:-2e-3 10:7 # c\n-1 2:1 4:+3.25\r\n\n# x\n0 5:1e10 1:1\n+1 6:.5\n";
  const std::string alphabet = std::string("0123456789:+-.eE#  \t\r\n\nqidnaf") + '\0' + '\xff';
  std::mt19937 rng(1234);
  int accepted = 0;
  for (int trial = 0; trial < 4000; ++trial) {
    std::string text = valid;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits; ++k) {
      const std::size_t at = rng() % text.size();
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0:
          text[at] = c;
          break;
        case 1:
          text.insert(at, 1, c);
          break;
        default:
          text.erase(at, 1);
          break;
      }
    }
    try {
      const Dataset d = parse(text);
      d.validate();
      ++accepted;
    } catch (const ParseError&) {
    }
  }
  EXPECT_GT(accepted, 0);
}

// ---------------------------------------------------------------------------------------------
// Files: compression, detection by content, writer, round trips.

TEST_F(LibsvmFiles, RoundTripIsBitIdentical) {
  std::mt19937_64 rng(42);
  std::vector<Row> rows = random_rows(300, 30, 200, 3);
  // Awkward doubles: random bit patterns (finite only), extremes, subnormals, negative zero.
  const std::vector<double> special = {std::numeric_limits<double>::max(),
                                       std::numeric_limits<double>::lowest(),
                                       std::numeric_limits<double>::min(),
                                       std::numeric_limits<double>::denorm_min(),
                                       -0.0,
                                       0.1,
                                       1.0 / 3.0,
                                       123456789012345678.0};
  std::size_t s = 0;
  for (Row& row : rows) {
    for (auto& entry : row.entries) {
      if (rng() % 3 == 0) {
        double v = 0.0;
        do {
          const std::uint64_t bits = rng();
          std::memcpy(&v, &bits, sizeof v);
        } while (!std::isfinite(v));
        entry.second = v;
      } else if (rng() % 5 == 0) {
        entry.second = special[s++ % special.size()];
      }
    }
  }
  const Dataset original = parse(render(rows, 5, false));
  const fs::path path = dir_ / "round.svm";
  write_libsvm(original, path);
  const Dataset again = read_libsvm(path);
  expect_identical(original, again);
  std::ostringstream text;
  write_libsvm(original, text);
  EXPECT_EQ(text.str(), read_file(path));
}

TEST_F(LibsvmFiles, OriginalLabelsAreWrittenBack) {
  const Dataset d = parse("1 1:1\n0 2:0.5\n");
  std::ostringstream text;
  write_libsvm(d, text);
  EXPECT_EQ(text.str(), "1 1:1\n0 2:0.5\n");
  std::ostringstream signs;
  WriteOptions options;
  options.original_labels = false;
  write_libsvm(d, signs, options);
  EXPECT_EQ(signs.str(), "+1 1:1\n-1 2:0.5\n");
  const Dataset pm = parse("-1 1:1\n+1 2:0.5\n");
  std::ostringstream pm_text;
  write_libsvm(pm, pm_text);
  EXPECT_EQ(pm_text.str(), "-1 1:1\n+1 2:0.5\n");
  const fs::path path = dir_ / "labels.svm";
  write_libsvm(d, path);
  const Dataset again = read_libsvm(path);
  expect_identical(d, again);
  EXPECT_EQ(again.labels.to_string(), "0 -> -1, 1 -> +1");
}

TEST_F(LibsvmFiles, CompressedByToolsReadsLikePlain) {
  const std::string text = render(random_rows(3000, 25, 800, 9), 13, true);
  const fs::path plain = dir_ / "data.svm";
  write_file(plain, text);
  ReadReport plain_report;
  const Dataset expected = read_libsvm(plain, {}, &plain_report);
  EXPECT_EQ(plain_report.compression, Compression::None);
  struct Tool {
    std::string name;
    Compression compression;
  };
  for (const Tool& tool : {Tool{"xz", Compression::Xz}, Tool{"bzip2", Compression::Bzip2},
                           Tool{"gzip", Compression::Gzip}}) {
    if (!have_tool(tool.name)) {
      std::cout << "[   INFO   ] " << tool.name << " not installed: not checked\n";
      continue;
    }
    // Named .txt on purpose: compression is detected from the content.
    const fs::path packed = dir_ / ("data-" + tool.name + ".txt");
    run_tool(tool.name, "-c", plain, packed);
    for (const bool background : {true, false}) {
      ReadOptions options;
      options.decompress_in_background = background;
      ReadReport report;
      const Dataset d = read_libsvm(packed, options, &report);
      EXPECT_EQ(report.compression, tool.compression) << tool.name;
      EXPECT_EQ(report.text_bytes, text.size()) << tool.name;
      EXPECT_EQ(report.lines, plain_report.lines) << tool.name;
      expect_identical(expected, d);
    }
  }
}

TEST_F(LibsvmFiles, WriterCompressesByExtensionOrWhenForced) {
  const Dataset d = parse(render(random_rows(500, 10, 100, 4), 2, false));
  std::ostringstream plain_text;
  write_libsvm(d, plain_text);
  struct Case {
    std::string file;
    std::optional<Compression> forced;
    Compression expected;
    std::string tool;
  };
  const std::vector<Case> cases = {
      {"a.svm.xz", std::nullopt, Compression::Xz, "xz"},
      {"a.svm.bz2", std::nullopt, Compression::Bzip2, "bzip2"},
      {"a.svm.gz", std::nullopt, Compression::Gzip, "gzip"},
      {"A.SVM.GZ", std::nullopt, Compression::Gzip, "gzip"},
      {"a.svm", std::nullopt, Compression::None, ""},
      {"forced.txt", Compression::Xz, Compression::Xz, "xz"},
      {"forced-plain.xz", Compression::None, Compression::None, ""},
  };
  for (const Case& c : cases) {
    WriteOptions options;
    options.compression = c.forced;
    const fs::path path = dir_ / c.file;
    write_libsvm(d, path, options);
    ReadReport report;
    const Dataset again = read_libsvm(path, {}, &report);
    EXPECT_EQ(report.compression, c.expected) << c.file;
    expect_identical(d, again);
    if (!c.tool.empty() && have_tool(c.tool)) {  // the standard tool reads our output too
      const fs::path unpacked = dir_ / (c.file + ".out");
      run_tool(c.tool, "-dc", path, unpacked);
      EXPECT_EQ(read_file(unpacked), plain_text.str()) << c.file;
    }
  }
  for (const fs::path& entry : fs::directory_iterator(dir_)) {
    EXPECT_EQ(entry.filename().string().find(".tmp"), std::string::npos) << entry;
  }
}

TEST_F(LibsvmFiles, AFailedWriteLeavesTheOldFileIntact) {
  const fs::path path = dir_ / "keep.svm";
  write_file(path, "old content\n");
  Dataset bad = parse("+1 1:1\n-1 2:2\n+1 1:3\n");
  bad.X.valuePtr()[2] = std::numeric_limits<double>::quiet_NaN();  // fails on the last row
  try {
    write_libsvm(bad, path);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot write '" + path.string() + "'"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("is not finite"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read_file(path), "old content\n");
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir_))
    ++files;
  EXPECT_EQ(files, 1U);  // no temporary left behind

  const fs::path missing_dir = dir_ / "no" / "such" / "dir" / "out.svm";
  try {
    write_libsvm(parse("+1 1:1\n"), missing_dir);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(missing_dir.string()), std::string::npos) << e.what();
  }
}

TEST_F(LibsvmFiles, TruncatedOrCorruptCompressedStreamsAreReported) {
  const Dataset d = parse(render(random_rows(4000, 20, 500, 8), 6, false));
  for (const std::string ext : {"xz", "bz2", "gz"}) {
    const fs::path path = dir_ / ("good.svm." + ext);
    write_libsvm(d, path);
    const std::string bytes = read_file(path);
    for (const double fraction : {0.05, 0.5, 0.9}) {
      const auto keep = static_cast<std::size_t>(fraction * static_cast<double>(bytes.size()));
      for (const std::size_t size : {keep, bytes.size() - 1}) {
        const fs::path cut = dir_ / ("cut.svm." + ext);
        write_file(cut, bytes.substr(0, size));
        try {
          read_libsvm(cut);
          ADD_FAILURE() << ext << " truncated to " << size << " bytes was accepted";
        } catch (const ParseError& e) {
          EXPECT_EQ(e.file(), cut.string());
          EXPECT_NE(e.problem().find("stream is corrupt or truncated"), std::string::npos)
              << e.what();
        }
      }
    }
    std::string damaged = bytes;
    for (std::size_t k = bytes.size() / 3; k < bytes.size() / 3 + 16; ++k)
      damaged[k] ^= 0x5A;
    const fs::path bad = dir_ / ("bad.svm." + ext);
    write_file(bad, damaged);
    // Damage is found by the decompressor (ParseError naming the stream) or, when the damaged
    // bytes still decode (gzip checks its CRC only at the end), by the parser: a ParseError either
    // way, never a crash or a silent success.
    EXPECT_THROW(read_libsvm(bad), ParseError) << ext;
  }
}

TEST_F(LibsvmFiles, OpenErrorsNameThePath) {
  const fs::path missing = dir_ / "missing.svm";
  try {
    read_libsvm(missing);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot open '" + missing.string() + "'"),
              std::string::npos);
  }
  EXPECT_THROW(read_libsvm(dir_), std::runtime_error);  // a directory
  const fs::path empty = dir_ / "empty.svm";
  write_file(empty, "");
  try {
    read_libsvm(empty);
    FAIL() << "no error";
  } catch (const ParseError& e) {
    EXPECT_EQ(e.file(), empty.string());
    EXPECT_EQ(std::string(e.what()), empty.string() + ":0:0: " + e.problem());
  }
}

TEST_F(LibsvmFiles, TestFileAlignsWithItsTrainingFile) {
  const fs::path train_path = dir_ / "train.svm";
  const fs::path test_path = dir_ / "test.svm";
  write_file(train_path, "1 1:1 5:2\n0 2:1\n");
  write_file(test_path, "0 3:1\n1 1:1 7:9\n");
  const Dataset train = read_libsvm(train_path);
  ASSERT_EQ(train.features(), 5);
  ReadOptions options;
  options.n_features = train.features();
  options.labels = train.labels;
  EXPECT_THROW(read_libsvm(test_path, options), ParseError);  // index 7 > 5
  options.drop_extra_features = true;
  ReadReport report;
  const Dataset test = read_libsvm(test_path, options, &report);
  EXPECT_EQ(test.features(), 5);
  EXPECT_EQ(test.nnz(), 2);
  EXPECT_EQ(report.dropped_entries, 1);
  EXPECT_EQ(test.y[0], -1.0);
  EXPECT_EQ(test.y[1], 1.0);
}

TEST(CompressionNames, AreStable) {
  EXPECT_STREQ(to_string(Compression::None), "none");
  EXPECT_STREQ(to_string(Compression::Xz), "xz");
  EXPECT_STREQ(to_string(Compression::Bzip2), "bzip2");
  EXPECT_STREQ(to_string(Compression::Gzip), "gzip");
}

// ---------------------------------------------------------------------------------------------
// The real files: shapes from their READMEs.

struct Shape {
  Index rows, features, max_index, nnz, positives;
};

void expect_shape(const fs::path& path, const Shape& s, const ReadOptions& options = {}) {
  ReadReport report;
  const Dataset d = read_libsvm(path, options, &report);
  EXPECT_EQ(report.compression, Compression::Xz);
  EXPECT_EQ(d.rows(), s.rows) << path;
  EXPECT_EQ(d.features(), s.features) << path;
  EXPECT_EQ(report.max_index, s.max_index) << path;
  EXPECT_EQ(d.nnz(), s.nnz) << path;
  EXPECT_EQ(d.positives(), s.positives) << path;
  EXPECT_EQ(d.rows() - d.positives(), s.rows - s.positives) << path;
  EXPECT_TRUE(d.labels.is_identity()) << path;
}

TEST(LibsvmRealData, ShippedSpamAssassin) {
  expect_shape(test::source_dir() / "datasets/spamassassin/spamassassin.uni.svm.xz",
               {6046, 176112, 176112, 1711194, 1896});
}

TEST(LibsvmRealData, SharedSpamAssassin) {
  SHINE_REQUIRE_SHARED_DATA(path, "spamassassin/spamassassin.uni.svm.xz");
  expect_shape(path, {6046, 176112, 176112, 1711194, 1896});
}

TEST(LibsvmRealData, ReutersTrainAndAlignedTest) {
  SHINE_REQUIRE_SHARED_DATA(train, "reuters21578-acq/reuters-acq.uni.train.svm.xz");
  SHINE_REQUIRE_SHARED_DATA(test, "reuters21578-acq/reuters-acq.uni.test.svm.xz");
  expect_shape(train, {9603, 34270, 34270, 757110, 1650});
  expect_shape(test, {3299, 34269, 34269, 245234, 719});
  ReadOptions aligned;
  aligned.n_features = 34270;
  expect_shape(test, {3299, 34270, 34269, 245234, 719}, aligned);
}

TEST(LibsvmRealData, A9a) {
  SHINE_REQUIRE_SHARED_DATA(path, "libsvm-a9a-a8a-w8a/a9a.xz");
  expect_shape(path, {32561, 123, 123, 451592, 7841});
}

TEST(LibsvmRealData, TwentyNewsgroups) {
  SHINE_REQUIRE_SHARED_DATA(path, "20news-sklearn/20news.svm.xz");
  expect_shape(path, {18846, 130107, 130107, 2895521, 9201});
}

}  // namespace
}  // namespace shine::data
