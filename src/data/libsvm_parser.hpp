#pragma once
// Private to src/data: the LIBSVM parser, a resumable state machine over blocks of text.
//
// The caller (read_stream in libsvm_io.cpp) feeds the text block by block; a block may end
// anywhere, even inside a token. Everything that must survive a block boundary is a member: the
// state (start of a line, inside a row, inside a comment), the line number and the text offset
// at which the current line starts (columns are offsets from it, so they count across blocks),
// the row being read (its entries, their columns for the duplicate message, whether they came
// sorted), the labels seen and the finished rows. A token is consumed whole or not at all: one
// that runs into the end of a block that is not the last is left untouched and parse() returns
// its start (cut_ set), and the caller hands it back at the front of the next block; nothing of
// it has been recorded (an entry dropped by drop_extra_features is counted once its value is
// read).
// A token longer than kMaxTokenBytes is an error, so the carry is bounded. After the last block
// (eof) no token is cut: the end of the text ends it. Finished rows go to the entry store; every
// kMemoryCheckEvery rows + non-zeros, and once more before the matrices are built, the memory the
// Dataset would need is compared with the limit.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <istream>
#include <limits>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "data/entry_store.hpp"
#include "data/libsvm_common.hpp"
#include "data/memory.hpp"
#include "shine/data/dataset.hpp"
#include "shine/data/libsvm_io.hpp"

namespace shine::data::detail {

// The memory check runs each time rows + non-zeros grow by this much (a few MiB of data): often
// enough to stop long before the memory runs out, rarely enough to cost nothing.
inline constexpr std::size_t kMemoryCheckEvery = std::size_t{1} << 18;

// Blanks separate tokens within a line; '\r' counts as one so that CRLF files read as LF files.
inline bool is_blank(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\r';
}
// Characters that end a token: blanks, the end of the line and the start of a comment.
inline bool ends_token(char c) noexcept {
  return is_blank(c) || c == '\n' || c == '#';
}

// The limit for ReadOptions::memory_limit_bytes = 0: the memory available, less the reader's own
// working memory, and the limit's origin in words for the message. No limit known: none.
std::pair<std::uint64_t, std::string> automatic_memory_limit(const AvailableMemory& available,
                                                             bool helper_thread);

// The parser: a resumable state machine over blocks of text. A block may end anywhere; a token it
// cuts is handed back (parse() returns its start) and parsed again with the next block.
class Parser {
 public:
  Parser(std::string source, const ReadOptions& options)
      : source_(std::move(source)), options_(options) {
    if (options.n_features > 0) {
      limit_ = options.n_features;
    } else {
      limit_ = std::min(options.max_features, kMaxStorageIndex);
    }
    if (options.labels) {
      forced_labels_ = true;
      classes_ = 2;
      class_value_ = {options.labels->negative, options.labels->positive};
    }
  }

  // Stops the read once the dataset would need more than `bytes` (the largest value: never);
  // `source` says where the limit comes from, for the message.
  void set_memory_limit(std::uint64_t bytes, std::string source) {
    memory_limit_ = bytes;
    memory_limit_source_ = std::move(source);
    next_memory_check_ = bytes == std::numeric_limits<std::uint64_t>::max()
                             ? std::numeric_limits<std::size_t>::max()
                             : kMemoryCheckEvery;
  }

  // Parses [begin, end), whose first byte is byte `offset` of the text. Returns the first byte
  // not consumed: `end`, or the start of a token cut by `end` (only when !eof).
  const char* parse(const char* begin, const char* end, std::uint64_t offset, bool eof);

  // To be called once after the last block.
  void finish(std::uint64_t total_bytes);

  [[noreturn]] void fail_here(std::int64_t column, const std::string& problem) const {
    throw ParseError(source_, line_, column, problem);
  }

  [[nodiscard]] std::int64_t line() const noexcept { return line_; }

  // What a process reading part of a file (read_libsvm_part) builds with, agreed with the
  // others: the feature count and label mapping of the whole file; its part may hold no row.
  struct PartBuild {
    Index cols = 0;
    LabelMap map;
  };

  // The matrices, labels and report. `part` (when reading part of a file): the whole file's
  // feature count and label mapping, and no error for a part without rows.
  Dataset build(std::string name, ReadReport* report, Compression compression,
                std::uint64_t total_bytes, const PartBuild* part = nullptr);

