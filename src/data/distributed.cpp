// Reading one process's rows of a LIBSVM file (distributed.hpp): the byte range of the process,
// widened to whole lines, is parsed by the reader's own loop (detail::read_stream) through a
// stream that ends with the range; before the matrices are built the processes agree on the
// feature count, the label mapping and whether any of them failed (one gather), then on the row
// offsets (a second one).
//
// A range [begin, end) of the file's bytes holds the lines that start in it: a line starts at
// offset 0 or after a '\n'. So a process reads from the first line start at or after `begin`
// to the first line start at or after `end`, which is where the next process starts.

#include "shine/data/distributed.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <exception>
#include <fstream>
#include <new>
#include <optional>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <utility>
#include <vector>

#include "data/byte_source.hpp"
#include "data/libsvm_parser.hpp"

namespace shine::data {
namespace {

// An input stream buffer over bytes [begin, end) of a file.
class RangeBuffer : public std::streambuf {
 public:
  RangeBuffer(std::ifstream& file, std::uint64_t begin, std::uint64_t end)
      : file_(file), left_(end - begin) {
    file_.seekg(static_cast<std::streamoff>(begin));
  }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    if (left_ == 0) return traits_type::eof();
    const auto want = static_cast<std::streamsize>(std::min<std::uint64_t>(left_, buffer_.size()));
    file_.read(buffer_.data(), want);
    const std::streamsize got = file_.gcount();
    if (got <= 0) {
      if (file_.bad()) throw std::runtime_error(std::strerror(errno));
      return traits_type::eof();
    }
    left_ -= static_cast<std::uint64_t>(got);
    setg(buffer_.data(), buffer_.data(), buffer_.data() + got);
    return traits_type::to_int_type(*gptr());
  }

 private:
  std::ifstream& file_;
  std::uint64_t left_;
  std::array<char, 1 << 16> buffer_{};
};

std::ifstream open(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    throw std::runtime_error("cannot open '" + path.string() + "': " + std::strerror(errno));
  }
  return file;
}

// The first line start at or after `offset` in a file of `size` bytes.
std::uint64_t line_start_at_or_after(std::ifstream& file, std::uint64_t offset,
                                     std::uint64_t size) {
  if (offset == 0 || offset >= size) return std::min(offset, size);
  file.clear();
  file.seekg(static_cast<std::streamoff>(offset - 1));
  std::array<char, 1 << 16> block{};
  std::uint64_t position = offset - 1;
  while (position < size) {
    file.read(block.data(), static_cast<std::streamsize>(block.size()));
    const auto got = static_cast<std::size_t>(file.gcount());
    if (got == 0) break;
    const char* newline = static_cast<const char*>(std::memchr(block.data(), '\n', got));
    if (newline != nullptr)
      return position + static_cast<std::uint64_t>(newline - block.data()) + 1;
    position += got;
  }
  return size;
}

// Lines before byte `offset` (the '\n's in [0, offset)): added to the line numbers of a part's
// errors, which count from its first line. Read only when an error is reported.
std::int64_t lines_before(const std::filesystem::path& path, std::uint64_t offset) {
  std::ifstream file = open(path);
  std::array<char, 1 << 16> block{};
  std::int64_t lines = 0;
  std::uint64_t left = offset;
  while (left > 0) {
    file.read(block.data(),
              static_cast<std::streamsize>(std::min<std::uint64_t>(left, block.size())));
    const auto got = static_cast<std::size_t>(file.gcount());
    if (got == 0) break;
    lines += std::count(block.data(), block.data() + got, '\n');
    left -= got;
  }
  return lines;
}

