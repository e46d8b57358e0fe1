#include "arrays.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace shine::python {
namespace {

// Calls `f` with the buffer's pointer, typed.
template <typename F>
decltype(auto) visit(const ValueBuffer& buffer, F&& f) {
  if (buffer.type == ValueType::Float32) return f(static_cast<const float*>(buffer.data));
  return f(static_cast<const double*>(buffer.data));
}

template <typename F>
decltype(auto) visit(const IndexBuffer& buffer, F&& f) {
  if (buffer.type == IndexType::Int32) return f(static_cast<const std::int32_t*>(buffer.data));
  return f(static_cast<const std::int64_t*>(buffer.data));
}

void fail(const std::string& message) {
  throw std::invalid_argument(message);
}

// Non-zeros are stored with 32-bit offsets (shine::StorageIndex).
void check_nnz(Index nnz) {
  if (nnz > std::numeric_limits<StorageIndex>::max()) {
    fail("X has " + std::to_string(nnz) + " stored entries; shine stores at most 2^31 - 1");
  }
}

void check_dimension(Index size, const char* what) {
  if (size < 1) fail(std::string("X has ") + what + " = " + std::to_string(size) + ": need >= 1");
  if (size > std::numeric_limits<StorageIndex>::max()) {
    fail(std::string("X has ") + what + " = " + std::to_string(size) +
         ": shine allows at most 2^31 - 1");
  }
}

double checked_value(double value, Index row, Index col) {
  if (!std::isfinite(value)) {
    fail("X contains a value that is not finite (NaN or infinity) at row " + std::to_string(row) +
         ", column " + std::to_string(col));
  }
  return value;
}

// Sorts the entries of every row of `m` by column and sums repeated columns, in place (rows
// already strictly increasing are only moved). The sum of repeated entries follows their order in
// the input.
void canonicalize_rows(SparseMatrix& m) {
  StorageIndex* outer = m.outerIndexPtr();
  StorageIndex* inner = m.innerIndexPtr();
  double* values = m.valuePtr();
  std::vector<std::pair<StorageIndex, double>> scratch;
  StorageIndex write = 0;
  StorageIndex begin = outer[0];
  for (Index r = 0; r < m.outerSize(); ++r) {
    const StorageIndex end = outer[r + 1];
    bool increasing = true;
    for (StorageIndex k = begin + 1; k < end && increasing; ++k) {
      increasing = inner[k - 1] < inner[k];
    }
    outer[r] = write;
    if (increasing) {
      if (write != begin) {
        std::move(inner + begin, inner + end, inner + write);
        std::move(values + begin, values + end, values + write);
      }
      write += end - begin;
    } else {
      scratch.clear();
      for (StorageIndex k = begin; k < end; ++k)
        scratch.emplace_back(inner[k], values[k]);
      std::stable_sort(scratch.begin(), scratch.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      for (std::size_t k = 0; k < scratch.size(); ++k) {
        if (k > 0 && scratch[k].first == scratch[k - 1].first) {
          values[write - 1] += scratch[k].second;
        } else {
          inner[write] = scratch[k].first;
          values[write] = scratch[k].second;
          ++write;
        }
      }
    }
    begin = end;
  }
  outer[m.outerSize()] = write;
  m.resizeNonZeros(write);
}

// `outer_size` × `inner_size` CSR from compressed buffers (CSR of X, or CSC of X read as the CSR
// of its transpose).
SparseMatrix compressed_matrix(const CompressedBuffers& in, bool transposed) {
  const char* outer_name = transposed ? "columns" : "rows";
  const char* inner_name = transposed ? "rows" : "columns";
  check_dimension(in.outer_size, outer_name);
  check_dimension(in.inner_size, inner_name);
  if (in.outer.size != static_cast<std::size_t>(in.outer_size) + 1) {
    fail("X's index pointer has " + std::to_string(in.outer.size) + " entries; expected " +
         std::to_string(in.outer_size + 1));
  }
  SparseMatrix m(in.outer_size, in.inner_size);
  visit(in.outer, [&](const auto* outer) {
    if (outer[0] != 0) fail("X's index pointer must start at 0");
    for (Index r = 0; r < in.outer_size; ++r) {
      if (outer[r + 1] < outer[r]) fail("X's index pointer decreases");
    }
    const auto nnz = static_cast<Index>(outer[in.outer_size]);
    if (static_cast<std::size_t>(nnz) > in.inner.size ||
        static_cast<std::size_t>(nnz) > in.values.size) {
      fail("X's index pointer ends at " + std::to_string(nnz) + ", past its " +
           std::to_string(std::min(in.inner.size, in.values.size)) + " stored entries");
    }
    check_nnz(nnz);
    m.resizeNonZeros(nnz);
    StorageIndex* out_outer = m.outerIndexPtr();
    for (Index r = 0; r <= in.outer_size; ++r)
      out_outer[r] = static_cast<StorageIndex>(outer[r]);
  });
  const StorageIndex* out_outer = m.outerIndexPtr();
  StorageIndex* out_inner = m.innerIndexPtr();
  double* out_values = m.valuePtr();
  visit(in.inner, [&](const auto* inner) {
    visit(in.values, [&](const auto* values) {
      for (Index r = 0; r < in.outer_size; ++r) {
        for (StorageIndex k = out_outer[r]; k < out_outer[r + 1]; ++k) {
          const auto j = static_cast<Index>(inner[k]);
          if (j < 0 || j >= in.inner_size) {
            fail("X has an index " + std::to_string(j) + " outside [0, " +
                 std::to_string(in.inner_size) + ")");
          }
          out_inner[k] = static_cast<StorageIndex>(j);
          out_values[k] =
              checked_value(static_cast<double>(values[k]), transposed ? j : r, transposed ? r : j);
        }
      }
    });
  });
  canonicalize_rows(m);
  return m;
}

Vector labels_vector(std::span<const double> labels) {
  return Eigen::Map<const Vector>(labels.data(), static_cast<Index>(labels.size()));
}

}  // namespace

data::Dataset dataset_from_csr(const CompressedBuffers& csr, std::span<const double> labels) {
  SparseMatrix X = compressed_matrix(csr, false);
  return data::make_dataset(std::move(X), labels_vector(labels), "in-memory");
}

data::Dataset dataset_from_csc(const CompressedBuffers& csc, std::span<const double> labels) {
  // The CSC arrays of X are the CSR arrays of Xᵀ, which the Dataset keeps: only X is built.
  SparseMatrix Xt = compressed_matrix(csc, true);
  SparseMatrix X = Xt.transpose();
  data::Dataset data;
  data.name = "in-memory";
  data.X.swap(X);
  data.Xt.swap(Xt);
  data.y = labels_vector(labels);
  data.validate();
  return data;
}

data::Dataset dataset_from_coo(const CoordinateBuffers& coo, std::span<const double> labels) {
  check_dimension(coo.rows, "rows");
  check_dimension(coo.cols, "columns");
  const std::size_t n = coo.row.size;
  if (coo.col.size != n || coo.values.size != n) {
    fail("X's coordinate arrays differ in length (" + std::to_string(n) + " rows, " +
         std::to_string(coo.col.size) + " columns, " + std::to_string(coo.values.size) +
         " values)");
  }
  check_nnz(static_cast<Index>(n));
  SparseMatrix m(coo.rows, coo.cols);
  m.resizeNonZeros(static_cast<Index>(n));
  StorageIndex* outer = m.outerIndexPtr();
  StorageIndex* inner = m.innerIndexPtr();
  double* out_values = m.valuePtr();
  std::vector<StorageIndex> row_of(n);
  visit(coo.row, [&](const auto* row) {
    std::fill(outer, outer + coo.rows + 1, 0);
    for (std::size_t k = 0; k < n; ++k) {
      const auto i = static_cast<Index>(row[k]);
      if (i < 0 || i >= coo.rows) {
        fail("X has a row index " + std::to_string(i) + " outside [0, " + std::to_string(coo.rows) +
             ")");
      }
      row_of[k] = static_cast<StorageIndex>(i);
      ++outer[i + 1];
    }
  });
  for (Index r = 0; r < coo.rows; ++r)
    outer[r + 1] += outer[r];
  // Entries are scattered to their rows in input order, so repeated positions are summed in it.
  std::vector<StorageIndex> cursor(outer, outer + coo.rows);
  visit(coo.col, [&](const auto* col) {
    visit(coo.values, [&](const auto* values) {
      for (std::size_t k = 0; k < n; ++k) {
        const auto j = static_cast<Index>(col[k]);
        if (j < 0 || j >= coo.cols) {
          fail("X has a column index " + std::to_string(j) + " outside [0, " +
               std::to_string(coo.cols) + ")");
        }
        const StorageIndex at = cursor[row_of[k]]++;
        inner[at] = static_cast<StorageIndex>(j);
        out_values[at] = checked_value(static_cast<double>(values[k]), row_of[k], j);
      }
    });
  });
  row_of = {};
  canonicalize_rows(m);
  return data::make_dataset(std::move(m), labels_vector(labels), "in-memory");
}

data::Dataset dataset_from_dense(const DenseBuffer& dense, std::span<const double> labels) {
  check_dimension(dense.rows, "rows");
  check_dimension(dense.cols, "columns");
  const auto* base = static_cast<const unsigned char*>(dense.data);
  SparseMatrix m(dense.rows, dense.cols);
  visit(ValueBuffer{dense.data, 0, dense.type}, [&](const auto* typed) {
    using T = std::remove_cv_t<std::remove_pointer_t<decltype(typed)>>;
    const auto at = [&](Index i, Index j) {
      T value;
      std::copy_n(base + i * dense.row_stride + j * dense.col_stride, sizeof(T),
                  reinterpret_cast<unsigned char*>(&value));
      return static_cast<double>(value);
    };
    // First pass: count the non-zeros of each row (and check every value); second: store them.
    StorageIndex* outer = m.outerIndexPtr();
    Index nnz = 0;
    for (Index i = 0; i < dense.rows; ++i) {
      for (Index j = 0; j < dense.cols; ++j) {
        if (checked_value(at(i, j), i, j) != 0.0) ++nnz;
      }
      check_nnz(nnz);
      outer[i + 1] = static_cast<StorageIndex>(nnz);
    }
    m.resizeNonZeros(nnz);
    StorageIndex* inner = m.innerIndexPtr();
    double* values = m.valuePtr();
    Index k = 0;
    for (Index i = 0; i < dense.rows; ++i) {
      for (Index j = 0; j < dense.cols; ++j) {
        const double value = at(i, j);
        if (value != 0.0) {
          inner[k] = static_cast<StorageIndex>(j);
          values[k] = value;
          ++k;
        }
      }
    }
  });
  return data::make_dataset(std::move(m), labels_vector(labels), "in-memory");
}

}  // namespace shine::python
