#include "shine/data/libsvm_io.hpp"

#include <algorithm>
#include <array>
#include <boost/iostreams/filter/bzip2.hpp>
#include <boost/iostreams/filter/lzma.hpp>
#include <boost/iostreams/filtering_stream.hpp>
#include <boost/iostreams/filtering_streambuf.hpp>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <exception>
#include <fstream>
#include <istream>
#include <limits>
#include <memory>
#include <mutex>
#include <numeric>
#include <ostream>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "shine/core/atomic_file.hpp"
#include "shine/core/check.hpp"
#include "shine/data/memory.hpp"

// GCC 12 reports a false -Wrestrict inside the inlined gzip_compressor code of Boost 1.74 (an
// impossible memcpy size on a branch that cannot be taken); silence it for this header only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wrestrict"
#endif
#include <boost/iostreams/filter/gzip.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace shine::data {
namespace {

namespace io = boost::iostreams;

// Bytes asked of the source per read: large enough that the per-read cost vanishes, small enough
// that the buffer never matters next to the data.
constexpr std::size_t kBlockBytes = std::size_t{1} << 20;
// Longest token (label, INDEX:VALUE pair, qid) accepted. A token cut by the end of a block is
// carried over to the next one, so this bounds the carry and keeps the buffer size fixed.
constexpr std::size_t kMaxTokenBytes = 4096;
// Entries per storage chunk (3 MiB): the parsed entries grow by chunks, never by reallocation, so
// no doubling ever holds two copies of the data.
constexpr std::size_t kChunkEntries = std::size_t{1} << 18;
// Buffer size handed to the decompressors and to the raw source under them.
constexpr std::streamsize kFilterBufferBytes = std::streamsize{1} << 16;
// Longest excerpt of the input quoted in an error message.
constexpr std::size_t kMaxQuoted = 40;
// The memory check runs each time rows + non-zeros grow by this much (a few MiB of data): often
// enough to stop long before the memory runs out, rarely enough to cost nothing.
constexpr std::size_t kMemoryCheckEvery = std::size_t{1} << 18;

constexpr Index kMaxStorageIndex = std::numeric_limits<StorageIndex>::max();

// Blanks separate tokens within a line; '\r' counts as one so that CRLF files read as LF files.
inline bool is_blank(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\r';
}
// Characters that end a token: blanks, the end of the line and the start of a comment.
inline bool ends_token(char c) noexcept {
  return is_blank(c) || c == '\n' || c == '#';
}

std::string quote(std::string_view text) {
  if (text.size() > kMaxQuoted) return std::string(text.substr(0, kMaxQuoted)) + "...";
  return std::string(text);
}

// Shortest text that reads back to exactly `value`.
std::string format_number(double value) {
  std::array<char, 32> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  return std::string(buffer.data(), result.ptr);
}

// Bytes in words: "512 bytes", "3.4 MiB", "1.2 GiB".
std::string format_bytes(std::uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " bytes";
  const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(bytes) / 1024.0;
  std::size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < std::size(units)) {
    value /= 1024.0;
    ++unit;
  }
  std::array<char, 32> buffer{};
  std::snprintf(buffer.data(), buffer.size(), "%.1f %s", value, units[unit]);
  return buffer.data();
}

