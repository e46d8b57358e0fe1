#include "linalg/dense_cholesky.hpp"

#include <cmath>

namespace shine::linalg {

bool cholesky_in_place(Eigen::MatrixXd& A) {
  const Index n = A.rows();
  Vector row;
  for (Index j = 0; j < n; ++j) {
    auto column = A.col(j).tail(n - j);
    if (j > 0) {
      row = A.row(j).head(j).transpose();
      column.noalias() -= A.block(j, 0, n - j, j) * row;
    }
    const double pivot = column[0];
    if (!(pivot > 0.0) || !std::isfinite(pivot)) return false;
    const double root = std::sqrt(pivot);
    column[0] = root;
    column.tail(n - j - 1) /= root;
  }
  return true;
}

void cholesky_solve(const Eigen::MatrixXd& L, Vector& b) {
  L.triangularView<Eigen::Lower>().solveInPlace(b);
  L.triangularView<Eigen::Lower>().transpose().solveInPlace(b);
}

}  // namespace shine::linalg
