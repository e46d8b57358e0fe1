#pragma once
// Building shine's Dataset from the buffers of NumPy arrays (SciPy's sparse formats and dense
// arrays), copying each value once into the Dataset's own CSR storage.

#include <cstddef>
#include <cstdint>
#include <span>

#include "shine/data/dataset.hpp"

namespace shine::python {

/// Element types accepted for matrix values and sparse indices.
enum class ValueType { Float32, Float64 };
enum class IndexType { Int32, Int64 };

/// A read-only view of a one-dimensional buffer of one of the types above.
struct ValueBuffer {
  const void* data = nullptr;
  std::size_t size = 0;
  ValueType type = ValueType::Float64;
};
struct IndexBuffer {
  const void* data = nullptr;
  std::size_t size = 0;
  IndexType type = IndexType::Int32;
};

/// A compressed sparse matrix in SciPy's layout: `outer` has `outer_size + 1` offsets into
/// `inner` (indices in [0, inner_size)) and `values`. Indices within an outer slice may be
/// unsorted and repeated (repeated entries are summed).
struct CompressedBuffers {
  Index outer_size = 0;
  Index inner_size = 0;
  IndexBuffer outer;
  IndexBuffer inner;
  ValueBuffer values;
};

/// Coordinates: entry k is `values[k]` at (`row[k]`, `col[k]`); repeated positions are summed.
struct CoordinateBuffers {
  Index rows = 0;
  Index cols = 0;
  IndexBuffer row;
  IndexBuffer col;
  ValueBuffer values;
};

/// A dense matrix: element (i, j) at byte offset i·row_stride + j·col_stride from `data`.
struct DenseBuffer {
  Index rows = 0;
  Index cols = 0;
  std::ptrdiff_t row_stride = 0;
  std::ptrdiff_t col_stride = 0;
  const void* data = nullptr;
  ValueType type = ValueType::Float64;
};

/// X from CSR buffers, labels ±1. Throws `std::invalid_argument` for malformed buffers (offsets
/// not increasing, an index out of range), a value that is not finite or a label not ±1.
data::Dataset dataset_from_csr(const CompressedBuffers& csr, std::span<const double> labels);
/// X from CSC buffers (the CSR buffers of Xᵀ, which the Dataset stores as its transpose).
data::Dataset dataset_from_csc(const CompressedBuffers& csc, std::span<const double> labels);
/// X from coordinates.
data::Dataset dataset_from_coo(const CoordinateBuffers& coo, std::span<const double> labels);
/// X from a dense matrix (its zeros are not stored).
data::Dataset dataset_from_dense(const DenseBuffer& dense, std::span<const double> labels);

}  // namespace shine::python
