#pragma once
/// @file
/// Reading and writing LIBSVM / SVMlight text files, plain or compressed (xz, bzip2, gzip).
///
/// Format: one sample per line, `LABEL INDEX:VALUE INDEX:VALUE ... [# comment]`, indices 1-based
/// (stored 0-based). Accepted: any two distinct numeric labels (mapped to ±1, see `LabelMap`; a
/// single class is accepted too), `qid:N` tokens (ignored), comments after `#` (whole-line or
/// trailing), CRLF line ends, blank and comment-only lines, spaces and tabs anywhere between
/// tokens, rows without entries, unsorted indices (sorted on load), a last line without newline.
/// Compression is detected from the first bytes of the file (magic numbers), whatever its name.
///
/// Rejected with a `ParseError` naming file, line and column and saying what to fix: more than two
/// classes, a missing or unparsable label, an index <= 0, above 2^31 − 1, above
/// `ReadOptions::max_features` or beyond a forced feature count, a duplicate index in a row, a
/// malformed `INDEX:VALUE` or `qid:N` token, a NaN, infinite or out-of-range value, a token longer
/// than 4096 characters, a truncated or corrupt compressed stream, an empty file or one without
/// samples. docs/data-format.md lists every message.
///
/// Streaming: the text is read in 1 MiB blocks (a line may span any number of blocks) and parsed
/// with `std::from_chars`; the entries go into fixed-size chunks, which are copied into the exact
/// CSR arrays and freed one by one. Peak memory is about the final `Dataset::memory_bytes()` plus
/// a few MiB, never the text. Example:
///
/// @code
/// shine::data::ReadReport report;
/// const auto train = shine::data::read_libsvm("train.svm.xz", {}, &report);
/// shine::data::ReadOptions aligned;           // the test file in the training file's space
/// aligned.n_features = train.features();
/// aligned.drop_extra_features = true;
/// aligned.labels = train.labels;
/// const auto test = shine::data::read_libsvm("test.svm.xz", aligned);
/// shine::data::write_libsvm(test, "test-copy.svm.gz");  // gzip, from the extension
/// @endcode

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <stdexcept>
#include <string>

#include "shine/data/dataset.hpp"

namespace shine::data {

/// Error in an input file; `what()` reads `"<file>:<line>:<column>: <problem>"`. Line and column
/// are 1-based and count bytes of the uncompressed text (a tab is one column). Column 0: the
/// problem concerns the line as a whole (e.g. a damaged compressed stream, reported at the last
/// line read before the damage). Line 0 and column 0: the file as a whole (empty, no samples,
/// unsupported compression).
class ParseError : public std::runtime_error {
 public:
  /// An error at `file`:`line`:`column` (0 for "whole line" / "whole file", as above).
  ParseError(std::string file, std::int64_t line, std::int64_t column, const std::string& problem);

  /// The file name as given to the reader.
  [[nodiscard]] const std::string& file() const noexcept { return file_; }
  /// 1-based line, or 0 when the problem concerns the whole file.
  [[nodiscard]] std::int64_t line() const noexcept { return line_; }
  /// 1-based byte column, or 0 when the problem concerns the whole line (or file).
  [[nodiscard]] std::int64_t column() const noexcept { return column_; }
  /// The problem alone, without the position prefix.
  [[nodiscard]] const std::string& problem() const noexcept { return problem_; }

 private:
  std::string file_;
  std::int64_t line_;
  std::int64_t column_;
  std::string problem_;
};

/// A label that is neither value of the forced label mapping (`ReadOptions::labels`): a
/// `ParseError` at the label, which also gives the label as written.
class UnexpectedLabelError : public ParseError {
 public:
  UnexpectedLabelError(std::string file, std::int64_t line, std::int64_t column, std::string label,
                       const std::string& problem);
  /// The label as written in the file.
  [[nodiscard]] const std::string& label() const noexcept { return label_; }

 private:
  std::string label_;
};

/// An index beyond the forced feature count (`ReadOptions::n_features`, without
/// `drop_extra_features`): a `ParseError` at the entry, which also gives the index and the count,
/// so that a caller can say it in its own terms (the command line: `--features`).
class FeatureBeyondCountError : public ParseError {
 public:
  FeatureBeyondCountError(std::string file, std::int64_t line, std::int64_t column,
                          std::int64_t index, std::int64_t limit, const std::string& problem);
  /// The 1-based index found in the file.
  [[nodiscard]] std::int64_t index() const noexcept { return index_; }
  /// The forced feature count it exceeds.
  [[nodiscard]] std::int64_t limit() const noexcept { return limit_; }

 private:
  std::int64_t index_;
  std::int64_t limit_;
};

/// The dataset being read would not fit in memory (see `ReadOptions::memory_limit_bytes`).
/// `what()` names the file, the memory needed (at least) and available, and what to do.
class MemoryLimitError : public std::runtime_error {
 public:
  /// `line`: the last line read (the whole file read: its last line).
  MemoryLimitError(std::string file, std::int64_t line, std::uint64_t needed_bytes,
                   std::uint64_t available_bytes, const std::string& message);

  /// The file name as given to the reader.
  [[nodiscard]] const std::string& file() const noexcept { return file_; }
  /// The last line read when the reader stopped.
  [[nodiscard]] std::int64_t line() const noexcept { return line_; }
  /// Bytes the dataset needs at least (the part read so far, with its transpose).
  [[nodiscard]] std::uint64_t needed_bytes() const noexcept { return needed_; }
  /// Bytes available: the limit it was compared with.
  [[nodiscard]] std::uint64_t available_bytes() const noexcept { return available_; }

