// The entry store of the LIBSVM parser (see entry_store.hpp).

#include "data/entry_store.hpp"

namespace shine::data::detail {

void EntryStore::drain_into(StorageIndex* index, double* value) {
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

}  // namespace shine::data::detail