// 1234567 -> "1,234,567".
std::string with_commas(std::uint64_t value) {
  const std::string digits = std::to_string(value);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

// Bytes of a Dataset with these counts (Dataset::memory_bytes): X and its stored transpose, 12
// bytes per non-zero each, their row pointers and the labels.
std::uint64_t dataset_bytes(std::uint64_t rows, std::uint64_t nnz, std::uint64_t cols) {
  constexpr std::uint64_t entry = sizeof(double) + sizeof(StorageIndex);
  return 2 * nnz * entry + (rows + 1 + cols + 1) * sizeof(StorageIndex) + rows * sizeof(double);
}

std::string format_position(const std::string& file, std::int64_t line, std::int64_t column,
                            const std::string& problem) {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + problem;
}

// ---------------------------------------------------------------------------------------------
// Byte sources: the raw stream (with the sniffed magic bytes put back in front) and, on top of it,
// a decompressor.

// A Boost.Iostreams source that first returns the bytes already read to detect the compression,
// then the rest of the stream.
class PrefixedSource {
 public:
  using char_type = char;
  using category = io::source_tag;

  PrefixedSource(std::istream* input, std::array<char, 8> prefix, std::size_t prefix_size)
      : input_(input), prefix_(prefix), prefix_size_(prefix_size) {}

  std::streamsize read(char* out, std::streamsize n) {
    std::streamsize done = 0;
    while (prefix_pos_ < prefix_size_ && done < n)
      out[done++] = prefix_[prefix_pos_++];
    if (done < n) {
      input_->read(out + done, n - done);
      if (input_->bad()) {
        throw std::runtime_error(std::strerror(errno));
      }
      done += input_->gcount();
    }
    return done == 0 ? -1 : done;
  }

 private:
  std::istream* input_;
  std::array<char, 8> prefix_;
  std::size_t prefix_size_;
  std::size_t prefix_pos_ = 0;
};

class ByteReader {
 public:
  virtual ~ByteReader() = default;
  // Reads up to `n` bytes into `out`; fewer only at the end of the input.
  virtual std::size_t read(char* out, std::size_t n) = 0;
};

class PlainReader final : public ByteReader {
 public:
  explicit PlainReader(PrefixedSource source) : source_(source) {}
  std::size_t read(char* out, std::size_t n) override {
    std::size_t done = 0;
    while (done < n) {
      const std::streamsize got = source_.read(out + done, static_cast<std::streamsize>(n - done));
      if (got <= 0) break;
      done += static_cast<std::size_t>(got);
    }
    return done;
  }

 private:
  PrefixedSource source_;
};

class DecompressingReader final : public ByteReader {
 public:
  DecompressingReader(Compression compression, PrefixedSource source) {
    switch (compression) {
      case Compression::Xz:
        buffer_.push(io::lzma_decompressor(kFilterBufferBytes));
        break;
      case Compression::Bzip2:
        buffer_.push(io::bzip2_decompressor(io::bzip2::default_small, kFilterBufferBytes));
        break;
      case Compression::Gzip:
        buffer_.push(io::gzip_decompressor(io::gzip::default_window_bits, kFilterBufferBytes));
        break;
      case Compression::None:
        break;
    }
    buffer_.push(source, kFilterBufferBytes);
  }
  std::size_t read(char* out, std::size_t n) override {
    // sgetn only returns short at the end of the stream; decompressor errors propagate as
    // exceptions (the stream buffer does not swallow them, unlike an istream).
    return static_cast<std::size_t>(buffer_.sgetn(out, static_cast<std::streamsize>(n)));
  }

 private:
  io::filtering_istreambuf buffer_;
};

// Runs another reader on a helper thread, a few blocks ahead of the parser, so that decompression
// and parsing overlap on two cores. An error of the inner reader is rethrown by read() once the
// blocks decoded before it have been consumed, so it surfaces at the right line.
class PrefetchingReader final : public ByteReader {
 public:
  explicit PrefetchingReader(std::unique_ptr<ByteReader> inner) : inner_(std::move(inner)) {
    worker_ = std::thread([this] { run(); });
  }
  PrefetchingReader(const PrefetchingReader&) = delete;
  PrefetchingReader& operator=(const PrefetchingReader&) = delete;
  ~PrefetchingReader() override {
    {
      const std::lock_guard lock(mutex_);
      stop_ = true;
    }
    changed_.notify_all();
    worker_.join();
  }

  std::size_t read(char* out, std::size_t n) override {
    std::size_t done = 0;
    while (done < n) {
      if (position_ == current_.size()) {
        if (at_end_) break;
        std::unique_lock lock(mutex_);
        if (current_.capacity() > 0) spare_.push_back(std::move(current_));
        changed_.notify_all();
        changed_.wait(lock, [this] { return !ready_.empty() || finished_; });
        if (ready_.empty()) {
          at_end_ = true;
          if (error_) std::rethrow_exception(error_);
          break;
        }
        current_ = std::move(ready_.front());
        ready_.pop_front();
        position_ = 0;
        continue;
      }
      const std::size_t take = std::min(n - done, current_.size() - position_);
      std::memcpy(out + done, current_.data() + position_, take);
      position_ += take;
      done += take;
    }
    return done;
  }

 private:
  static constexpr std::size_t kDepth = 3;  // blocks decoded ahead of the parser

  void run() {
    for (;;) {
      std::vector<char> block;
      {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [this] { return stop_ || ready_.size() < kDepth; });
        if (stop_) return;
        if (!spare_.empty()) {
          block = std::move(spare_.back());
          spare_.pop_back();
        }
      }
      block.resize(kBlockBytes);
      std::size_t got = 0;
      try {
        got = inner_->read(block.data(), kBlockBytes);
      } catch (...) {
        const std::lock_guard lock(mutex_);
        error_ = std::current_exception();
        finished_ = true;
        changed_.notify_all();
        return;
      }
      block.resize(got);
      {
        const std::lock_guard lock(mutex_);
        if (got > 0) ready_.push_back(std::move(block));
        if (got < kBlockBytes) finished_ = true;
      }
      changed_.notify_all();
      if (got < kBlockBytes) return;
    }
  }

  std::unique_ptr<ByteReader> inner_;
  std::thread worker_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::vector<char>> ready_;   // decoded blocks, oldest first (guarded)
  std::vector<std::vector<char>> spare_;  // consumed blocks to reuse (guarded)
  bool stop_ = false;                     // guarded
  bool finished_ = false;                 // guarded: the worker has read its last block
  std::exception_ptr error_;              // guarded
  std::vector<char> current_;             // consumer side only
  std::size_t position_ = 0;
  bool at_end_ = false;
};

Compression detect_compression(const std::array<char, 8>& head, std::size_t size) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(head[i]); };
  if (size >= 6 && byte(0) == 0xFD && head[1] == '7' && head[2] == 'z' && head[3] == 'X' &&
      head[4] == 'Z' && byte(5) == 0x00) {
    return Compression::Xz;
  }
  if (size >= 4 && head[0] == 'B' && head[1] == 'Z' && head[2] == 'h' && head[3] >= '1' &&
      head[3] <= '9') {
    return Compression::Bzip2;
  }
  if (size >= 2 && byte(0) == 0x1F && byte(1) == 0x8B) return Compression::Gzip;
  return Compression::None;
}