  // What the parser has seen, for the agreement between processes reading parts of one file.
  [[nodiscard]] Index rows() const noexcept { return static_cast<Index>(labels_.size()); }
  [[nodiscard]] Index max_index() const noexcept { return max_index_; }
  [[nodiscard]] int classes() const noexcept { return classes_; }
  [[nodiscard]] double class_value(int k) const noexcept {
    return class_value_[static_cast<std::size_t>(k)];
  }

 private:
  enum class State { LineStart, Row, Comment };

  [[nodiscard]] std::int64_t column_of(const char* p) const noexcept {
    return static_cast<std::int64_t>(offset_ + static_cast<std::uint64_t>(p - begin_) -
                                     line_start_) +
           1;
  }
  [[noreturn]] void fail_at(const char* p, const std::string& problem) const {
    fail_here(column_of(p), problem);
  }

  // End of the token starting at `p` (first token-ending byte, or the end of the block).
  [[nodiscard]] const char* token_end(const char* p) const noexcept {
    while (p < end_ && !ends_token(*p))
      ++p;
    return p;
  }
  // True when the token starting at `p` runs into the end of a block that is not the last one:
  // it must be parsed again once the rest of it has been read.
  [[nodiscard]] bool is_cut(const char* p) const noexcept { return !eof_ && token_end(p) == end_; }
  // Stops at a cut token, to be parsed again with the next block; the carry it costs is bounded.
  const char* cut_at(const char* token) {
    if (static_cast<std::size_t>(end_ - token) > kMaxTokenBytes) {
      fail_at(token, "a token of more than " + std::to_string(kMaxTokenBytes) +
                         " characters without a space: no label, INDEX:VALUE pair or qid is that "
                         "long; is this a LIBSVM text file?");
    }
    cut_ = true;
    return token;
  }

  // The memory the dataset would take is above the limit: throws MemoryLimitError. Called every
  // kMemoryCheckEvery rows + non-zeros (`whole` false) and before building (`whole` true).
  void check_memory(bool whole, Index cols);

  const char* end_line(const char* newline);
  const char* parse_label(const char* p);
  const char* parse_pairs(const char* p);
  void classify(double label, const char* token, const char* token_stop);
  void finish_row();
  [[noreturn]] void fail_label(const char* token, std::errc ec) const;
  [[noreturn]] void fail_index(const char* token) const;
  [[noreturn]] void fail_value(const char* token, const char* value, const char* stop, std::errc ec,
                               bool bad_sign) const;
  // Index outside 1..limit_: throws, or returns true when the entry is to be dropped.
  bool out_of_range_index(std::int64_t index, const char* token);
  const char* skip_qid(const char* token) const;

  std::string source_;
  const ReadOptions& options_;
  Index limit_ = 0;

  // Block being parsed.
  const char* begin_ = nullptr;
  const char* end_ = nullptr;
  std::uint64_t offset_ = 0;
  bool eof_ = false;
  bool cut_ = false;

  // Position.
  State state_ = State::LineStart;
  std::int64_t line_ = 1;
  std::uint64_t line_start_ = 0;

  // Current row.
  bool row_open_ = false;
  bool row_unsorted_ = false;
  std::int64_t previous_index_ = 0;
  std::vector<StorageIndex> row_index_;
  std::vector<double> row_value_;
  std::vector<std::int64_t> row_column_;

  // Labels.
  bool forced_labels_ = false;
  int classes_ = 0;
  std::array<double, 2> class_value_{};
  std::array<std::string, 2> class_text_;
  std::vector<double> labels_;

  // Entries.
  EntryStore store_;
  std::vector<StorageIndex> row_end_;
  Index max_index_ = 0;
  std::int64_t dropped_ = 0;

  // Memory check.
  std::uint64_t memory_limit_ = std::numeric_limits<std::uint64_t>::max();
  std::string memory_limit_source_;
  std::size_t next_memory_check_ = std::numeric_limits<std::size_t>::max();
};

// Called by read_stream once the whole text is parsed, before the matrices are built, when the
// text is one process's part of a file (read_libsvm_part): agrees with the other processes on
// the feature count and label mapping (and throws when another process failed).
using PartAgreement = std::function<Parser::PartBuild(const Parser&)>;

// The read loop of read_libsvm (libsvm_io.cpp): sniffs the compression, reads and parses the
// text block by block, builds the dataset (with `agree`'s result when given).
Dataset read_stream(std::istream& input, const std::string& source, const std::string& name,
                    const ReadOptions& options, ReadReport* report, const PartAgreement* agree);

}  // namespace shine::data::detail
