#pragma once
// The library's private dense Cholesky factorization (not installed), for the direct solve of
// H q = ∇f on problems with few features. Left-looking, one matrix-vector product per column:
// Eigen parallelizes only matrix-matrix products, so the bits never depend on the thread count.

#include <Eigen/Dense>

#include "shine/core/types.hpp"

namespace shine::linalg {

/// Overwrites the lower triangle of the symmetric matrix `A` with L, A = L Lᵀ (the strict upper
/// triangle is left as it was). Returns false, with `A` partly overwritten, when a pivot is not
/// positive and finite (A is not numerically positive definite). Cost: n³/3 flops.
[[nodiscard]] bool cholesky_in_place(Eigen::MatrixXd& A);

/// Solves L Lᵀ x = b in place (`b` becomes x), with L the lower triangle of `L`.
void cholesky_solve(const Eigen::MatrixXd& L, Vector& b);

}  // namespace shine::linalg