bool is_zstd(const std::array<char, 8>& head, std::size_t size) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(head[i]); };
  return size >= 4 && byte(0) == 0x28 && byte(1) == 0xB5 && byte(2) == 0x2F && byte(3) == 0xFD;
}

std::string describe_zlib_error(int code) {
  if (code == io::zlib::data_error) return "damaged data";
  if (code == io::zlib::buf_error) return "the stream ends early";
  return "zlib error " + std::to_string(code);
}

// What went wrong in a decompressor, in words (Boost's own what() says only "iostream error").
std::string describe_decompression_error(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const io::lzma_error& e) {
    if (e.error() == io::lzma::buf_error) return "the stream ends early";
    if (e.error() == io::lzma::data_error) return "damaged data";
    return "liblzma error " + std::to_string(e.error());
  } catch (const io::bzip2_error& e) {
    if (e.error() == io::bzip2::unexpected_eof) return "the stream ends early";
    if (e.error() == io::bzip2::data_error || e.error() == io::bzip2::data_error_magic) {
      return "damaged data";
    }
    return "libbz2 error " + std::to_string(e.error());
  } catch (const io::gzip_error& e) {
    if (e.error() == io::gzip::bad_crc || e.error() == io::gzip::bad_length) {
      return "checksum or length mismatch";
    }
    if (e.error() == io::gzip::bad_header) return "bad header";
    if (e.error() == io::gzip::bad_footer) return "the stream ends early";
    if (e.error() == io::gzip::zlib_error) return describe_zlib_error(e.zlib_error_code());
    return "gzip error " + std::to_string(e.error());
  } catch (const io::zlib_error& e) {
    return describe_zlib_error(e.error());
  } catch (const std::exception& e) {
    return e.what();
  }
}

// The reader's working memory besides the data: its text block, the blocks decoded ahead, one
// chunk of entries being filled and the decompressor's state (xz's default window is 8 MiB).
constexpr std::uint64_t kReaderWorkingBytes = std::uint64_t{16} << 20;
// Address space needed beyond resident memory, against RLIMIT_AS only: the decompressing thread's
// 8 MiB stack and what malloc maps beyond what it hands out. (The thread's own glibc arena would
// reserve 64 to 128 MiB more, but glibc falls back to the main arena when the address space is
// short.) Measured on a 208.6 MiB dataset: loads need 17 + 240 to 247 MiB of address space.
constexpr std::uint64_t kHelperArenaBytes = std::uint64_t{32} << 20;

std::uint64_t minus(std::uint64_t a, std::uint64_t b) {
  return a > b ? a - b : 0;
}

// The limit for ReadOptions::memory_limit_bytes = 0: the memory available, less the reader's own
// working memory, and the limit's origin in words for the message. No limit known: none.
std::pair<std::uint64_t, std::string> automatic_memory_limit(const AvailableMemory& available,
                                                             bool helper_thread) {
  std::uint64_t least = std::numeric_limits<std::uint64_t>::max();
  std::string from;
  const auto consider = [&](const std::optional<std::uint64_t>& bytes, std::uint64_t less,
                            const char* name) {
    if (bytes && minus(*bytes, less) < least) {
      least = minus(*bytes, less);
      from = name;
    }
  };
  consider(available.system, 0, "MemAvailable in /proc/meminfo");
  consider(available.cgroup, 0, "the cgroup memory limit");
  consider(available.address_space, helper_thread ? kHelperArenaBytes : 0, "RLIMIT_AS (ulimit -v)");
  if (from.empty()) return {least, "no known limit"};
  return {minus(least, kReaderWorkingBytes), from + ", less " +
                                                 std::to_string(kReaderWorkingBytes >> 20) +
                                                 " MiB for the reader's buffers"};
}

// ---------------------------------------------------------------------------------------------
// Entry storage: fixed-size chunks, drained into the final CSR arrays chunk by chunk.

class EntryStore {
 public:
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

  void append(const StorageIndex* index, const double* value, std::size_t n) {
    while (n > 0) {
      if (used_ == kChunkEntries) {
        chunks_.push_back({std::make_unique_for_overwrite<StorageIndex[]>(kChunkEntries),
                           std::make_unique_for_overwrite<double[]>(kChunkEntries)});
        used_ = 0;
      }
      const std::size_t take = std::min(n, kChunkEntries - used_);
      Chunk& chunk = chunks_.back();
      std::copy_n(index, take, chunk.index.get() + used_);
      std::copy_n(value, take, chunk.value.get() + used_);
      used_ += take;
      size_ += take;
      index += take;
      value += take;
      n -= take;
    }
  }

