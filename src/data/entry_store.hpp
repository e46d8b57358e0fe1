#pragma once
// Private to src/data: where the LIBSVM parser puts the entries (index, value) of the rows it has
// finished, in file order, until they are copied into the CSR arrays of the Dataset.
//
// The entries grow by chunks of kChunkEntries (3 MiB each), never by reallocation, so no growth
// ever holds two copies of the data: the store takes size() * 12 bytes plus at most one chunk's
// unused tail. Invariants: every chunk but the last is full; used_ counts the entries of the last
// chunk, and used_ = kChunkEntries when there is no room (initially: no chunk), which makes the
// next append allocate one; size() is the number of entries appended. drain_into copies the
// entries out in order and frees each chunk as soon as it is copied, so that the destination
// fills as the store empties. The parser's memory check (libsvm_parser.cpp) counts the finished
// Dataset, 12 bytes per non-zero for X and as much for its transpose, which covers the store.

#include <algorithm>
#include <cstddef>
#include <memory>
#include <vector>

#include "shine/core/types.hpp"

namespace shine::data::detail {

// Entries per storage chunk (3 MiB): the parsed entries grow by chunks, never by reallocation, so
// no doubling ever holds two copies of the data.
inline constexpr std::size_t kChunkEntries = std::size_t{1} << 18;

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
  // destination plus one chunk. Leaves the store empty.
  void drain_into(StorageIndex* index, double* value);

 private:
  struct Chunk {
    std::unique_ptr<StorageIndex[]> index;
    std::unique_ptr<double[]> value;
  };
  std::vector<Chunk> chunks_;
  std::size_t used_ = kChunkEntries;  // entries used in the last chunk (full: none allocated)
  std::size_t size_ = 0;
};

}  // namespace shine::data::detail
