#pragma once
/// @file
/// Sparse matrix–vector products and the thread settings of shine's parallel loops.
///
/// Every OpenMP construct of the library lives in `src/linalg/sparse_kernels.cpp`; no public
/// header includes `omp.h`. Each output entry of the products below is the dot product of one
/// CSR row with a dense vector. The rows are cut into contiguous ranges balanced by non-zeros, a
/// few per thread, which the threads take as they come free; no two threads write the same entry,
/// and each row is always summed in the same order: the result is
/// **bit-for-bit the same for every thread count**, serial included. Xᵀ·v is such a product too:
/// it runs over the stored CSR transpose (`data::Dataset::Xt`), never a scatter over X. The
/// library's other parallel loops (the objectives' sums over rows) run on fixed chunks of rows
/// whose boundaries do not depend on the thread count and add their partial sums in chunk order,
/// so they are bit-for-bit identical across thread counts as well.
///
/// Thread counts: `num_threads` > 0 is used as given; 0 means "all cores" (OpenMP's
/// `omp_get_max_threads()`, which honours `OMP_NUM_THREADS`). Small inputs (below about 32 k
/// non-zeros) run on the calling thread because starting threads would cost more than the work.
/// Built without OpenMP (`SHINE_USE_OPENMP=OFF`), everything runs serially with identical results.
///
/// Thread safety: the functions are re-entrant; concurrent calls must not write the same output.

#include "shine/core/types.hpp"

namespace shine::linalg {

/// Threads a kernel uses for a request: `requested` if > 0, otherwise the number of cores OpenMP
/// offers (`omp_get_max_threads()`); always 1 in a build without OpenMP. Negative requests are
/// treated as 0.
int resolve_threads(int requested) noexcept;

/// True when the library was built with OpenMP (kernels can run on several threads).
bool parallel_enabled() noexcept;

/// y = A·x for CSR `A` (rows × cols). `x` has `A.cols()` entries, `y` has `A.rows()` entries and
/// must not alias `x`. One pass over A: about 12 bytes per non-zero. For Xᵀ·x pass the stored
/// transpose. Throws `std::invalid_argument` on a size mismatch.
void multiply(const SparseMatrix& A, const Eigen::Ref<const Vector>& x, Eigen::Ref<Vector> y,
              int num_threads = 0);

/// y = A·x + diag∘v (entrywise product), fused in one pass over A: the gradient of the
/// regularized logistic loss is `multiply_add_diagonal(Xt, r, lambda, w, g)`. `diag`, `v` and `y`
/// have `A.rows()` entries; `y` must not alias `x`, `diag` or `v`. Throws `std::invalid_argument`
/// on a size mismatch.
void multiply_add_diagonal(const SparseMatrix& A, const Eigen::Ref<const Vector>& x,
                           const Eigen::Ref<const Vector>& diag, const Eigen::Ref<const Vector>& v,
                           Eigen::Ref<Vector> y, int num_threads = 0);

/// y = A·x + c·v for a scalar `c`, fused in one pass over A (the one-λ case of the above).
void multiply_add_scaled(const SparseMatrix& A, const Eigen::Ref<const Vector>& x, double c,
                         const Eigen::Ref<const Vector>& v, Eigen::Ref<Vector> y,
                         int num_threads = 0);

/// y = Aᵀ·(D∘(A·v)) with `At` the stored CSR transpose of `A`: the data part of the logistic
/// Hessian-vector product, in two passes (A then At) without forming AᵀDA. `work` receives
/// D∘(A·v) (resized to `A.rows()`). `D` has `A.rows()` entries, `v` and `y` `A.cols()` entries.
/// Throws `std::invalid_argument` on a size mismatch.
void multiply_gram(const SparseMatrix& A, const SparseMatrix& At, const Eigen::Ref<const Vector>& D,
                   const Eigen::Ref<const Vector>& v, Eigen::Ref<Vector> y, Vector& work,
                   int num_threads = 0);

}  // namespace shine::linalg