  // Copies every entry out in order, freeing each chunk once copied, so that the peak is the
  // destination plus one chunk.
  void drain_into(StorageIndex* index, double* value) {
    std::size_t left = size_;
    for (Chunk& chunk : chunks_) {
      const std::size_t take = std::min(left, kChunkEntries);
      std::copy_n(chunk.index.get(), take, index);
      std::copy_n(chunk.value.get(), take, value);
      index += take;
      value += take;
      left -= take;
      chunk.index.reset();
      chunk.value.reset();
    }
    chunks_.clear();
    size_ = 0;
    used_ = kChunkEntries;
  }

 private:
  struct Chunk {
    std::unique_ptr<StorageIndex[]> index;
    std::unique_ptr<double[]> value;
  };
  std::vector<Chunk> chunks_;
  std::size_t used_ = kChunkEntries;  // entries used in the last chunk (full: none allocated)
  std::size_t size_ = 0;
};

// ---------------------------------------------------------------------------------------------
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

  Dataset build(std::string name, ReadReport* report, Compression compression,
                std::uint64_t total_bytes);

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

const char* Parser::parse(const char* begin, const char* end, std::uint64_t offset, bool eof) {
  begin_ = begin;
  end_ = end;
  offset_ = offset;
  eof_ = eof;
  cut_ = false;
  const char* p = begin;
  while (p < end) {
    switch (state_) {
      case State::Comment: {
        const auto* newline =
            static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
        if (newline == nullptr) return end;
        p = end_line(newline);
        break;
      }
      case State::LineStart: {
        while (p < end && is_blank(*p))
          ++p;
        if (p == end) return end;
        if (*p == '\n') {
          p = end_line(p);
        } else if (*p == '#') {
          state_ = State::Comment;
          ++p;
        } else {
          p = parse_label(p);
          if (cut_) return p;
          state_ = State::Row;
        }
        break;
      }
      case State::Row: {
        p = parse_pairs(p);
        if (cut_) return p;
        break;
      }
    }
  }
  return p;
}

const char* Parser::end_line(const char* newline) {
  if (row_open_) finish_row();
  ++line_;
  line_start_ = offset_ + static_cast<std::uint64_t>(newline + 1 - begin_);
  state_ = State::LineStart;
  return newline + 1;
}

const char* Parser::parse_label(const char* p) {
  const char* token = p;
  const bool plus = *p == '+';
  if (plus) ++p;
  double label = 0.0;
  const auto [stop, ec] = std::from_chars(p, end_, label);
  const bool bad_sign = plus && p < end_ && (*p == '-' || *p == '+');
  const bool terminated = stop < end_ ? ends_token(*stop) : eof_;
  if (ec != std::errc{} || !terminated || bad_sign) [[unlikely]] {
    if (is_cut(token)) return cut_at(token);
    fail_label(token, bad_sign ? std::errc::invalid_argument : ec);
  }
  if (!std::isfinite(label)) [[unlikely]] {
    fail_at(token, "label '" + quote({token, static_cast<std::size_t>(stop - token)}) +
                       "' is not a finite number: write the label as a number such as +1, -1, 0 "
                       "or 1");
  }
  if (labels_.size() >= static_cast<std::size_t>(kMaxStorageIndex)) [[unlikely]] {
    fail_at(token, "more than " + std::to_string(kMaxStorageIndex) +
                       " samples: shine stores 32-bit row indices; split the file");
  }
  classify(label, token, stop);
  labels_.push_back(label);
  row_open_ = true;
  row_unsorted_ = false;
  previous_index_ = 0;
  return stop;
}

void Parser::classify(double label, const char* token, const char* token_stop) {
  if (classes_ > 0 && label == class_value_[0]) return;
  if (classes_ > 1 && label == class_value_[1]) return;
  const std::string text = quote({token, static_cast<std::size_t>(token_stop - token)});
  if (forced_labels_) {
    fail_at(token, "label '" + text + "' is neither of the expected labels (" +
                       options_.labels->to_string() +
                       "): relabel the file, or read it without a forced label map");
  }
  if (classes_ < 2) {
    class_value_[static_cast<std::size_t>(classes_)] = label;
    class_text_[static_cast<std::size_t>(classes_)] = text;
    ++classes_;
    return;
  }
  const bool ascending = class_value_[0] < class_value_[1];
  const std::string& low = class_text_[ascending ? 0 : 1];
  const std::string& high = class_text_[ascending ? 1 : 0];
  fail_at(token, "found a third label '" + text + "' (labels so far: " + low + ", " + high +
                     "): shine handles binary classification only; map the labels to two "
                     "classes first");
}

