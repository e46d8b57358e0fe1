// The only translation unit of shine that uses OpenMP (see shine/linalg/sparse_kernels.hpp for the
// rules, and row_kernels.hpp for the chunked loops).
#include "shine/linalg/sparse_kernels.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "linalg/row_kernels.hpp"

#if defined(SHINE_HAVE_OPENMP)
#include <omp.h>
#endif

namespace shine::linalg {
namespace {

// Below this much work (non-zeros + kRowCost per row) a loop runs on the calling thread: waking a
// team costs a few microseconds, about what 30 k multiply-adds take.
constexpr Index kMinParallelCost = 32768;

// Row ranges per thread of the row-parallel products (see for_row_ranges).
constexpr Index kPiecesPerThread = 32;

void check_size(Index actual, Index expected, const char* what) {
  if (actual != expected) {
    throw std::invalid_argument(std::string("sparse kernel: ") + what + " has " +
                                std::to_string(actual) + " entries, expected " +
                                std::to_string(expected));
  }
}

Index matrix_cost(const SparseMatrix& A) {
  return static_cast<Index>(A.nonZeros()) + kRowCost * static_cast<Index>(A.rows());
}

// First row r such that the work of rows [0, r) reaches `target`: a binary search over the
// increasing sequence row_ptr[r] + kRowCost·r. Unused without OpenMP.
[[maybe_unused]] Index split_row(const SparseMatrix& A, Index target) {
  const StorageIndex* row_ptr = A.outerIndexPtr();
  Index lo = 0;
  Index hi = A.rows();
  while (lo < hi) {
    const Index mid = lo + (hi - lo) / 2;
    if (static_cast<Index>(row_ptr[mid]) + kRowCost * mid < target) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

int team_size(int num_threads, Index cost) {
  if (cost < kMinParallelCost) return 1;
  return resolve_threads(num_threads);
}

// Runs row_body(begin, end) on contiguous row ranges balanced by work, kPiecesPerThread per
// thread, handed out as threads come free (on a shared machine a thread that loses its core for a
// while would otherwise hold the others up at the end of every product). A row's result never
// depends on the partition, so any team size gives the same output.
template <typename RowBody>
void for_row_ranges(const SparseMatrix& A, int num_threads, const RowBody& row_body) {
  const Index rows = A.rows();
  const Index cost = matrix_cost(A);
  const int team = team_size(num_threads, cost);
  if (team <= 1) {
    row_body(Index{0}, rows);
    return;
  }
#if defined(SHINE_HAVE_OPENMP)
  // Pieces of about a chunk's work (kDefaultChunkCost), at least one and at most
  // kPiecesPerThread per thread.
  const Index pieces = std::clamp<Index>(cost / kDefaultChunkCost, team, kPiecesPerThread * team);
#pragma omp parallel for num_threads(team) schedule(dynamic)
  for (Index k = 0; k < pieces; ++k) {
    const Index begin = (k == 0) ? 0 : split_row(A, cost * k / pieces);
    const Index end = (k + 1 == pieces) ? rows : split_row(A, cost * (k + 1) / pieces);
    if (begin < end) row_body(begin, end);
  }
#else
  row_body(Index{0}, rows);
#endif
}

}  // namespace

int resolve_threads(int requested) noexcept {
#if defined(SHINE_HAVE_OPENMP)
  if (requested > 0) return requested;
  return std::max(1, omp_get_max_threads());
#else
  (void)requested;
  return 1;
#endif
}

bool parallel_enabled() noexcept {
#if defined(SHINE_HAVE_OPENMP)
  return true;
#else
  return false;
#endif
}

RowChunks RowChunks::balanced(const SparseMatrix& A, Index target_cost) {
  if (target_cost < 1) {
    throw std::invalid_argument(
        "RowChunks::balanced: target_cost = " + std::to_string(target_cost) + ": must be >= 1");
  }
  RowChunks chunks;
  const Index rows = A.rows();
  const StorageIndex* row_ptr = A.outerIndexPtr();
  chunks.cost_ = matrix_cost(A);
  chunks.bounds_.push_back(0);
  Index start_cost = 0;
  for (Index r = 0; r < rows; ++r) {
    const Index cost_after = static_cast<Index>(row_ptr[r + 1]) + kRowCost * (r + 1);
    if (cost_after - start_cost >= target_cost) {
      chunks.bounds_.push_back(r + 1);
      start_cost = cost_after;
    }
  }
  if (chunks.bounds_.back() != rows) chunks.bounds_.push_back(rows);
  return chunks;
}

RowChunks RowChunks::uniform(Index rows, Index rows_per_chunk) {
  if (rows < 0 || rows_per_chunk < 1) {
    throw std::invalid_argument("RowChunks::uniform: rows = " + std::to_string(rows) +
                                ", rows_per_chunk = " + std::to_string(rows_per_chunk) +
                                ": need rows >= 0 and rows_per_chunk >= 1");
  }
  RowChunks chunks;
  chunks.cost_ = rows;
  chunks.bounds_.push_back(0);
  for (Index r = rows_per_chunk; r < rows; r += rows_per_chunk)
    chunks.bounds_.push_back(r);
  if (rows > 0) chunks.bounds_.push_back(rows);
  return chunks;
}

bool has_unit_values(const SparseMatrix& A) noexcept {
  const double* val = A.valuePtr();
  const Index nnz = static_cast<Index>(A.nonZeros());
  for (Index k = 0; k < nnz; ++k) {
    if (val[k] != 1.0) return false;
  }
  return true;
}

void for_each_chunk(const RowChunks& chunks, int num_threads,
                    FunctionRef<void(Index chunk, Index begin, Index end)> body) {
  const Index count = chunks.count();
  const int team = (count <= 1) ? 1 : team_size(num_threads, chunks.cost());
  if (team <= 1) {
    for (Index c = 0; c < count; ++c)
      body(c, chunks.begin(c), chunks.end(c));
    return;
  }
#if defined(SHINE_HAVE_OPENMP)
#pragma omp parallel for num_threads(team) schedule(dynamic)
  for (Index c = 0; c < count; ++c)
    body(c, chunks.begin(c), chunks.end(c));
#else
  for (Index c = 0; c < count; ++c)
    body(c, chunks.begin(c), chunks.end(c));
#endif
}

void multiply(const SparseMatrix& A, const Eigen::Ref<const Vector>& x, Eigen::Ref<Vector> y,
              int num_threads) {
  check_size(x.size(), A.cols(), "x");
  check_size(y.size(), A.rows(), "y");
  const double* xp = x.data();
  double* yp = y.data();
  for_row_ranges(A, num_threads, [&](Index begin, Index end) {
    for (Index i = begin; i < end; ++i)
      yp[i] = row_dot(A, i, xp);
  });
}

void multiply_add_diagonal(const SparseMatrix& A, const Eigen::Ref<const Vector>& x,
                           const Eigen::Ref<const Vector>& diag, const Eigen::Ref<const Vector>& v,
                           Eigen::Ref<Vector> y, int num_threads) {
  check_size(x.size(), A.cols(), "x");
  check_size(diag.size(), A.rows(), "diag");
  check_size(v.size(), A.rows(), "v");
  check_size(y.size(), A.rows(), "y");
  const double* xp = x.data();
  const double* dp = diag.data();
  const double* vp = v.data();
  double* yp = y.data();
  for_row_ranges(A, num_threads, [&](Index begin, Index end) {
    for (Index i = begin; i < end; ++i)
      yp[i] = row_dot(A, i, xp) + dp[i] * vp[i];
  });
}

void multiply_add_scaled(const SparseMatrix& A, const Eigen::Ref<const Vector>& x, double c,
                         const Eigen::Ref<const Vector>& v, Eigen::Ref<Vector> y, int num_threads) {
  check_size(x.size(), A.cols(), "x");
  check_size(v.size(), A.rows(), "v");
  check_size(y.size(), A.rows(), "y");
  const double* xp = x.data();
  const double* vp = v.data();
  double* yp = y.data();
  for_row_ranges(A, num_threads, [&](Index begin, Index end) {
    for (Index i = begin; i < end; ++i)
      yp[i] = row_dot(A, i, xp) + c * vp[i];
  });
}

void multiply_gram(const SparseMatrix& A, const SparseMatrix& At, const Eigen::Ref<const Vector>& D,
                   const Eigen::Ref<const Vector>& v, Eigen::Ref<Vector> y, Vector& work,
                   int num_threads) {
  check_size(At.rows(), A.cols(), "At (rows)");
  check_size(At.cols(), A.rows(), "At (columns)");
  check_size(D.size(), A.rows(), "D");
  check_size(v.size(), A.cols(), "v");
  check_size(y.size(), A.cols(), "y");
  work.resize(A.rows());
  const double* vp = v.data();
  const double* dp = D.data();
  double* wp = work.data();
  for_row_ranges(A, num_threads, [&](Index begin, Index end) {
    for (Index i = begin; i < end; ++i)
      wp[i] = dp[i] * row_dot(A, i, vp);
  });
  multiply(At, work, y, num_threads);
}

}  // namespace shine::linalg
