#pragma once
// Private to src/data: the byte sources of the LIBSVM reader, from the caller's stream to the
// uncompressed text the parser reads.
//
// The chain is PrefixedSource (the stream, with the first bytes, already read to detect the
// compression, put back in front) under a ByteReader: the plain reader, or a Boost.Iostreams
// decompressor (xz, bzip2, gzip), optionally run on a helper thread by the prefetching reader.
// Contract of every ByteReader: read(out, n) fills `out` with n bytes, fewer only at the end of
// the input (so a short read is the last one; after it read() returns 0); errors are thrown
// (those of the decompressors derive from std::ios_base::failure, a failing stream's are
// std::runtime_error naming errno). With the
// prefetching reader, the stream is read on the helper thread for as long as the reader exists:
// the caller must not touch it until the reader is destroyed.

#include <array>
#include <boost/iostreams/categories.hpp>
#include <cstddef>
#include <exception>
#include <ios>
#include <istream>
#include <memory>
#include <string>

#include "shine/data/libsvm_io.hpp"

namespace shine::data::detail {

// A Boost.Iostreams source that first returns the bytes already read to detect the compression,
// then the rest of the stream.
class PrefixedSource {
 public:
  using char_type = char;
  using category = boost::iostreams::source_tag;

  // `input` must outlive the source; `prefix` holds the `prefix_size` bytes already read from it.
  PrefixedSource(std::istream* input, std::array<char, 8> prefix, std::size_t prefix_size)
      : input_(input), prefix_(prefix), prefix_size_(prefix_size) {}

  std::streamsize read(char* out, std::streamsize n);

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

// The stream as it is (no compression).
std::unique_ptr<ByteReader> make_plain_reader(PrefixedSource source);
// The stream decompressed (`compression` is not None).
std::unique_ptr<ByteReader> make_decompressing_reader(Compression compression,
                                                      PrefixedSource source);
// `inner` run on a helper thread, a few blocks ahead of the caller (see byte_source.cpp).
std::unique_ptr<ByteReader> make_prefetching_reader(std::unique_ptr<ByteReader> inner);

// The compression announced by the first `size` bytes of a stream (its magic number).
Compression detect_compression(const std::array<char, 8>& head, std::size_t size);

// Whether the first `size` bytes of a stream are the zstd magic number (not supported).
bool is_zstd(const std::array<char, 8>& head, std::size_t size);

// What went wrong in a decompressor, in words (Boost's own what() says only "iostream error").
std::string describe_decompression_error(const std::exception_ptr& error);

}  // namespace shine::data::detail