const char* Parser::parse_pairs(const char* p) {
  for (;;) {
    while (p < end_ && is_blank(*p))
      ++p;
    if (p == end_) return p;
    if (*p == '\n') return end_line(p);
    if (*p == '#') {
      state_ = State::Comment;
      return p + 1;
    }
    const char* token = p;
    std::int64_t index = 0;
    const auto [colon, ec] = std::from_chars(p, end_, index);
    if (ec != std::errc{} || colon == end_ || *colon != ':') [[unlikely]] {
      if (is_cut(token)) return cut_at(token);
      if (end_ - token >= 4 && std::memcmp(token, "qid:", 4) == 0) {
        p = skip_qid(token);
        continue;
      }
      fail_index(token);
    }
    bool drop = false;
    if (index < 1 || index > limit_) [[unlikely]] {
      drop = out_of_range_index(index, token);
    }
    const char* value_begin = colon + 1;
    const bool plus = value_begin < end_ && *value_begin == '+';
    const char* digits = plus ? value_begin + 1 : value_begin;
    double value = 0.0;
    const auto [stop, ec_value] = std::from_chars(digits, end_, value);
    if (ec_value != std::errc{} || stop == end_ || !ends_token(*stop) ||
        (plus && digits < end_ && (*digits == '-' || *digits == '+'))) [[unlikely]] {
      const bool bad_sign = plus && digits < end_ && (*digits == '-' || *digits == '+');
      const bool ends_file = ec_value == std::errc{} && stop == end_ && eof_ && !bad_sign;
      if (!ends_file) {
        if (is_cut(token)) return cut_at(token);
        fail_value(token, value_begin, stop, ec_value, bad_sign);
      }
    }
    if (!std::isfinite(value)) [[unlikely]] {
      fail_value(token, value_begin, stop, std::errc::result_out_of_range, false);
    }
    p = stop;
    if (drop) continue;
    if (index <= previous_index_) [[unlikely]] {
      if (index == previous_index_) {
        fail_at(token, "index " + std::to_string(index) +
                           " appears twice in this sample: merge or remove the duplicate entry");
      }
      row_unsorted_ = true;
    }
    previous_index_ = index;
    if (index > max_index_) max_index_ = index;
    row_index_.push_back(static_cast<StorageIndex>(index - 1));
    row_value_.push_back(value);
    row_column_.push_back(column_of(token));
  }
}

bool Parser::out_of_range_index(std::int64_t index, const char* token) {
  if (index < 1) {
    fail_at(token, "index " + std::to_string(index) +
                       " is not allowed: LIBSVM indices start at 1 (shift 0-based indices by one)");
  }
  if (index > kMaxStorageIndex) {
    fail_at(token, "index " + std::to_string(index) + " is too large: indices are limited to " +
                       std::to_string(kMaxStorageIndex));
  }
  if (options_.n_features > 0) {
    if (index > max_index_) max_index_ = index;
    if (options_.drop_extra_features) {
      ++dropped_;
      return true;
    }
    fail_at(token, "index " + std::to_string(index) + " is beyond the forced feature count " +
                       std::to_string(options_.n_features) +
                       " (ReadOptions::n_features): pass the training file's feature count with "
                       "drop_extra_features to ignore such entries, or fix the file");
  }
  fail_at(token, "index " + std::to_string(index) + " exceeds ReadOptions::max_features = " +
                     std::to_string(options_.max_features) +
                     ": raise that limit if the file really has this many features");
}

const char* Parser::skip_qid(const char* token) const {
  const char* digits = token + 4;
  std::int64_t qid = 0;
  const auto [stop, ec] = std::from_chars(digits, end_, qid);
  const bool terminated = stop < end_ ? ends_token(*stop) : eof_;
  if (ec != std::errc{} || !terminated) {
    fail_at(token, "malformed qid '" +
                       quote({token, static_cast<std::size_t>(token_end(token) - token)}) +
                       "': expected qid:N with a whole number N");
  }
  return stop;
}

void Parser::fail_label(const char* token, std::errc ec) const {
  const char* token_stop = token_end(token);
  const std::string_view text{token, static_cast<std::size_t>(token_stop - token)};
  if (text.find(':') != std::string_view::npos) {
    fail_at(token, "missing label: the line starts with the pair '" + quote(text) +
                       "'; each sample line must begin with its label (e.g. +1 or -1)");
  }
  if (ec == std::errc::result_out_of_range) {
    fail_at(token, "label '" + quote(text) +
                       "' is not a finite number: write the label as a number such as +1, -1, 0 "
                       "or 1");
  }
  fail_at(token, "label '" + quote(text) +
                     "' is not a number: write the label as a number such as +1, -1, 0 or 1");
}

void Parser::fail_index(const char* token) const {
  const char* token_stop = token_end(token);
  const std::string_view text{token, static_cast<std::size_t>(token_stop - token)};
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    fail_at(token,
            "malformed pair '" + quote(text) + "': expected INDEX:VALUE, the ':' is missing");
  }
  const std::string_view index_text = text.substr(0, colon);
  if (index_text.empty()) {
    fail_at(token, "malformed pair '" + quote(text) + "': the index before ':' is missing");
  }
  std::int64_t index = 0;
  const auto [stop, ec] =
      std::from_chars(index_text.data(), index_text.data() + index_text.size(), index);
  if (ec == std::errc::result_out_of_range && stop == index_text.data() + index_text.size()) {
    fail_at(token, "index " + quote(index_text) + " is too large: indices are limited to " +
                       std::to_string(kMaxStorageIndex));
  }
  fail_at(token, "malformed pair '" + quote(text) + "': the index '" + quote(index_text) +
                     "' is not a whole number");
}

