#pragma once
// The library's private plumbing of its parallel loops (not installed): the fixed row chunks, the
// chunked loops and their deterministic sums, and the inline dot product of one CSR row that the
// hot loops of the objectives, the held-out metrics and the model call for every row. The
// functions declared here are defined in sparse_kernels.cpp, next to the public products
// (shine/linalg/sparse_kernels.hpp, whose rules on threads and determinism hold here too).
//
// Chunked loops (`for_each_chunk`, `sum_over_chunks`): the caller's code runs on fixed chunks of
// rows (`RowChunks`) whose boundaries do not depend on the thread count; reductions keep one
// partial per chunk and add the partials in chunk order. Results are therefore bit-for-bit
// identical across thread counts (and between runs).

#include <algorithm>
#include <array>
#include <cstddef>
#include <type_traits>
#include <vector>

#include "shine/core/types.hpp"
#include "shine/linalg/function_ref.hpp"
#include "shine/linalg/sparse_kernels.hpp"

namespace shine::linalg {

/// Work estimate of one row in load balancing, in units of one non-zero: the fixed cost of a row
/// (loop overhead, the per-row arithmetic of the logistic objective) counts as this many
/// non-zeros.
inline constexpr Index kRowCost = 8;

/// Default work (non-zeros + `kRowCost` per row) of one chunk in `RowChunks::balanced`.
inline constexpr Index kDefaultChunkCost = 16384;

/// A fixed partition of the rows [0, rows) into contiguous chunks, independent of the thread
/// count. Chunked loops run whole chunks on one thread, and reductions add the per-chunk partials
/// in chunk order, which makes them deterministic for any number of threads.
class RowChunks {
 public:
  /// An empty partition (zero rows).
  RowChunks() = default;

  /// Chunks of the rows of CSR matrix `A` holding about `target_cost` work each, where a row
  /// costs its non-zeros plus `kRowCost`. A single row heavier than `target_cost` forms its own
  /// chunk. Cost: O(rows). Throws `std::invalid_argument` when `target_cost` < 1.
  static RowChunks balanced(const SparseMatrix& A, Index target_cost = kDefaultChunkCost);

  /// Chunks of `rows_per_chunk` consecutive rows (the last may be shorter), for loops over dense
  /// vectors. Throws `std::invalid_argument` when `rows` < 0 or `rows_per_chunk` < 1.
  static RowChunks uniform(Index rows, Index rows_per_chunk = 4096);

  /// Number of chunks (0 for zero rows).
  [[nodiscard]] Index count() const noexcept {
    return bounds_.empty() ? 0 : static_cast<Index>(bounds_.size()) - 1;
  }
  /// First row of chunk `c`.
  [[nodiscard]] Index begin(Index c) const noexcept { return bounds_[static_cast<std::size_t>(c)]; }
  /// One past the last row of chunk `c`.
  [[nodiscard]] Index end(Index c) const noexcept {
    return bounds_[static_cast<std::size_t>(c) + 1];
  }
  /// Number of rows covered.
  [[nodiscard]] Index rows() const noexcept { return bounds_.empty() ? 0 : bounds_.back(); }
  /// Total work estimate (non-zeros + `kRowCost` per row, or rows for `uniform`), used to decide
  /// whether a loop is worth starting threads for.
  [[nodiscard]] Index cost() const noexcept { return cost_; }