// A byte buffer written and read field by field, for the messages of the agreement.
class Message {
 public:
  Message() = default;
  explicit Message(std::vector<std::byte> bytes) : bytes_(std::move(bytes)) {}
  template <typename T>
  void put(const T& value) {
    const auto* p = reinterpret_cast<const std::byte*>(&value);
    bytes_.insert(bytes_.end(), p, p + sizeof(T));
  }
  void put(const std::string& text) {
    put(static_cast<std::uint64_t>(text.size()));
    const auto* p = reinterpret_cast<const std::byte*>(text.data());
    bytes_.insert(bytes_.end(), p, p + text.size());
  }
  template <typename T>
  T get() {
    T value{};
    std::memcpy(&value, bytes_.data() + at_, sizeof(T));
    at_ += sizeof(T);
    return value;
  }
  std::string get_string() {
    const auto size = get<std::uint64_t>();
    std::string text(reinterpret_cast<const char*>(bytes_.data() + at_), size);
    at_ += size;
    return text;
  }
  [[nodiscard]] const std::vector<std::byte>& bytes() const noexcept { return bytes_; }

 private:
  std::vector<std::byte> bytes_;
  std::size_t at_ = 0;
};

// What went wrong on a process, to be thrown again on every process.
struct Failure {
  enum Kind : std::int32_t {
    Parse,
    UnexpectedLabel,
    Memory,
    Runtime,
    InvalidArgument,
    Alloc,
    FeatureBeyondCount
  };
  std::int32_t kind = Runtime;
  std::string file, problem, label;
  std::int64_t line = 0, column = 0;
  std::uint64_t needed = 0, available = 0;
  std::int64_t index = 0, limit = 0;  // FeatureBeyondCount

  // `line_offset`: lines of the file before this process's part.
  static Failure from_current(std::int64_t line_offset) {
    Failure f;
    try {
      throw;
    } catch (const UnexpectedLabelError& e) {
      f = {UnexpectedLabel, e.file(), e.problem(), e.label(), e.line() + line_offset, e.column()};
    } catch (const FeatureBeyondCountError& e) {
      f = {FeatureBeyondCount, e.file(), e.problem(), {}, e.line() + line_offset, e.column()};
      f.index = e.index();
      f.limit = e.limit();
    } catch (const ParseError& e) {
      // Line 0: the file as a whole; its line numbers otherwise count from the part's start.
      f = {Parse, e.file(), e.problem(), {}, e.line() > 0 ? e.line() + line_offset : 0, e.column()};
    } catch (const MemoryLimitError& e) {
      f = {Memory, e.file(), e.what(), {}, e.line() + line_offset, 0};
      f.needed = e.needed_bytes();
      f.available = e.available_bytes();
    } catch (const std::invalid_argument& e) {
      f.kind = InvalidArgument;
      f.problem = e.what();
    } catch (const std::bad_alloc&) {
      f.kind = Alloc;
    } catch (const std::exception& e) {
      f.problem = e.what();
    }
    return f;
  }

  void write(Message& m) const {
    m.put(kind);
    m.put(file);
    m.put(problem);
    m.put(label);
    m.put(line);
    m.put(column);
    m.put(needed);
    m.put(available);
    m.put(index);
    m.put(limit);
  }
  static Failure read(Message& m) {
    Failure f;
    f.kind = m.get<std::int32_t>();
    f.file = m.get_string();
    f.problem = m.get_string();
    f.label = m.get_string();
    f.line = m.get<std::int64_t>();
    f.column = m.get<std::int64_t>();
    f.needed = m.get<std::uint64_t>();
    f.available = m.get<std::uint64_t>();
    f.index = m.get<std::int64_t>();
    f.limit = m.get<std::int64_t>();
    return f;
  }

  [[noreturn]] void raise() const {
    switch (kind) {
      case Parse:
        throw ParseError(file, line, column, problem);
      case UnexpectedLabel:
        throw UnexpectedLabelError(file, line, column, label, problem);
      case FeatureBeyondCount:
        throw FeatureBeyondCountError(file, line, column, index, limit, problem);
      case Memory:
        throw MemoryLimitError(file, line, needed, available, problem);
      case InvalidArgument:
        throw std::invalid_argument(problem);
      case Alloc:
        throw std::bad_alloc();
      default:
        throw std::runtime_error(problem);
    }
  }
};

