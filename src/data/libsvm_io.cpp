// The public entry points of the LIBSVM reader (and its error types), and the read loop that
// ties its components together: the byte sources (byte_source.hpp), the parser
// (libsvm_parser.hpp) and its entry store (entry_store.hpp). The writer is libsvm_writer.cpp.
//
// The read loop: the first bytes are sniffed for the compression, the memory limit is fixed
// before the helper thread (if any) starts, then blocks of kBlockBytes are read behind the carry
// (the start of a token cut by the previous block, at most kMaxTokenBytes) and parsed. Invariants
// between iterations: buffer[0, carry) is the cut token, buffer_offset is the text offset of
// buffer[0], and the parser has consumed the text before it. A short read is the last block; the
// byte sources are freed before the matrices are built, so that their buffers and the
// decompressor's state are not part of the peak.

#include "shine/data/libsvm_io.hpp"

#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <exception>
#include <fstream>
#include <ios>
#include <istream>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/check.hpp"
#include "data/byte_source.hpp"
#include "data/libsvm_common.hpp"
#include "data/libsvm_parser.hpp"
#include "data/memory.hpp"

namespace shine::data {
namespace {

using detail::automatic_memory_limit;
using detail::ByteReader;
using detail::describe_decompression_error;
using detail::detect_compression;
using detail::is_zstd;
using detail::kBlockBytes;
using detail::kMaxStorageIndex;
using detail::kMaxTokenBytes;
using detail::make_decompressing_reader;
using detail::make_plain_reader;
using detail::make_prefetching_reader;
using detail::Parser;
using detail::PrefixedSource;
using detail::read_stream;

std::string format_position(const std::string& file, std::int64_t line, std::int64_t column,
                            const std::string& problem) {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + problem;
}

std::string default_name(const std::string& source_name) {
  const std::filesystem::path path(source_name);
  const std::string file = path.filename().string();
  return file.empty() ? source_name : file;
}

}  // namespace

namespace detail {

Dataset read_stream(std::istream& input, const std::string& source, const std::string& name,
                    const ReadOptions& options, ReadReport* report, const PartAgreement* agree) {
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
    reader = make_plain_reader(raw);
  } else {
    reader = make_decompressing_reader(compression, raw);
    if (helper_thread) {
      reader = make_prefetching_reader(std::move(reader));
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
  if (agree != nullptr) {
    const Parser::PartBuild part = (*agree)(parser);
    return parser.build(name, report, compression, buffer_offset, &part);
  }
  return parser.build(name, report, compression, buffer_offset);
}

}  // namespace detail

ParseError::ParseError(std::string file, std::int64_t line, std::int64_t column,
                       const std::string& problem)
    : std::runtime_error(format_position(file, line, column, problem)),
      file_(std::move(file)),
      line_(line),
      column_(column),
      problem_(problem) {}

UnexpectedLabelError::UnexpectedLabelError(std::string file, std::int64_t line, std::int64_t column,
                                           std::string label, const std::string& problem)
    : ParseError(std::move(file), line, column, problem), label_(std::move(label)) {}

FeatureBeyondCountError::FeatureBeyondCountError(std::string file, std::int64_t line,
                                                 std::int64_t column, std::int64_t index,
                                                 std::int64_t limit, const std::string& problem)
    : ParseError(std::move(file), line, column, problem), index_(index), limit_(limit) {}

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
  return read_stream(file, path.string(), name, options, report, nullptr);
}

Dataset read_libsvm(std::istream& input, const std::string& source_name, const ReadOptions& options,
                    ReadReport* report) {
  const std::string name = options.name.empty() ? default_name(source_name) : options.name;
  return read_stream(input, source_name, name, options, report, nullptr);
}

}  // namespace shine::data
