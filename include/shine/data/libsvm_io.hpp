#pragma once
/// @file
/// Reading and writing LIBSVM / SVMlight text files, plain or compressed (xz, bzip2, gzip).
///
/// Format: one sample per line, `LABEL INDEX:VALUE INDEX:VALUE ... [# comment]`, indices 1-based.
/// Accepted: any two distinct numeric labels (mapped to ±1, see `LabelMap`), `qid:N` tokens
/// (ignored), comments after `#`, CRLF line ends, blank and comment-only lines, trailing spaces,
/// unsorted indices (sorted on load). Compression is detected from the first bytes of the file
/// (magic numbers), whatever its name.
///
/// Rejected with a `ParseError` naming file, line and column and saying what to fix: more than two
/// classes, a missing or unparsable label, an index <= 0 or beyond a forced feature count, a
/// duplicate index in a row, a malformed `INDEX:VALUE` pair, a NaN or infinite value, a truncated
/// or corrupt compressed stream, a file with no samples.

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <stdexcept>
#include <string>

#include "shine/data/dataset.hpp"

namespace shine::data {

/// Error in an input file; `what()` reads `"<file>:<line>:<column>: <problem>"` (line and
/// column 1-based; 0 when the problem is not tied to a position, e.g. an empty file).
class ParseError : public std::runtime_error {
 public:
  ParseError(std::string file, std::int64_t line, std::int64_t column, const std::string& problem);

  [[nodiscard]] const std::string& file() const noexcept { return file_; }
  [[nodiscard]] std::int64_t line() const noexcept { return line_; }
  [[nodiscard]] std::int64_t column() const noexcept { return column_; }
  /// The problem alone, without the position prefix.
  [[nodiscard]] const std::string& problem() const noexcept { return problem_; }

 private:
  std::string file_;
  std::int64_t line_;
  std::int64_t column_;
  std::string problem_;
};

/// Compression of a stream, detected from its first bytes.
enum class Compression { None, Xz, Bzip2, Gzip };

/// Options of `read_libsvm`. Defaults read any well-formed file as it is.
struct ReadOptions {
  /// Number of features of the result. 0 (default): the largest index seen. > 0: forces the
  /// feature count so that a test file aligns with its training file; an index beyond it is an
  /// error unless `drop_extra_features` is set. Valid range: >= 0.
  Index n_features = 0;

  /// When `n_features` > 0, silently drop (but count, see `ReadReport::dropped_entries`) entries
  /// whose index exceeds it instead of failing. Default false.
  bool drop_extra_features = false;

  /// Label mapping to apply instead of inferring one, e.g. the training file's mapping when
  /// reading its test file. A label that is neither value is then an error. Default: inferred.
  std::optional<LabelMap> labels;

  /// Name given to the dataset. Default (empty): the file name without directories.
  std::string name;

  /// Throws `std::invalid_argument` naming the option when a value is out of range.
  void validate() const;
};

/// What the reader saw besides the data itself, for reports.
struct ReadReport {
  Compression compression = Compression::None;  ///< Detected compression.
  std::int64_t lines = 0;                       ///< Lines read, including blank and comments.
  std::int64_t dropped_entries = 0;             ///< Entries dropped by `drop_extra_features`.
  Index max_index = 0;                          ///< Largest (1-based) index in the file.
  std::uint64_t text_bytes = 0;                 ///< Uncompressed bytes parsed.
};

/// Reads a LIBSVM file (plain, .xz, .bz2 or .gz, detected by content). Streams the file once and
/// keeps only the CSR arrays (peak memory <= 2x the final dataset). Throws `ParseError` for a
/// malformed file, `std::runtime_error` when it cannot be opened, `std::invalid_argument` for bad
/// options. `report`, when given, receives what the reader saw.
Dataset read_libsvm(const std::filesystem::path& path, const ReadOptions& options = {},
                    ReadReport* report = nullptr);

/// Same, from an already opened stream (which may hold compressed bytes); `source_name` is used
/// in error messages and as the default dataset name.
Dataset read_libsvm(std::istream& input, const std::string& source_name,
                    const ReadOptions& options = {}, ReadReport* report = nullptr);

/// Options of `write_libsvm`.
struct WriteOptions {
  /// Write the original labels (through `Dataset::labels`) instead of −1/+1. Default true, so a
  /// file round-trips to identical labels.
  bool original_labels = true;
  /// Compression of the output. Default: chosen from the extension (.xz, .bz2, .gz; else none).
  std::optional<Compression> compression;
};

/// Writes `data` in LIBSVM format with values printed to round-trip exactly (`%.17g`).
/// The file is written to a temporary beside `path` and renamed into place, so a failure never
/// leaves a torn file. Throws `std::runtime_error` on I/O errors.
void write_libsvm(const Dataset& data, const std::filesystem::path& path,
                  const WriteOptions& options = {});

/// Same, to a stream (uncompressed text).
void write_libsvm(const Dataset& data, std::ostream& output, const WriteOptions& options = {});

/// Stable lower-case name: "none", "xz", "bzip2", "gzip".
const char* to_string(Compression compression) noexcept;

}  // namespace shine::data