// One status per process, gathered by every process: a failure, or what the parser saw. Throws
// the first failure (by rank) on every process; otherwise returns every process's status.
struct Status {
  bool ok = true;
  Failure failure;
  std::int64_t rows = 0, max_index = 0, bytes = 0;
  std::int32_t classes = 0;
  std::array<double, 2> class_value{};
};

std::vector<Status> agree(const core::Communicator& communicator, const Status& mine) {
  Message m;
  m.put(static_cast<std::int32_t>(mine.ok ? 1 : 0));
  if (mine.ok) {
    m.put(mine.rows);
    m.put(mine.max_index);
    m.put(mine.bytes);
    m.put(mine.classes);
    m.put(mine.class_value);
  } else {
    mine.failure.write(m);
  }
  std::vector<std::size_t> sizes;
  Message all(communicator.gather_varying(m.bytes(), &sizes));
  std::vector<Status> statuses(sizes.size());
  for (Status& status : statuses) {
    status.ok = all.get<std::int32_t>() != 0;
    if (status.ok) {
      status.rows = all.get<std::int64_t>();
      status.max_index = all.get<std::int64_t>();
      status.bytes = all.get<std::int64_t>();
      status.classes = all.get<std::int32_t>();
      status.class_value = all.get<std::array<double, 2>>();
    } else {
      status.failure = Failure::read(all);
    }
  }
  for (const Status& status : statuses) {
    if (!status.ok) status.failure.raise();
  }
  return statuses;
}

// The feature count and label mapping of the whole file, from every process's status.
detail::Parser::PartBuild whole_file(const std::vector<Status>& statuses,
                                     const ReadOptions& options, const std::string& source) {
  detail::Parser::PartBuild build;
  std::int64_t rows = 0, bytes = 0;
  std::vector<double> classes;
  for (const Status& status : statuses) {
    rows += status.rows;
    bytes += status.bytes;
    build.cols = std::max<Index>(build.cols, status.max_index);
    for (int k = 0; k < status.classes; ++k) {
      const double value = status.class_value[static_cast<std::size_t>(k)];
      if (std::find(classes.begin(), classes.end(), value) == classes.end()) {
        classes.push_back(value);
      }
    }
  }
  if (bytes == 0) {
    throw ParseError(source, 0, 0,
                     "the file is empty: expected lines 'LABEL INDEX:VALUE INDEX:VALUE ...'");
  }
  if (rows == 0) {
    throw ParseError(source, 0, 0,
                     "no samples: all lines are blank or comments; expected lines 'LABEL "
                     "INDEX:VALUE ...'");
  }
  if (options.n_features > 0) build.cols = options.n_features;
  if (options.labels) {
    build.map = *options.labels;
  } else {
    std::sort(classes.begin(), classes.end());
    if (classes.size() > 2) {
      throw ParseError(source, 0, 0,
                       "found more than two labels (" + std::to_string(classes.size()) +
                           " distinct values across the file's parts): shine handles binary "
                           "classification only; map the labels to two classes first");
    }
    build.map = LabelMap::from_classes(
        classes[0], classes.size() == 2 ? std::optional<double>(classes[1]) : std::nullopt);
  }
  return build;
}

}  // namespace