void Parser::fail_value(const char* token, const char* value, const char* stop, std::errc ec,
                        bool bad_sign) const {
  const char* token_stop = token_end(token);
  const std::string pair = quote({token, static_cast<std::size_t>(token_stop - token)});
  const std::string value_text = quote({value, static_cast<std::size_t>(token_stop - value)});
  const std::string index_text{token, static_cast<std::size_t>(value - 1 - token)};
  if (value == token_stop) {
    fail_at(token, "malformed pair '" + pair + "': the value after ':' is missing");
  }
  if (ec == std::errc::invalid_argument || bad_sign) {
    fail_at(value, "malformed pair '" + pair + "': the value '" + value_text + "' is not a number");
  }
  if (ec == std::errc::result_out_of_range || (ec == std::errc{} && stop >= token_stop)) {
    // Out of range (1e400, 1e-400) or a NaN / infinity spelled out.
    fail_at(value, "value '" + value_text + "' at index " + index_text +
                       " is not a finite double: NaN, infinities and numbers outside the "
                       "double range (|v| > 1.8e308, or 0 < |v| < 4.9e-324) are not allowed");
  }
  fail_at(stop, "malformed pair '" + pair + "': unexpected '" + std::string(1, *stop) +
                    "' after the value; separate pairs with spaces");
}

void Parser::finish_row() {
  const std::size_t n = row_index_.size();
  if (row_unsorted_) {
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [this](std::size_t a, std::size_t b) {
      return row_index_[a] != row_index_[b] ? row_index_[a] < row_index_[b]
                                            : row_column_[a] < row_column_[b];
    });
    for (std::size_t k = 1; k < n; ++k) {
      if (row_index_[order[k]] == row_index_[order[k - 1]]) {
        fail_here(row_column_[order[k]],
                  "index " + std::to_string(Index{row_index_[order[k]]} + 1) +
                      " appears twice in this sample: merge or remove the duplicate entry");
      }
    }
    std::vector<StorageIndex> index(n);
    std::vector<double> value(n);
    for (std::size_t k = 0; k < n; ++k) {
      index[k] = row_index_[order[k]];
      value[k] = row_value_[order[k]];
    }
    row_index_.swap(index);
    row_value_.swap(value);
  }
  if (store_.size() + n > static_cast<std::size_t>(kMaxStorageIndex)) {
    fail_here(0, "more than " + std::to_string(kMaxStorageIndex) +
                     " non-zeros: shine stores 32-bit indices; split the file");
  }
  store_.append(row_index_.data(), row_value_.data(), n);
  row_end_.push_back(static_cast<StorageIndex>(store_.size()));
  row_index_.clear();
  row_value_.clear();
  row_column_.clear();
  row_open_ = false;
  if (store_.size() + labels_.size() >= next_memory_check_) [[unlikely]] {
    check_memory(false, options_.n_features > 0 ? options_.n_features : max_index_);
  }
}

void Parser::check_memory(bool whole, Index cols) {
  const auto rows = static_cast<std::uint64_t>(labels_.size());
  const auto nnz = static_cast<std::uint64_t>(store_.size());
  const std::uint64_t needed = dataset_bytes(rows, nnz, static_cast<std::uint64_t>(cols));
  if (needed <= memory_limit_) {
    next_memory_check_ = store_.size() + labels_.size() + kMemoryCheckEvery;
    return;
  }
  std::string what = source_ + ": not enough memory to load this file: ";
  if (whole) {
    what += "its " + with_commas(rows) + " rows, " + with_commas(static_cast<std::uint64_t>(cols)) +
            " features and " + with_commas(nnz) + " non-zeros need " + format_bytes(needed);
  } else {
    what += "the first " + with_commas(rows) + " rows (" + with_commas(nnz) +
            " non-zeros, up to line " + std::to_string(line_) + ") already need " +
            format_bytes(needed);
  }
  what += " with the transpose shine stores, and " + format_bytes(memory_limit_) +
          " is available (" + memory_limit_source_ +
          "); use a smaller file (fewer rows: cut it by lines), or a machine with more memory";
  throw MemoryLimitError(source_, line_, needed, memory_limit_, what);
}

void Parser::finish(std::uint64_t total_bytes) {
  if (row_open_) finish_row();
  // line_ counts the line after the last newline; it exists only if it holds bytes.
  if (line_start_ == total_bytes) --line_;
}