 private:
  std::vector<Index> bounds_;  // count() + 1 increasing row indices, bounds_[0] = 0
  Index cost_ = 0;
};

/// Runs `body(chunk, begin, end)` once for every chunk of `chunks`, in parallel on up to
/// `num_threads` threads (0 = all cores), each thread taking the next chunk as it comes free (a
/// dynamic schedule: a thread slowed by other work on the machine takes fewer chunks, and which
/// thread runs a chunk changes from call to call). `body` must only write data owned by its chunk.
/// Runs on the calling thread when there is one chunk, one thread, or little work
/// (`chunks.cost()` below about 32 k). An exception escaping `body` terminates the program
/// (OpenMP rule), so `body` must not throw.
void for_each_chunk(const RowChunks& chunks, int num_threads,
                    FunctionRef<void(Index chunk, Index begin, Index end)> body);

/// Deterministic parallel sum of `W` quantities over rows: `body(begin, end, partial)` adds the
/// contribution of rows [begin, end) into `partial` (zero-initialised); the per-chunk partials are
/// added in chunk order. The result is bit-for-bit identical for every thread count.
template <std::size_t W, typename Body>
std::array<double, W> sum_over_chunks(const RowChunks& chunks, int num_threads, Body&& body) {
  std::vector<std::array<double, W>> partials(static_cast<std::size_t>(chunks.count()));
  for_each_chunk(chunks, num_threads, [&](Index chunk, Index begin, Index end) {
    std::array<double, W> partial{};
    body(begin, end, partial);
    partials[static_cast<std::size_t>(chunk)] = partial;
  });
  std::array<double, W> total{};
  for (const auto& partial : partials) {
    for (std::size_t k = 0; k < W; ++k)
      total[k] += partial[k];
  }
  return total;
}

/// How far ahead (in non-zeros) `row_dot` prefetches the values and column indices: 2 KiB of
/// values. The hardware prefetcher alone leaves about a third of the bandwidth unused on the
/// machines measured (see BENCHMARKS.md).
inline constexpr Index kPrefetchDistance = 256;

/// Dot product of row `row` of CSR matrix `A` with the dense array `x` (of at least `A.cols()`
/// entries). The summation order is fixed (two interleaved partial sums, then added), so one row
/// always gives the same bits. Prefetches the matrix `kPrefetchDistance` non-zeros ahead (rows are
/// contiguous, so this reaches into the next rows). No bounds checks.
///
/// `UnitValues`: every stored value of `A` is exactly 1 (binary features, `has_unit_values`), so
/// the values are not read: the sum of the x entries of the row's columns, in the same order, which
/// gives the same bits as the general kernel (1·x is exact) from a third of the bytes.
template <bool UnitValues = false>
inline double row_dot(const SparseMatrix& A, Index row, const double* x) noexcept {
  const StorageIndex* row_ptr = A.outerIndexPtr();
  const StorageIndex* col = A.innerIndexPtr();
  const double* val = A.valuePtr();
  const Index last = static_cast<Index>(A.nonZeros()) - 1;
  Index k = row_ptr[row];
  const Index end = row_ptr[row + 1];
  double sum0 = 0.0;
  double sum1 = 0.0;
  const auto prefetch = [&](Index at) {
    const Index ahead = std::min(at + kPrefetchDistance, last);
    if constexpr (!UnitValues) __builtin_prefetch(val + ahead);
    __builtin_prefetch(col + ahead);
  };
  const auto term = [&](Index at) {
    if constexpr (UnitValues) {
      return x[col[at]];
    } else {
      return val[at] * x[col[at]];
    }
  };
  for (; k + 7 < end; k += 8) {
    prefetch(k);
    sum0 += term(k);
    sum1 += term(k + 1);
    sum0 += term(k + 2);
    sum1 += term(k + 3);
    sum0 += term(k + 4);
    sum1 += term(k + 5);
    sum0 += term(k + 6);
    sum1 += term(k + 7);
  }
  if (k < end) prefetch(k);
  for (; k + 1 < end; k += 2) {
    sum0 += term(k);
    sum1 += term(k + 1);
  }
  if (k < end) sum0 += term(k);
  return sum0 + sum1;
}

/// True when every stored value of `A` is exactly 1 (binary features): `row_dot<true>` applies.
/// Cost: one pass over the values.
[[nodiscard]] bool has_unit_values(const SparseMatrix& A) noexcept;

/// Calls `body(std::true_type{})` when `unit_values`, else `body(std::false_type{})`, so that a
/// loop can pick `row_dot<decltype(unit)::value>` once, outside its rows.
template <typename Body>
decltype(auto) with_unit_values(bool unit_values, Body&& body) {
  return unit_values ? body(std::true_type{}) : body(std::false_type{});
}

}  // namespace shine::linalg
