// docs/errors.md, the table of every input and option `shine` rejects, run row by row: each row
// whose first cell is a command (`shine ...`) becomes a test that runs it in-process and checks
// the exit code, the message, that the message is a proper `shine:` line, and that no file was
// left behind. The document is read at start-up, so a row added there is a test.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>

#include "cli_support.hpp"

namespace shine::cli {
namespace {

using namespace test_support;

fs::path errors_doc() {
  return shine::test::source_dir() / "docs" / "errors.md";
}

/// One row of a table of docs/errors.md.
struct Row {
  int line = 0;                        ///< Line of the row in the document (1-based).
  std::string command;                 ///< As written, without the backticks.
  std::optional<std::string> content;  ///< Content of {file} (escapes decoded), if any.
  int exit = -1;
  std::string message;  ///< As written, without the backticks ('…' = anything).
  std::string problem;  ///< Non-empty when the row could not be read.
};

// How gtest shows a row (instead of its bytes).
void PrintTo(const Row& row, std::ostream* out) {
  *out << "line " << row.line << ": " << row.command;
}

// Splits a table line into its cells at '|' that are not escaped as "\|" (markdown tables need
// that escape inside code spans too); "\|" becomes '|'.
std::vector<std::string> cells(const std::string& line) {
  std::vector<std::string> result;
  std::string cell;
  for (std::size_t i = 1; i < line.size(); ++i) {  // line[0] is the leading '|'
    if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '|') {
      cell += '|';
      ++i;
    } else if (line[i] == '|') {
      result.push_back(cell);
      cell.clear();
    } else {
      cell += line[i];
    }
  }
  for (auto& c : result) {
    const auto first = c.find_first_not_of(' ');
    const auto last = c.find_last_not_of(' ');
    c = first == std::string::npos ? std::string() : c.substr(first, last - first + 1);
  }
  return result;
}

// "`text`" -> "text"; throws unless the cell is one code span.
std::string code(const std::string& cell) {
  if (cell.size() < 2 || cell.front() != '`' || cell.back() != '`') {
    throw std::runtime_error("expected `...`, got '" + cell + "'");
  }
  return cell.substr(1, cell.size() - 2);
}

// Decodes \n, \r, \t, \\ and \xHH.
std::string unescape(const std::string& text) {
  std::string result;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 == text.size()) {
      result += text[i];
      continue;
    }
    const char c = text[++i];
    if (c == 'n') {
      result += '\n';
    } else if (c == 'r') {
      result += '\r';
    } else if (c == 't') {
      result += '\t';
    } else if (c == '\\') {
      result += '\\';
    } else if (c == 'x' && i + 2 < text.size()) {
      result += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      throw std::runtime_error(std::string("unknown escape \\") + c);
    }
  }
  return result;
}

std::vector<Row> read_rows() {
  std::ifstream in(errors_doc());
  if (!in) {
    Row row;
    row.problem = "cannot read " + errors_doc().string();
    return {row};
  }
  std::vector<Row> rows;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.rfind("| `shine", 0) != 0) continue;
    Row row;
    row.line = number;
    try {
      const auto c = cells(line);
      if (c.size() != 4) {
        throw std::runtime_error("expected 4 cells, got " + std::to_string(c.size()));
      }
      row.command = code(c[0]);
      if (c[1] == "(empty)") {
        row.content = std::string();
      } else if (!c[1].empty()) {
        row.content = unescape(code(c[1]));
      }
      std::size_t used = 0;
      row.exit = std::stoi(c[2], &used);
      if (used != c[2].size()) throw std::runtime_error("bad exit code '" + c[2] + "'");
      row.message = code(c[3]);
      if (row.message.empty()) throw std::runtime_error("empty message");
    } catch (const std::exception& e) {
      row.problem = e.what();
    }
    rows.push_back(row);
  }
  return rows;
}

const std::vector<Row>& rows() {
  static const std::vector<Row> all = read_rows();
  return all;
}

// Words of a command: split at spaces; '' is an empty word.
std::vector<std::string> words(const std::string& command) {
  std::vector<std::string> result;
  std::istringstream in(command);
  std::string word;
  while (in >> word)
    result.push_back(word == "''" ? std::string() : word);
  return result;
}

std::string substitute(std::string text, const std::map<std::string, std::string>& values) {
  for (const auto& [key, value] : values) {
    for (auto at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size()))
      text.replace(at, key.size(), value);
  }
  return text;
}

// Every regular file under `dir`, temporaries (hidden files) included.
std::set<std::string> files_under(const fs::path& dir) {
  std::set<std::string> result;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_directory()) result.insert(entry.path().string());
  }
  return result;
}

// Where `message` ('…' = any text) occurs in `text`, or npos; pieces must appear in order.
std::size_t find_message(const std::string& text, const std::string& message) {
  static const std::string ellipsis = "…";
  std::size_t start = std::string::npos;
  std::size_t from = 0;
  std::size_t piece_begin = 0;
  for (;;) {
    const auto piece_end = message.find(ellipsis, piece_begin);
    const std::string piece = message.substr(
        piece_begin, piece_end == std::string::npos ? std::string::npos : piece_end - piece_begin);
    if (!piece.empty()) {
      const auto at = text.find(piece, from);
      if (at == std::string::npos) return std::string::npos;
      // The first piece may only be followed by the rest on the same line.
      if (start != std::string::npos && text.find('\n', from) < at) return std::string::npos;
      if (start == std::string::npos) start = at;
      from = at + piece.size();
    }
    if (piece_end == std::string::npos) break;
    piece_begin = piece_end + ellipsis.size();
  }
  return start;
}

// Sets an environment variable for the lifetime of the object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

