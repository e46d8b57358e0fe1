#pragma once
/// @file
/// Basic numeric types shared by every module of shine.

#include <Eigen/Core>
#include <Eigen/SparseCore>
#include <cstdint>

namespace shine {

/// Signed index used for row and column counts and loops (64-bit, so products of sizes never
/// overflow).
using Index = std::int64_t;

/// Storage index of the sparse matrices: 32-bit, as Eigen's default, so that one non-zero costs
/// 12 bytes (value + column index). A matrix is limited to 2^31 − 1 non-zeros; the reader checks.
using StorageIndex = int;

/// Dense column vector of doubles (weights, gradients, labels, margins).
using Vector = Eigen::VectorXd;

/// Sparse matrix in compressed row-major (CSR) storage. Every matrix held by a `data::Dataset`
/// is compressed (`isCompressed()`), so `outerIndexPtr()` / `innerIndexPtr()` / `valuePtr()` are
/// the classical CSR arrays `row_ptr` / `col_idx` / `values`.
using SparseMatrix = Eigen::SparseMatrix<double, Eigen::RowMajor, StorageIndex>;

}  // namespace shine
