// The LIBSVM parser (see libsvm_parser.hpp for its state across blocks) and the automatic memory
// limit of the reader.

#include "data/libsvm_parser.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <numeric>
#include <optional>
#include <string_view>

namespace shine::data::detail {
namespace {

// Bytes of a Dataset with these counts (Dataset::memory_bytes): X and its stored transpose, 12
// bytes per non-zero each, their row pointers and the labels.
std::uint64_t dataset_bytes(std::uint64_t rows, std::uint64_t nnz, std::uint64_t cols) {
  constexpr std::uint64_t entry = sizeof(double) + sizeof(StorageIndex);
  return 2 * nnz * entry + (rows + 1 + cols + 1) * sizeof(StorageIndex) + rows * sizeof(double);
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

}  // namespace

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
    throw UnexpectedLabelError(source_, line_, column_of(token), text,
                               "label '" + text + "' is neither of the expected labels (" +
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
    // A dropped entry is counted once its value has been read (below): a value cut by the end of
    // the block is parsed again with the next one.
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
    if (drop) {
      ++dropped_;
      continue;
    }
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
    if (options_.drop_extra_features) return true;
    throw FeatureBeyondCountError(
        source_, line_, column_of(token), index, options_.n_features,
        "index " + std::to_string(index) + " is beyond the forced feature count " +
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
                      std::uint64_t total_bytes, const PartBuild* part) {
  if (total_bytes == 0 && part == nullptr) {
    throw ParseError(source_, 0, 0,
                     "the file is empty: expected lines 'LABEL INDEX:VALUE INDEX:VALUE ...'");
  }
  if (labels_.empty() && part == nullptr) {
    throw ParseError(source_, 0, 0,
                     "no samples: all " + std::to_string(line_) +
                         " lines are blank or comments; expected lines 'LABEL INDEX:VALUE ...'");
  }
  LabelMap map;
  if (part != nullptr) {
    map = part->map;
  } else if (forced_labels_) {
    map = *options_.labels;
  } else {
    map = LabelMap::from_classes(
        class_value_[0], classes_ == 2 ? std::optional<double>(class_value_[1]) : std::nullopt);
  }

  const auto rows = static_cast<Index>(labels_.size());
  const Index cols =
      part != nullptr ? part->cols : (options_.n_features > 0 ? options_.n_features : max_index_);
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

}  // namespace shine::data::detail
