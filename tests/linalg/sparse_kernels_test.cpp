#include "shine/linalg/sparse_kernels.hpp"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <atomic>
#include <stdexcept>
#include <vector>

#include "linalg/row_kernels.hpp"
#include "shine/linalg/function_ref.hpp"
#include "shine/linalg/linear_operator.hpp"
#include "support/fd_check.hpp"
#include "support/random_problems.hpp"

namespace shine::linalg {
namespace {

using test::random_sparse;
using test::random_vector;
using test::relative_error;

// Large enough (about 80 k work units) that the kernels really start threads.
struct Fixture {
  SparseMatrix A = random_sparse(3000, 2000, 0.01, 7);
  SparseMatrix At = SparseMatrix(A.transpose());
  Eigen::MatrixXd dense = Eigen::MatrixXd(A);
};

const Fixture& fixture() {
  static const Fixture f;
  return f;
}

TEST(SparseKernels, MultiplyMatchesDenseProduct) {
  const auto& f = fixture();
  const Vector x = random_vector(f.A.cols(), 1);
  Vector y(f.A.rows());
  multiply(f.A, x, y);
  EXPECT_LT(relative_error(y, f.dense * x), 1e-14);

  const Vector r = random_vector(f.A.rows(), 2);
  Vector g(f.A.cols());
  multiply(f.At, r, g);
  EXPECT_LT(relative_error(g, f.dense.transpose() * r), 1e-14);
}

TEST(SparseKernels, FusedKernelsMatchTheirDefinition) {
  const auto& f = fixture();
  const Vector r = random_vector(f.A.rows(), 3);
  const Vector w = random_vector(f.A.cols(), 4);
  const Vector lambda = random_vector(f.A.cols(), 5).cwiseAbs();
  Vector g(f.A.cols());
  multiply_add_diagonal(f.At, r, lambda, w, g);
  const Vector expected = f.dense.transpose() * r + lambda.cwiseProduct(w);
  EXPECT_LT(relative_error(g, expected), 1e-14);

  multiply_add_scaled(f.At, r, 0.25, w, g);
  EXPECT_LT(relative_error(g, f.dense.transpose() * r + 0.25 * w), 1e-14);

  const Vector D = random_vector(f.A.rows(), 6).cwiseAbs();
  Vector work;
  Vector hv(f.A.cols());
  multiply_gram(f.A, f.At, D, w, hv, work);
  const Vector gram = f.dense.transpose() * D.asDiagonal() * (f.dense * w);
  EXPECT_LT(relative_error(hv, gram), 1e-13);
  EXPECT_EQ(work.size(), f.A.rows());
}

TEST(SparseKernels, ResultsAreIdenticalForOneTwoAndFourThreads) {
  const auto& f = fixture();
  const Vector x = random_vector(f.A.cols(), 8);
  const Vector r = random_vector(f.A.rows(), 9);
  const Vector D = random_vector(f.A.rows(), 10).cwiseAbs();
  Vector serial_y(f.A.rows());
  Vector serial_g(f.A.cols());
  Vector serial_h(f.A.cols());
  Vector work;
  multiply(f.A, x, serial_y, 1);
  multiply_add_scaled(f.At, r, 0.5, x, serial_g, 1);
  multiply_gram(f.A, f.At, D, x, serial_h, work, 1);
  for (const int threads : {1, 2, 4}) {
    for (int repeat = 0; repeat < 2; ++repeat) {
      Vector y(f.A.rows());
      Vector g(f.A.cols());
      Vector h(f.A.cols());
      multiply(f.A, x, y, threads);
      multiply_add_scaled(f.At, r, 0.5, x, g, threads);
      multiply_gram(f.A, f.At, D, x, h, work, threads);
      // Row kernels never change their summation order: identical bits, hence also within 1e-12.
      EXPECT_EQ(y, serial_y) << threads << " threads";
      EXPECT_EQ(g, serial_g) << threads << " threads";
      EXPECT_EQ(h, serial_h) << threads << " threads";
      EXPECT_LE(relative_error(h, serial_h), 1e-12);
    }
  }
}

TEST(SparseKernels, ChunkedSumsAreIdenticalAcrossThreadCounts) {
  const auto& f = fixture();
  const RowChunks chunks = RowChunks::balanced(f.A, 2048);
  ASSERT_GT(chunks.count(), 8);
  const Vector x = random_vector(f.A.cols(), 11);
  const auto run = [&](int threads) {
    return sum_over_chunks<2>(chunks, threads, [&](Index begin, Index end, auto& acc) {
      for (Index i = begin; i < end; ++i) {
        const double t = row_dot(f.A, i, x.data());
        acc[0] += t;
        acc[1] += t * t;
      }
    });
  };
  const auto serial = run(1);
  const Vector Ax = f.dense * x;
  EXPECT_NEAR(serial[0], Ax.sum(), 1e-10 * Ax.cwiseAbs().sum());
  EXPECT_NEAR(serial[1], Ax.squaredNorm(), 1e-12 * Ax.squaredNorm());
  for (const int threads : {2, 4}) {
    const auto parallel = run(threads);
    EXPECT_EQ(parallel[0], serial[0]);
    EXPECT_EQ(parallel[1], serial[1]);
  }
}

TEST(SparseKernels, TheUnitValuesDotGivesTheBitsOfTheGeneralOne) {
  // Binary features: every stored value 1. Rows of 0 to 40 non-zeros cover the unrolled loop,
  // its pairs and the last odd entry.
  SparseMatrix A = random_sparse(300, 200, 0.08, 17);
  for (Index k = 0; k < A.nonZeros(); ++k)
    A.valuePtr()[k] = 1.0;
  ASSERT_TRUE(has_unit_values(A));
  const Vector x = random_vector(A.cols(), 18);
  const Eigen::MatrixXd dense(A);
  for (Index i = 0; i < A.rows(); ++i) {
    const double general = row_dot<false>(A, i, x.data());
    EXPECT_EQ(row_dot<true>(A, i, x.data()), general) << "row " << i;
    EXPECT_NEAR(general, dense.row(i).dot(x),
                1e-12 * (1.0 + dense.row(i).cwiseAbs().dot(x.cwiseAbs())));
  }
  A.valuePtr()[A.nonZeros() / 2] = 1.0 + 1e-16 * 4;  // one value not exactly 1
  EXPECT_FALSE(has_unit_values(A));
  EXPECT_FALSE(has_unit_values(random_sparse(30, 20, 0.2, 19)));
  EXPECT_TRUE(has_unit_values(SparseMatrix(3, 4)));  // no stored value
}

TEST(SparseKernels, ForEachChunkVisitsEveryRowOnce) {
  const RowChunks chunks = RowChunks::uniform(100000, 1000);
  std::vector<std::atomic<int>> visits(100000);
  for_each_chunk(chunks, 4, [&](Index, Index begin, Index end) {
    for (Index i = begin; i < end; ++i)
      visits[static_cast<std::size_t>(i)]++;
  });
  for (const auto& v : visits)
    ASSERT_EQ(v.load(), 1);
}

TEST(RowChunks, BalancedChunksAreContiguousAndBounded) {
  const auto& f = fixture();
  const Index target = 1000;
  const RowChunks chunks = RowChunks::balanced(f.A, target);
  EXPECT_EQ(chunks.rows(), f.A.rows());
  EXPECT_EQ(chunks.begin(0), 0);
  for (Index c = 0; c < chunks.count(); ++c) {
    ASSERT_LT(chunks.begin(c), chunks.end(c));
    if (c + 1 < chunks.count()) {
      ASSERT_EQ(chunks.end(c), chunks.begin(c + 1));
    }
    const Index nnz = f.A.outerIndexPtr()[chunks.end(c)] - f.A.outerIndexPtr()[chunks.begin(c)];
    const Index cost = nnz + kRowCost * (chunks.end(c) - chunks.begin(c));
    // A chunk closes as soon as it reaches the target, so it exceeds it by less than one row.
    EXPECT_LT(cost, target + kRowCost + 100);
  }
  EXPECT_EQ(chunks.cost(), f.A.nonZeros() + kRowCost * f.A.rows());
}

TEST(RowChunks, UniformAndEmptyPartitions) {
  const RowChunks chunks = RowChunks::uniform(10, 4);
  ASSERT_EQ(chunks.count(), 3);
  EXPECT_EQ(chunks.end(2), 10);
  EXPECT_EQ(chunks.begin(2), 8);
  EXPECT_EQ(RowChunks::uniform(0, 4).count(), 0);
  EXPECT_EQ(RowChunks().count(), 0);
  EXPECT_THROW(RowChunks::uniform(10, 0), std::invalid_argument);
  EXPECT_THROW(RowChunks::balanced(fixture().A, 0), std::invalid_argument);
  const auto total =
      sum_over_chunks<1>(RowChunks(), 2, [](Index, Index, auto& acc) { acc[0] = 1; });
  EXPECT_EQ(total[0], 0.0);
}

TEST(SparseKernels, RejectsSizeMismatches) {
  const auto& f = fixture();
  Vector y(f.A.rows());
  const Vector wrong = Vector::Zero(f.A.cols() + 1);
  EXPECT_THROW(multiply(f.A, wrong, y), std::invalid_argument);
  Vector short_y(3);
  EXPECT_THROW(multiply(f.A, Vector::Zero(f.A.cols()), short_y), std::invalid_argument);
  Vector work;
  Vector out(f.A.cols());
  EXPECT_THROW(
      multiply_gram(f.A, f.A, Vector::Ones(f.A.rows()), Vector::Zero(f.A.cols()), out, work),
      std::invalid_argument);
}

TEST(SparseKernels, ResolveThreads) {
  EXPECT_GE(resolve_threads(0), 1);
  if (parallel_enabled()) {
    EXPECT_EQ(resolve_threads(3), 3);
  } else {
    EXPECT_EQ(resolve_threads(3), 1);
  }
}

TEST(FunctionRef, CallsTheReferencedCallable) {
  int calls = 0;
  auto add = [&calls](int a, int b) {
    ++calls;
    return a + b;
  };
  const FunctionRef<int(int, int)> ref(add);
  EXPECT_EQ(ref(2, 3), 5);
  EXPECT_EQ(calls, 1);
}

// A dense matrix as an operator, and a type that lacks apply_add: the concept tells them apart.
struct DenseOperator {
  Eigen::MatrixXd m;
  [[nodiscard]] Index rows() const { return m.rows(); }
  void apply(const Vector& x, Vector& y) const { y = m * x; }
  void apply_add(const Vector& x, Vector& y) const { y += m * x; }
};
struct ApplyOnly {
  [[nodiscard]] Index rows() const { return 1; }
  void apply(const Vector& x, Vector& y) const { y = x; }
};
static_assert(LinearOperator<DenseOperator>);
static_assert(!LinearOperator<ApplyOnly>);

TEST(LinearOperator, ApplyOverwritesAndApplyAddAccumulates) {
  const DenseOperator op{Eigen::MatrixXd::Identity(3, 3) * 2.0};
  const Vector x = Vector::Ones(3);
  Vector y = Vector::Constant(3, 5.0);
  op.apply(x, y);
  EXPECT_EQ(y, Vector::Constant(3, 2.0));
  op.apply_add(x, y);
  EXPECT_EQ(y, Vector::Constant(3, 4.0));
}

}  // namespace
}  // namespace shine::linalg