 private:
  std::string file_;
  std::int64_t line_;
  std::uint64_t needed_;
  std::uint64_t available_;
};

/// Compression of a stream, detected from its first bytes.
enum class Compression { None, Xz, Bzip2, Gzip };

/// Options of `read_libsvm`. Defaults read any well-formed file as it is.
struct ReadOptions {
  /// Number of features of the result. 0 (default): the largest index seen. > 0: forces the
  /// feature count so that a test file aligns with its training file; an index beyond it is an
  /// error unless `drop_extra_features` is set. Valid range: 0 .. 2^31 − 1.
  Index n_features = 0;

  /// When `n_features` > 0, silently drop (but count, see `ReadReport::dropped_entries`) entries
  /// whose index exceeds it instead of failing. Default false; no effect when `n_features` = 0.
  /// Indices <= 0 or above 2^31 − 1 are errors all the same.
  bool drop_extra_features = false;

  /// Label mapping to apply instead of inferring one, e.g. the training file's mapping when
  /// reading its test file. A label that is neither value is then an error (the file may hold
  /// only one of the two). Default: inferred (smaller value -> −1, larger -> +1; one class: its
  /// side by sign). Valid: two distinct finite values.
  std::optional<LabelMap> labels;

  /// Name given to the dataset. Default (empty): the file name without directories.
  std::string name;

  /// Largest feature index accepted when `n_features` = 0 (the feature count is inferred). The
  /// stored transpose of X holds one row pointer per feature, so a single stray index such as
  /// `2000000000:1` would otherwise cost gigabytes; such an index is rejected instead. Default
  /// 2^26 = 67,108,864, above every public LIBSVM binary dataset (kdd2012: 54.7 M features).
  /// Ignored when `n_features` > 0 (that count is then the limit). Valid range: 1 .. 2^31 − 1.
  Index max_features = Index{1} << 26;

  /// Memory the loaded dataset may take, in bytes. The reader estimates the memory the dataset
  /// needs as it grows (12 bytes per non-zero for X and as much for its stored transpose, 12 bytes
  /// per row, 4 per feature) and stops with a `MemoryLimitError` as soon as that exceeds the
  /// limit, instead of running the process out of memory. 0 (default): the memory available
  /// when the read starts, the smallest of `MemAvailable` in /proc/meminfo, the cgroup limit
  /// minus its usage and RLIMIT_AS minus the process's size (see `available_memory()`), less
  /// 16 MiB for the reader's own buffers (and, against RLIMIT_AS, 32 MiB of address space for
  /// the decompressing thread's stack and malloc's mappings); no check when none is known. Any
  /// other value is the limit itself; the largest std::uint64_t turns the check off. The check runs
  /// every 2^18 rows + non-zeros and once more before the matrices are built.
  std::uint64_t memory_limit_bytes = 0;

  /// For a compressed input, decompress on a helper thread a few 1 MiB blocks ahead of the
  /// parser, so that decompression and parsing overlap on two cores (the result is the same).
  /// Default true; false reads everything on the calling thread.
  bool decompress_in_background = true;

  /// Throws `std::invalid_argument` naming the option when a value is out of range.
  void validate() const;
};

/// What the reader saw besides the data itself, for reports.
struct ReadReport {
  Compression compression = Compression::None;  ///< Detected compression.
  std::int64_t lines = 0;            ///< Lines of text, blank and comment lines included.
  std::int64_t dropped_entries = 0;  ///< Entries dropped by `drop_extra_features`.
  Index max_index = 0;           ///< Largest (1-based) index in the file, dropped entries included.
  std::uint64_t text_bytes = 0;  ///< Bytes of text parsed (after decompression).
};

/// Reads a LIBSVM file (plain, .xz, .bz2 or .gz, detected by content). Streams the file once and
/// keeps only the CSR arrays (peak memory about 1x the final dataset, at most 2x). Throws
/// `ParseError` for a malformed file, `MemoryLimitError` when the dataset would not fit in
/// memory (`ReadOptions::memory_limit_bytes`), `std::runtime_error` naming the path when it cannot
/// be opened or read, `std::invalid_argument` for bad options (before opening the file). `report`,
/// when given, receives what the reader saw (only on success).
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

/// Writes `data` in LIBSVM format: one line per row, `LABEL INDEX:VALUE ...` with 1-based
/// ascending indices and values in the shortest form that reads back to the identical double
/// (`std::to_chars`; as exact as `%.17g`, shorter). Labels: `+1` / `-1` when the label map is the
/// identity or `original_labels` is false, else the original values (shortest form).
/// The file is written to a hidden temporary beside `path` and renamed into place, so a failure
/// never leaves a torn file and an existing file stays intact. Throws `std::runtime_error`
/// naming `path` on I/O errors, a non-finite value or a label other than ±1 in `data.y`.
void write_libsvm(const Dataset& data, const std::filesystem::path& path,
                  const WriteOptions& options = {});

/// Same, to a stream (uncompressed text; `options.compression` is ignored). Throws
/// `std::runtime_error` when the stream fails.
void write_libsvm(const Dataset& data, std::ostream& output, const WriteOptions& options = {});

/// Stable lower-case name: "none", "xz", "bzip2", "gzip".
const char* to_string(Compression compression) noexcept;

}  // namespace shine::data
