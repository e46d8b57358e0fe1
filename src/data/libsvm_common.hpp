#pragma once
// Private to src/data: what the components of the LIBSVM reader and writer share: the sizes that
// tie the byte sources, the parser and the read loop together, and the formatting of numbers and
// excerpts in messages.
//
// How the sizes fit: the read loop (read_stream in libsvm_io.cpp) hands the parser a buffer of
// kMaxTokenBytes + kBlockBytes bytes, the at most kMaxTokenBytes bytes of a token cut by the end
// of the previous block (the parser rejects a longer token) followed by up to kBlockBytes bytes
// read from the source. Every ByteReader returns fewer bytes than asked only at the end of the
// input, so a read shorter than kBlockBytes is the last one. kMaxStorageIndex bounds every count
// the reader stores in 32-bit form: rows, non-zeros, feature indices.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "shine/core/types.hpp"

namespace shine::data::detail {

// Bytes asked of the source per read: large enough that the per-read cost vanishes, small enough
// that the buffer never matters next to the data.
inline constexpr std::size_t kBlockBytes = std::size_t{1} << 20;
// Longest token (label, INDEX:VALUE pair, qid) accepted. A token cut by the end of a block is
// carried over to the next one, so this bounds the carry and keeps the buffer size fixed.
inline constexpr std::size_t kMaxTokenBytes = 4096;

// The largest row, non-zero and feature count the CSR arrays can address.
inline constexpr Index kMaxStorageIndex = std::numeric_limits<StorageIndex>::max();

// `text` as quoted in an error message: its first 40 characters, then "..." when it is longer.
std::string quote(std::string_view text);

// Shortest text that reads back to exactly `value`.
std::string format_number(double value);

// Bytes in words: "512 bytes", "3.4 MiB", "1.2 GiB".
std::string format_bytes(std::uint64_t bytes);

// 1234567 -> "1,234,567".
std::string with_commas(std::uint64_t value);

}  // namespace shine::data::detail