constexpr const char* kTrain =
    "+1 1:0.9 2:0.1\n-1 2:0.8 3:0.3\n+1 1:0.7 3:0.2\n-1 2:0.6 3:0.9\n+1 1:1 2:0.2\n"
    "-1 3:0.7\n+1 1:0.8 3:0.1\n-1 2:0.9\n+1 1:0.6 2:0.3\n-1 2:0.5 3:0.5\n"
    "+1 1:0.95\n-1 2:0.7 3:0.6\n+1 1:0.75 2:0.15\n-1 3:0.8\n+1 1:0.85 3:0.25\n"
    "-1 2:0.65 3:0.4\n+1 1:0.65 2:0.05\n-1 2:0.55 3:0.95\n+1 1:0.9 3:0.3\n-1 2:0.75\n";

constexpr const char* kModel =
    R"({"format": "shine-logistic-model", "version": 1, "n_features": 3, "fit_intercept": false,)"
    R"( "intercept": 0, "lambda": 0.1, "labels": {"negative": -1, "positive": 1},)"
    R"( "weights": [2.5, -1.5, -0.5]})";

class CliErrorsTable : public ::testing::TestWithParam<Row> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("shine_cli_errors_" + std::to_string(GetParam().line) +
                                        "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "empty");
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_P(CliErrorsTable, RejectsAsDocumented) {
  const Row& row = GetParam();
  ASSERT_TRUE(row.problem.empty())
      << errors_doc().string() << ":" << row.line << ": " << row.problem;
  SCOPED_TRACE(errors_doc().string() + ":" + std::to_string(row.line) + ": " + row.command);

  std::ofstream(dir_ / "train.svm") << kTrain;
  std::ofstream(dir_ / "model.json") << kModel;
  const std::map<std::string, std::string> values{
      {"{file}", (dir_ / "input").string()},       {"{train}", (dir_ / "train.svm").string()},
      {"{model}", (dir_ / "model.json").string()}, {"{dir}", (dir_ / "empty").string()},
      {"{missing}", (dir_ / "missing").string()},  {"{out}", (dir_ / "out").string()},
      {"{kept}", (dir_ / "kept").string()}};
  if (row.content) {
    std::ofstream(dir_ / "input", std::ios::binary) << *row.content;
  } else {
    ASSERT_EQ(row.command.find("{file}"), std::string::npos) << "{file} without a file content";
  }
  std::vector<std::string> args = words(row.command);
  ASSERT_FALSE(args.empty());
  ASSERT_EQ(args[0], "shine");
  args.erase(args.begin());
  for (auto& arg : args)
    arg = substitute(arg, values);
  const std::string message = substitute(row.message, values);

  const std::set<std::string> before = files_under(dir_);
  Outcome r;
  {
    // No downloaded or shared dataset is found: the registry rows do not depend on the machine.
    const ScopedEnv data("SHINE_DATA_DIR", values.at("{dir}"));
    const ScopedEnv downloads("SHINE_DATASETS_DIR", values.at("{dir}"));
    r = shine(args);
  }

  EXPECT_EQ(r.code, row.exit) << r.err;
  const std::size_t at = find_message(r.err, message);
  EXPECT_NE(at, std::string::npos) << "expected: " << message << "\nstderr: " << r.err;
  if (at != std::string::npos) {
    const std::size_t line_start = r.err.rfind('\n', at == 0 ? 0 : at - 1);
    const std::size_t begin = (line_start == std::string::npos || at == 0) ? 0 : line_start + 1;
    const bool usage = message.rfind("usage:", 0) == 0;
    EXPECT_EQ(r.err.compare(begin, at - begin, usage ? "" : "shine: "), 0)
        << "the message is not a 'shine: ' line: " << r.err;
  }
  EXPECT_FALSE(r.err.empty());
  if (!r.err.empty()) {
    EXPECT_EQ(r.err.back(), '\n') << r.err;
  }
  for (const char* crash : {"terminate called", "what():", "Aborted", "Segmentation", "#0 "}) {
    EXPECT_EQ(r.err.find(crash), std::string::npos) << r.err;
  }

  std::set<std::string> after = files_under(dir_);
  if (row.command.find("{kept}") != std::string::npos) {
    EXPECT_EQ(after.erase(values.at("{kept}")), 1U) << "{kept} was not written";
  }
  for (const auto& file : after) {
    EXPECT_TRUE(before.count(file) != 0U) << "left behind: " << file;
  }
}

std::string row_name(const ::testing::TestParamInfo<Row>& info) {
  return "line_" + std::to_string(info.param.line);
}

INSTANTIATE_TEST_SUITE_P(Doc, CliErrorsTable, ::testing::ValuesIn(rows()), row_name);

TEST(CliErrorsDoc, CoversEveryCommandAndExitCode) {
  std::set<std::string> commands;
  std::set<int> exits;
  for (const Row& row : rows()) {
    const auto w = words(row.command);
    if (w.size() >= 2) commands.insert(w[1] == "data" && w.size() >= 3 ? "data " + w[2] : w[1]);
    exits.insert(row.exit);
  }
  for (const char* command :
       {"tune", "fit", "predict", "reproduce", "data info", "data convert", "data split"}) {
    EXPECT_EQ(commands.count(command), 1U) << command;
  }
  for (const int code : {2, 3, 4})
    EXPECT_EQ(exits.count(code), 1U) << code;
  EXPECT_GE(rows().size(), 150U);
}

TEST(CliErrorsDoc, IsLinkedFromTheCommandLineGuide) {
  const std::string cli = read_file(shine::test::source_dir() / "docs" / "cli.md");
  EXPECT_NE(cli.find("(errors.md)"), std::string::npos);
}

}  // namespace
}  // namespace shine::cli