DatasetPart read_libsvm_part(const std::filesystem::path& path,
                             const core::Communicator& communicator, const ReadOptions& options,
                             ReadReport* report) {
  const std::string source = path.string();
  const std::string name = options.name.empty() ? path.filename().string() : options.name;
  const int rank = communicator.rank();
  const int ranks = communicator.size();
  std::uint64_t begin = 0;
  std::optional<Dataset> data;
  Status mine;
  // 0: before the agreement; 1: in it (a failure there is every process's); 2: after it (the
  // build failed here: reported through the second agreement).
  int stage = 0;
  std::vector<Status> statuses;
  try {
    options.validate();
    std::ifstream file = open(path);
    std::error_code error;
    const std::uint64_t size = std::filesystem::file_size(path, error);
    if (error) throw std::runtime_error("cannot read '" + source + "': " + error.message());
    std::array<char, 8> head{};
    file.read(head.data(), 6);
    const auto head_size = static_cast<std::size_t>(file.gcount());
    if (ranks > 1 && detail::detect_compression(head, head_size) != Compression::None) {
      throw std::invalid_argument(
          "'" + source + "' is compressed (" +
          to_string(detail::detect_compression(head, head_size)) +
          "): a compressed file cannot be cut into byte ranges, one per process; decompress it "
          "first (e.g. xz -dk FILE) and give the plain file");
    }
    begin = line_start_at_or_after(
        file,
        size / static_cast<std::uint64_t>(ranks) * static_cast<std::uint64_t>(rank) +
            size % static_cast<std::uint64_t>(ranks) * static_cast<std::uint64_t>(rank) /
                static_cast<std::uint64_t>(ranks),
        size);
    const std::uint64_t next = static_cast<std::uint64_t>(rank + 1);
    const std::uint64_t end = line_start_at_or_after(
        file,
        size / static_cast<std::uint64_t>(ranks) * next +
            size % static_cast<std::uint64_t>(ranks) * next / static_cast<std::uint64_t>(ranks),
        size);
    file.clear();
    RangeBuffer range(file, begin, end);
    std::istream input(&range);
    const detail::PartAgreement agreement = [&](const detail::Parser& parser) {
      mine.rows = parser.rows();
      mine.max_index = parser.max_index();
      mine.bytes = static_cast<std::int64_t>(end - begin);
      mine.classes = parser.classes();
      mine.class_value = {parser.class_value(0), parser.class_value(1)};
      stage = 1;
      statuses = agree(communicator, mine);
      detail::Parser::PartBuild build = whole_file(statuses, options, source);
      stage = 2;
      return build;
    };
    data = detail::read_stream(input, source, name, options, report, &agreement);
  } catch (...) {
    if (stage == 1) throw;  // every process threw the same error
    mine.ok = false;
    std::int64_t offset = 0;
    try {
      offset = begin > 0 ? lines_before(path, begin) : 0;
    } catch (const std::exception&) {
      offset = 0;
    }
    mine.failure = Failure::from_current(offset);
    (void)agree(communicator, mine);  // throws this failure, or an earlier rank's
    throw;                            // not reached
  }
  // Building the matrices can fail too (the memory check): a second agreement, which also gives
  // the row offsets.
  Status built;
  built.rows = data->rows();
  const std::vector<Status> rows = agree(communicator, built);
  DatasetPart part;
  for (int r = 0; r < ranks; ++r) {
    if (r < rank) part.first_row += rows[static_cast<std::size_t>(r)].rows;
    part.total_rows += rows[static_cast<std::size_t>(r)].rows;
  }
  part.data = std::move(*data);
  part.data.communicator = &communicator;
  return part;
}

std::pair<Index, Index> row_offsets(const Dataset& data) {
  if (data.communicator == nullptr) return {0, data.rows()};
  const std::vector<Index> rows = core::gather_values(*data.communicator, data.rows());
  Index first = 0, total = 0;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (static_cast<int>(r) < data.communicator->rank()) first += rows[r];
    total += rows[r];
  }
  return {first, total};
}

DatasetPart rows_of_rank(const Dataset& whole, const core::Communicator& communicator) {
  const Index n = whole.rows();
  const Index ranks = communicator.size();
  const Index rank = communicator.rank();
  const Index first = n / ranks * rank + n % ranks * rank / ranks;
  const Index last = n / ranks * (rank + 1) + n % ranks * (rank + 1) / ranks;
  std::vector<Index> rows(static_cast<std::size_t>(last - first));
  for (Index i = first; i < last; ++i)
    rows[static_cast<std::size_t>(i - first)] = i;
  DatasetPart part;
  part.data = select_rows(whole, rows, whole.name);
  part.data.communicator = &communicator;
  part.first_row = first;
  part.total_rows = n;
  return part;
}

}  // namespace shine::data