Dataset Parser::build(std::string name, ReadReport* report, Compression compression,
                      std::uint64_t total_bytes) {
  if (total_bytes == 0) {
    throw ParseError(source_, 0, 0,
                     "the file is empty: expected lines 'LABEL INDEX:VALUE INDEX:VALUE ...'");
  }
  if (labels_.empty()) {
    throw ParseError(source_, 0, 0,
                     "no samples: all " + std::to_string(line_) +
                         " lines are blank or comments; expected lines 'LABEL INDEX:VALUE ...'");
  }
  LabelMap map;
  if (forced_labels_) {
    map = *options_.labels;
  } else {
    map = LabelMap::from_classes(
        class_value_[0], classes_ == 2 ? std::optional<double>(class_value_[1]) : std::nullopt);
  }

  const auto rows = static_cast<Index>(labels_.size());
  const Index cols = options_.n_features > 0 ? options_.n_features : max_index_;
  const auto nnz = static_cast<Index>(store_.size());
  check_memory(true, cols);

  Vector y(rows);
  for (Index i = 0; i < rows; ++i) {
    y[i] = labels_[static_cast<std::size_t>(i)] == map.positive ? 1.0 : -1.0;
  }
  labels_ = {};

  SparseMatrix X(rows, cols);
  X.resizeNonZeros(nnz);
  StorageIndex* row_ptr = X.outerIndexPtr();
  row_ptr[0] = 0;
  std::copy(row_end_.begin(), row_end_.end(), row_ptr + 1);
  row_end_ = {};
  store_.drain_into(X.innerIndexPtr(), X.valuePtr());

  if (report != nullptr) {
    report->compression = compression;
    report->lines = line_;
    report->dropped_entries = dropped_;
    report->max_index = max_index_;
    report->text_bytes = total_bytes;
  }
  return make_dataset(std::move(X), std::move(y), std::move(name), map);
}

std::string default_name(const std::string& source_name) {
  const std::filesystem::path path(source_name);
  const std::string file = path.filename().string();
  return file.empty() ? source_name : file;
}

Dataset read_stream(std::istream& input, const std::string& source, const std::string& name,
                    const ReadOptions& options, ReadReport* report) {
  options.validate();

  std::array<char, 8> head{};
  input.read(head.data(), 6);
  if (input.bad()) {
    throw std::runtime_error("cannot read '" + source + "': " + std::strerror(errno));
  }
  const auto head_size = static_cast<std::size_t>(input.gcount());
  if (is_zstd(head, head_size)) {
    throw ParseError(source, 0, 0,
                     "zstd-compressed input is not supported: decompress it first (zstd -d) or "
                     "re-compress it with xz, bzip2 or gzip");
  }
  const Compression compression = detect_compression(head, head_size);
  const bool helper_thread = compression != Compression::None && options.decompress_in_background;
  // Read before the reader's thread starts: the address space it reserves is allowed for apart.
  const std::pair<std::uint64_t, std::string> memory_limit =
      options.memory_limit_bytes > 0
          ? std::pair{options.memory_limit_bytes, std::string("ReadOptions::memory_limit_bytes")}
          : automatic_memory_limit(available_memory(), helper_thread);
  PrefixedSource raw(&input, head, head_size);
  std::unique_ptr<ByteReader> reader;
  if (compression == Compression::None) {
    reader = std::make_unique<PlainReader>(raw);
  } else {
    reader = std::make_unique<DecompressingReader>(compression, raw);
    if (helper_thread) {
      reader = std::make_unique<PrefetchingReader>(std::move(reader));
    }
  }

  Parser parser(source, options);
  parser.set_memory_limit(memory_limit.first, memory_limit.second);
  std::vector<char> buffer(kMaxTokenBytes + kBlockBytes);
  std::size_t carry = 0;            // bytes of a cut token kept at the front of the buffer
  std::uint64_t buffer_offset = 0;  // text offset of buffer[0]
  for (;;) {
    std::size_t got = 0;
    try {
      got = reader->read(buffer.data() + carry, kBlockBytes);
    } catch (const std::ios_base::failure& e) {
      if (compression == Compression::None) {
        throw std::runtime_error("cannot read '" + source + "': " + e.what());
      }
      // Boost's lzma / bzip2 / gzip errors: a damaged or truncated compressed stream.
      parser.fail_here(0, std::string("the ") + to_string(compression) +
                              " stream is corrupt or truncated (" +
                              describe_decompression_error(std::current_exception()) +
                              "): re-create or re-download the file");
    } catch (const std::runtime_error& e) {
      throw std::runtime_error("cannot read '" + source + "': " + e.what());
    }
    const bool eof = got < kBlockBytes;
    const char* begin = buffer.data();
    const char* end = begin + carry + got;
    const char* stop = parser.parse(begin, end, buffer_offset, eof);
    if (eof) {
      buffer_offset += static_cast<std::uint64_t>(end - begin);
      break;
    }
    const auto rest = static_cast<std::size_t>(end - stop);
    std::memmove(buffer.data(), stop, rest);
    buffer_offset += static_cast<std::uint64_t>(stop - begin);
    carry = rest;
  }
  parser.finish(buffer_offset);
  buffer = {};
  reader.reset();
  return parser.build(name, report, compression, buffer_offset);
}

// ---------------------------------------------------------------------------------------------
// Writer.

Compression compression_from_extension(const std::filesystem::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (extension == ".xz") return Compression::Xz;
  if (extension == ".bz2") return Compression::Bzip2;
  if (extension == ".gz") return Compression::Gzip;
  return Compression::None;
}

