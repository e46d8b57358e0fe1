#include "shine/data/dataset.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>
#include <vector>

namespace shine::data {
namespace {

SparseMatrix from_triplets(Index rows, Index cols, const std::vector<Eigen::Triplet<double>>& t) {
  SparseMatrix m(rows, cols);
  m.setFromTriplets(t.begin(), t.end());
  return m;
}

TEST(Dataset, MakeDatasetStoresTheTranspose) {
  auto X = from_triplets(3, 4, {{0, 0, 1.0}, {0, 3, 2.0}, {1, 1, -1.5}, {2, 0, 0.5}, {2, 2, 4.0}});
  Vector y(3);
  y << 1, -1, 1;
  const Dataset d = make_dataset(X, y, "toy");
  EXPECT_EQ(d.rows(), 3);
  EXPECT_EQ(d.features(), 4);
  EXPECT_EQ(d.nnz(), 5);
  EXPECT_EQ(d.positives(), 2);
  EXPECT_TRUE(d.Xt.isApprox(SparseMatrix(X.transpose())));
  EXPECT_EQ(d.Xt.rows(), 4);
  EXPECT_GT(d.memory_bytes(), 0U);
  EXPECT_NO_THROW(d.validate());
}

TEST(Dataset, SortsUnsortedRows) {
  // Build a CSR matrix whose single row lists its columns out of order.
  SparseMatrix X(1, 5);
  X.reserve(Eigen::VectorXi::Constant(1, 3));
  X.insert(0, 4) = 4.0;
  X.insert(0, 1) = 1.0;
  X.insert(0, 2) = 2.0;
  X.makeCompressed();
  // Eigen keeps inner indices sorted on insert; scramble them by hand.
  std::swap(X.innerIndexPtr()[0], X.innerIndexPtr()[2]);
  std::swap(X.valuePtr()[0], X.valuePtr()[2]);
  Vector y = Vector::Ones(1);
  const Dataset d = make_dataset(X, y, "unsorted");
  EXPECT_EQ(d.X.innerIndexPtr()[0], 1);
  EXPECT_EQ(d.X.innerIndexPtr()[2], 4);
  EXPECT_DOUBLE_EQ(d.X.coeff(0, 4), 4.0);
}

TEST(Dataset, RejectsBadLabelsAndShapes) {
  auto X = from_triplets(2, 2, {{0, 0, 1.0}, {1, 1, 1.0}});
  Vector y(2);
  y << 1, 0;
  EXPECT_THROW(make_dataset(X, y, "bad"), std::invalid_argument);
  Vector short_y = Vector::Ones(1);
  EXPECT_THROW(make_dataset(X, short_y, "bad"), std::invalid_argument);
  auto Xnan = from_triplets(2, 2, {{0, 0, std::numeric_limits<double>::quiet_NaN()}});
  EXPECT_THROW(make_dataset(Xnan, Vector::Ones(2), "nan"), std::invalid_argument);
}

TEST(Dataset, TransposeMatchesEigenOnARandomMatrix) {
  // Empty rows and columns, a single dense-ish column, random order of insertion.
  std::vector<Eigen::Triplet<double>> t;
  unsigned state = 12345;
  const auto next = [&state] { return state = state * 1103515245U + 12345U; };
  for (int k = 0; k < 3000; ++k) {
    const int row = static_cast<int>(next() % 200);
    const int col = (k % 7 == 0) ? 5 : static_cast<int>(next() % 300);
    if (row % 13 == 0 || col % 17 == 1) continue;
    t.emplace_back(row, col, static_cast<double>(k) + 0.5);
  }
  SparseMatrix X(200, 300);
  X.setFromTriplets(t.begin(), t.end(), [](double a, double) { return a; });
  const Dataset d = make_dataset(X, Vector::Ones(200), "random");
  const SparseMatrix expected = X.transpose();
  ASSERT_EQ(d.Xt.nonZeros(), expected.nonZeros());
  for (Index j = 0; j <= d.Xt.rows(); ++j) {
    ASSERT_EQ(d.Xt.outerIndexPtr()[j], expected.outerIndexPtr()[j]) << j;
  }
  for (Index k = 0; k < d.Xt.nonZeros(); ++k) {
    ASSERT_EQ(d.Xt.innerIndexPtr()[k], expected.innerIndexPtr()[k]) << k;
    ASSERT_EQ(d.Xt.valuePtr()[k], expected.valuePtr()[k]) << k;
  }
}

TEST(Dataset, MovesWithoutCopyingTheMatrices) {
  auto X = from_triplets(3, 4, {{0, 0, 1.0}, {1, 3, 2.0}, {2, 1, 3.0}});
  const double* storage = X.valuePtr();
  Vector y(3);
  y << 1, -1, 1;
  Dataset a = make_dataset(std::move(X), y, "a");  // takes X's storage: no copy
  EXPECT_EQ(a.X.valuePtr(), storage);
  EXPECT_EQ(X.nonZeros(), 0);  // left empty, still usable
  EXPECT_EQ(X.rows(), 0);

  const double* x_values = a.X.valuePtr();
  const double* xt_values = a.Xt.valuePtr();
  Dataset b = std::move(a);
  EXPECT_EQ(b.X.valuePtr(), x_values);
  EXPECT_EQ(b.Xt.valuePtr(), xt_values);
  EXPECT_EQ(b.nnz(), 3);
  EXPECT_EQ(b.name, "a");

  Dataset c;
  c = std::move(b);
  EXPECT_EQ(c.X.valuePtr(), x_values);
  EXPECT_EQ(b.nnz(), 0);  // the moved-from dataset is left empty
  EXPECT_NO_THROW(c.validate());

  const Dataset copy = c;  // copies stay deep
  EXPECT_NE(copy.X.valuePtr(), c.X.valuePtr());
  EXPECT_TRUE(copy.X.isApprox(c.X));
}

TEST(LabelMap, DescribesTheMapping) {
  EXPECT_TRUE(LabelMap{}.is_identity());
  const LabelMap m{0.0, 1.0};
  EXPECT_FALSE(m.is_identity());
  EXPECT_EQ(m.to_string(), "0 -> -1, 1 -> +1");
}

}  // namespace
}  // namespace shine::data
