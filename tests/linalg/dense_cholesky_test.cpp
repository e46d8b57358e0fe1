#include "linalg/dense_cholesky.hpp"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <limits>

#include "support/random_problems.hpp"

namespace shine::linalg {
namespace {

Eigen::MatrixXd random_spd(Index n, std::uint64_t seed, double shift) {
  Eigen::MatrixXd B(n, n);
  for (Index j = 0; j < n; ++j)
    B.col(j) = test::random_vector(n, seed + static_cast<std::uint64_t>(j));
  Eigen::MatrixXd A = B * B.transpose();
  A.diagonal().array() += shift;
  return A;
}

TEST(DenseCholesky, FactorsAndSolvesAsAnIndependentLdlt) {
  for (const Index n : {1, 2, 7, 64, 130}) {
    SCOPED_TRACE("n = " + std::to_string(n));
    const Eigen::MatrixXd A = random_spd(n, 10 + static_cast<std::uint64_t>(n), 1e-3);
    Eigen::MatrixXd L = A;
    ASSERT_TRUE(cholesky_in_place(L));
    const Eigen::MatrixXd lower = L.triangularView<Eigen::Lower>();
    EXPECT_LE((lower * lower.transpose() - A).norm(), 1e-12 * A.norm());
    // The strict upper triangle is left as it was.
    EXPECT_TRUE(Eigen::MatrixXd(L.triangularView<Eigen::StrictlyUpper>()) ==
                Eigen::MatrixXd(A.triangularView<Eigen::StrictlyUpper>()));
    const Vector b = test::random_vector(n, 3);
    Vector x = b;
    cholesky_solve(L, x);
    const Vector reference = A.ldlt().solve(b);
    EXPECT_LE((x - reference).norm(), 1e-9 * reference.norm());
    EXPECT_LE((A * x - b).norm(), 1e-10 * b.norm());
  }
}

TEST(DenseCholesky, RefusesMatricesThatAreNotPositiveDefinite) {
  Eigen::MatrixXd indefinite(2, 2);
  indefinite << 1.0, 2.0, 2.0, 1.0;  // eigenvalues 3 and −1
  EXPECT_FALSE(cholesky_in_place(indefinite));
  Eigen::MatrixXd singular = Eigen::MatrixXd::Zero(3, 3);
  singular(0, 0) = 1.0;
  EXPECT_FALSE(cholesky_in_place(singular));
  Eigen::MatrixXd not_finite = Eigen::MatrixXd::Identity(3, 3);
  not_finite(2, 2) = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(cholesky_in_place(not_finite));
  not_finite(2, 2) = std::numeric_limits<double>::infinity();
  EXPECT_FALSE(cholesky_in_place(not_finite));
}

}  // namespace
}  // namespace shine::linalg