void write_text(const Dataset& data, std::ostream& output, const WriteOptions& options) {
  const bool plain_signs = !options.original_labels || data.labels.is_identity();
  const std::string positive = plain_signs ? "+1" : format_number(data.labels.positive);
  const std::string negative = plain_signs ? "-1" : format_number(data.labels.negative);

  const StorageIndex* row_ptr = data.X.outerIndexPtr();
  const StorageIndex* col = data.X.innerIndexPtr();
  const double* val = data.X.valuePtr();
  const StorageIndex* inner_nnz = data.X.innerNonZeroPtr();

  std::string out;
  constexpr std::size_t kFlushBytes = std::size_t{1} << 20;
  out.reserve(kFlushBytes + 4096);
  std::array<char, 64> number{};
  for (Index i = 0; i < data.rows(); ++i) {
    const double label = data.y[i];
    if (label != 1.0 && label != -1.0) {
      throw std::runtime_error("label of row " + std::to_string(i) + " is " + format_number(label) +
                               ", must be -1 or +1");
    }
    out += label > 0.0 ? positive : negative;
    const StorageIndex begin = row_ptr[i];
    const StorageIndex end = inner_nnz != nullptr ? begin + inner_nnz[i] : row_ptr[i + 1];
    for (StorageIndex k = begin; k < end; ++k) {
      if (!std::isfinite(val[k])) {
        throw std::runtime_error("X(" + std::to_string(i) + ", " + std::to_string(col[k]) +
                                 ") is not finite; LIBSVM files hold finite values only");
      }
      char* p = number.data();
      *p++ = ' ';
      p = std::to_chars(p, number.data() + number.size(), Index{col[k]} + 1).ptr;
      *p++ = ':';
      p = std::to_chars(p, number.data() + number.size(), val[k]).ptr;
      out.append(number.data(), p);
    }
    out += '\n';
    if (out.size() >= kFlushBytes) {
      output.write(out.data(), static_cast<std::streamsize>(out.size()));
      out.clear();
    }
  }
  output.write(out.data(), static_cast<std::streamsize>(out.size()));
  output.flush();
  if (!output) throw std::runtime_error("write error");
}

}  // namespace

ParseError::ParseError(std::string file, std::int64_t line, std::int64_t column,
                       const std::string& problem)
    : std::runtime_error(format_position(file, line, column, problem)),
      file_(std::move(file)),
      line_(line),
      column_(column),
      problem_(problem) {}

MemoryLimitError::MemoryLimitError(std::string file, std::int64_t line, std::uint64_t needed_bytes,
                                   std::uint64_t available_bytes, const std::string& message)
    : std::runtime_error(message),
      file_(std::move(file)),
      line_(line),
      needed_(needed_bytes),
      available_(available_bytes) {}

void ReadOptions::validate() const {
  require(n_features >= 0 && n_features <= kMaxStorageIndex, "ReadOptions::n_features", n_features,
          "must be in 0 .. 2147483647 (0: inferred from the file)");
  require(max_features >= 1 && max_features <= kMaxStorageIndex, "ReadOptions::max_features",
          max_features, "must be in 1 .. 2147483647");
  if (labels) {
    require(std::isfinite(labels->negative), "ReadOptions::labels.negative", labels->negative,
            "must be finite");
    require(std::isfinite(labels->positive), "ReadOptions::labels.positive", labels->positive,
            "must be finite");
    require(labels->negative != labels->positive, "ReadOptions::labels.positive", labels->positive,
            "must differ from labels.negative");
  }
}

const char* to_string(Compression compression) noexcept {
  switch (compression) {
    case Compression::None:
      return "none";
    case Compression::Xz:
      return "xz";
    case Compression::Bzip2:
      return "bzip2";
    case Compression::Gzip:
      return "gzip";
  }
  return "unknown";
}

Dataset read_libsvm(const std::filesystem::path& path, const ReadOptions& options,
                    ReadReport* report) {
  options.validate();
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    throw std::runtime_error("cannot open '" + path.string() + "': " + std::strerror(errno));
  }
  const std::string name = options.name.empty() ? path.filename().string() : options.name;
  return read_stream(file, path.string(), name, options, report);
}

Dataset read_libsvm(std::istream& input, const std::string& source_name, const ReadOptions& options,
                    ReadReport* report) {
  const std::string name = options.name.empty() ? default_name(source_name) : options.name;
  return read_stream(input, source_name, name, options, report);
}

void write_libsvm(const Dataset& data, std::ostream& output, const WriteOptions& options) {
  write_text(data, output, options);
}

void write_libsvm(const Dataset& data, const std::filesystem::path& path,
                  const WriteOptions& options) {
  const Compression compression = options.compression.value_or(compression_from_extension(path));
  try {
    // Temporary, fsync and rename: a kill leaves the old file or the new one, never a torn one.
    AtomicFile file(path);
    if (compression == Compression::None) {
      write_text(data, file.stream(), options);
    } else {
      io::filtering_ostream out;
      switch (compression) {
        case Compression::Xz:
          out.push(io::lzma_compressor(io::lzma_params(io::lzma::default_compression)));
          break;
        case Compression::Bzip2:
          out.push(io::bzip2_compressor());
          break;
        case Compression::Gzip:
          out.push(io::gzip_compressor());
          break;
        case Compression::None:
          break;
      }
      out.push(file.stream());
      write_text(data, out, options);
      out.reset();  // flushes and closes the compressor, which writes its trailer
    }
    file.commit();
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot write '" + path.string() + "': " + e.what());
  }
}

}  // namespace shine::data
