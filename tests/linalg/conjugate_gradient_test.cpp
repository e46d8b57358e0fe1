#include "shine/linalg/conjugate_gradient.hpp"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <functional>
#include <limits>
#include <stdexcept>

#include "shine/inner/lbfgs_memory.hpp"
#include "support/random_problems.hpp"

namespace shine::linalg {
namespace {

using test::random_vector;

// A dense matrix as a LinearOperator, counting its applications.
class DenseOperator {
 public:
  explicit DenseOperator(Eigen::MatrixXd a) : a_(std::move(a)) {}
  [[nodiscard]] Index rows() const noexcept { return a_.rows(); }
  void apply(const Vector& x, Vector& y) const {
    ++applications;
    y.noalias() = a_ * x;
  }
  void apply_add(const Vector& x, Vector& y) const {
    ++applications;
    y.noalias() += a_ * x;
  }
  [[nodiscard]] const Eigen::MatrixXd& matrix() const { return a_; }
  mutable int applications = 0;

 private:
  Eigen::MatrixXd a_;
};
static_assert(LinearOperator<DenseOperator>);

// A random SPD matrix Q diag(eigenvalues) Qᵀ with eigenvalues spread geometrically over
// [1, condition]. Its seeds are far from the small seeds of the right-hand sides (a b equal to a
// column of the matrix Q was built from would lie in a 2-dimensional invariant subspace).
Eigen::MatrixXd random_spd(Index n, double condition, std::uint64_t seed) {
  Eigen::MatrixXd g(n, n);
  for (Index j = 0; j < n; ++j)
    g.col(j) = random_vector(n, 1'000'003 * (seed + 1) + static_cast<std::uint64_t>(j));
  const Eigen::HouseholderQR<Eigen::MatrixXd> qr(g);
  const Eigen::MatrixXd q = qr.householderQ();
  Vector eigenvalues(n);
  for (Index i = 0; i < n; ++i) {
    eigenvalues[i] = std::pow(condition, static_cast<double>(i) / static_cast<double>(n - 1));
  }
  return q * eigenvalues.asDiagonal() * q.transpose();
}

TEST(ConjugateGradient, SolvesRandomSpdSystemLikeCholesky) {
  const DenseOperator a(random_spd(60, 1e3, 11));
  const Vector b = random_vector(60, 99);
  const Vector exact = a.matrix().llt().solve(b);
  Vector x;  // empty: cold start at 0
  CgWorkspace work;
  const CgSummary s =
      conjugate_gradient(a, b, x, {.tolerance = 1e-12, .max_iterations = 500}, &work);
  EXPECT_EQ(s.termination, Termination::Converged) << s.message;
  EXPECT_LE(s.relative_residual, 1e-12);
  EXPECT_DOUBLE_EQ(s.initial_relative_residual, 1.0);
  // The true residual matches the recursive one to rounding, and x matches Cholesky.
  EXPECT_LE((b - a.matrix() * x).norm() / b.norm(), 1e-10);
  EXPECT_LE((x - exact).norm() / exact.norm(), 1e-9);
  // A cold start costs no extra product: one per iteration.
  EXPECT_EQ(s.operator_applications, s.iterations);
  EXPECT_EQ(a.applications, s.iterations);
  EXPECT_EQ(s.preconditioner_applications, 0);
  EXPECT_FALSE(s.brief().empty());
}

TEST(ConjugateGradient, ExactInAtMostNIterationsOnWellConditionedSystem) {
  // In exact arithmetic CG ends in at most n steps; with κ = 10 it needs far fewer.
  const DenseOperator a(random_spd(40, 10.0, 3));
  const Vector b = random_vector(40, 4);
  Vector x;
  const CgSummary s = conjugate_gradient(a, b, x, {.tolerance = 1e-10});
  EXPECT_EQ(s.termination, Termination::Converged);
  EXPECT_LT(s.iterations, 40);
}

TEST(ConjugateGradient, WarmStartNearTheSolutionSavesIterations) {
  const DenseOperator a(random_spd(80, 1e4, 21));
  const Vector b = random_vector(80, 22);
  const Vector exact = a.matrix().llt().solve(b);
  Vector cold;
  const CgSummary cold_summary = conjugate_gradient(a, b, cold, {.tolerance = 1e-10});
  Vector warm = exact + 1e-6 * exact.norm() * random_vector(80, 23) / std::sqrt(80.0);
  const CgSummary warm_summary = conjugate_gradient(a, b, warm, {.tolerance = 1e-10});
  ASSERT_EQ(cold_summary.termination, Termination::Converged);
  ASSERT_EQ(warm_summary.termination, Termination::Converged);
  EXPECT_LT(warm_summary.initial_relative_residual, 1e-2);
  EXPECT_LT(warm_summary.iterations, cold_summary.iterations);
  // The warm start's residual costs one product.
  EXPECT_EQ(warm_summary.operator_applications, warm_summary.iterations + 1);
  EXPECT_LE((warm - exact).norm() / exact.norm(), 1e-6);
}

TEST(ConjugateGradient, StartingAtTheSolutionConvergesWithoutIterating) {
  const DenseOperator a(random_spd(20, 100.0, 5));
  const Vector b = random_vector(20, 6);
  Vector x = a.matrix().llt().solve(b);
  const CgSummary s = conjugate_gradient(a, b, x, {.tolerance = 1e-8});
  EXPECT_EQ(s.termination, Termination::Converged);
  EXPECT_EQ(s.iterations, 0);
  EXPECT_EQ(s.operator_applications, 1);
}

TEST(ConjugateGradient, JacobiPreconditionerCutsIterationsOnBadlyScaledSystem) {
  // A = D C D with a well-conditioned C and a diagonal D spanning 4 orders of magnitude: plain CG
  // struggles, CG preconditioned by diag(A)⁻¹ does not.
  const Index n = 60;
  Vector scale(n);
  for (Index i = 0; i < n; ++i)
    scale[i] = std::pow(10.0, 4.0 * static_cast<double>(i) / (n - 1));
  const Eigen::MatrixXd c = random_spd(n, 5.0, 7);
  const DenseOperator a(scale.asDiagonal() * c * scale.asDiagonal());
  const Vector inverse_diagonal = a.matrix().diagonal().cwiseInverse();
  const auto jacobi = [&](const Vector& v, Vector& out) { out = inverse_diagonal.cwiseProduct(v); };
  const FunctionOperator preconditioner(n, jacobi);
  const Vector b = random_vector(n, 8);
  const Vector exact = a.matrix().llt().solve(b);

  Vector plain;
  const CgSummary plain_summary =
      conjugate_gradient(a, b, plain, {.tolerance = 1e-10, .max_iterations = 2000});
  Vector preconditioned;
  const CgSummary pre_summary =
      preconditioned_conjugate_gradient(a, preconditioner, b, preconditioned, {.tolerance = 1e-10});
  ASSERT_EQ(pre_summary.termination, Termination::Converged) << pre_summary.message;
  EXPECT_LT(pre_summary.iterations * 3, plain_summary.iterations);
  // M is applied at the start and after every iteration but the converged last one.
  EXPECT_EQ(pre_summary.preconditioner_applications, pre_summary.iterations);
  EXPECT_LE((preconditioned - exact).norm() / exact.norm(), 1e-6);
}

TEST(ConjugateGradient, ExactInversePreconditionerConvergesInOneIteration) {
  const DenseOperator a(random_spd(30, 1e3, 9));
  const DenseOperator inverse(a.matrix().inverse());
  const Vector b = random_vector(30, 10);
  Vector x;
  const CgSummary s = preconditioned_conjugate_gradient(a, inverse, b, x, {.tolerance = 1e-9});
  EXPECT_EQ(s.termination, Termination::Converged);
  EXPECT_EQ(s.iterations, 1);
}

TEST(ConjugateGradient, LbfgsMemoryIsAUsablePreconditioner) {
  // Pairs (s, A s) are exact secant pairs of A: B⁻¹ then models A⁻¹ on their span.
  const Index n = 50;
  const DenseOperator a(random_spd(n, 1e4, 12));
  inner::LbfgsMemory memory(n, 30);
  for (int i = 0; i < 30; ++i) {
    const Vector s = random_vector(n, 200 + static_cast<std::uint64_t>(i));
    ASSERT_TRUE(memory.add_pair(s, a.matrix() * s));
  }
  const Vector b = random_vector(n, 13);
  Vector plain, preconditioned;
  const CgSummary plain_summary = conjugate_gradient(a, b, plain, {.tolerance = 1e-10});
  const CgSummary pre_summary =
      preconditioned_conjugate_gradient(a, memory, b, preconditioned, {.tolerance = 1e-10});
  ASSERT_EQ(plain_summary.termination, Termination::Converged);
  ASSERT_EQ(pre_summary.termination, Termination::Converged);
  EXPECT_LT(pre_summary.iterations, plain_summary.iterations);
  EXPECT_LE((preconditioned - plain).norm() / plain.norm(), 1e-6);
}

TEST(ConjugateGradient, BudgetGivesMaxIterationsWithTheLastIterate) {
  const DenseOperator a(random_spd(50, 1e4, 14));
  const Vector b = random_vector(50, 15);
  Vector x;
  const CgSummary s = conjugate_gradient(a, b, x, {.tolerance = 1e-12, .max_iterations = 5});
  EXPECT_EQ(s.termination, Termination::MaxIterations);
  EXPECT_EQ(s.iterations, 5);
  EXPECT_TRUE(x.allFinite());
  // The residual of CG is not monotone (here it is above 1 after 5 iterations), its A-norm error
  // is: it decreases with every extra iteration allowed.
  const Vector exact = a.matrix().llt().solve(b);
  const auto a_norm = [&](const Vector& v) { return std::sqrt(v.dot(a.matrix() * v)); };
  double previous = a_norm(exact);  // error of x₀ = 0
  for (int budget = 1; budget <= 8; ++budget) {
    Vector partial;
    (void)conjugate_gradient(a, b, partial, {.tolerance = 1e-12, .max_iterations = budget});
    const double error = a_norm(partial - exact);
    EXPECT_LT(error, previous) << "budget " << budget;
    previous = error;
  }
  EXPECT_NEAR((b - a.matrix() * x).norm() / b.norm(), s.relative_residual, 1e-10);

  Vector untouched = Vector::Zero(50);
  const CgSummary zero_budget =
      conjugate_gradient(a, b, untouched, {.tolerance = 1e-12, .max_iterations = 0});
  EXPECT_EQ(zero_budget.termination, Termination::MaxIterations);
  EXPECT_EQ(zero_budget.iterations, 0);
  EXPECT_TRUE(untouched.isZero(0.0));
}

TEST(ConjugateGradient, ZeroRightHandSideGivesZero) {
  const DenseOperator a(random_spd(10, 10.0, 16));
  Vector x = random_vector(10, 17);
  const CgSummary s = conjugate_gradient(a, Vector::Zero(10), x);
  EXPECT_EQ(s.termination, Termination::Converged);
  EXPECT_TRUE(x.isZero(0.0));
  EXPECT_EQ(s.relative_residual, 0.0);
}

TEST(ConjugateGradient, IndefiniteOperatorIsANumericalErrorNotAThrow) {
  Eigen::MatrixXd m = Eigen::MatrixXd::Identity(4, 4);
  m(2, 2) = -1.0;
  const DenseOperator a(m);
  const Vector b = Vector::Unit(4, 2);  // p₀ = b: pᵀAp = −1 at once
  Vector x;
  CgSummary s;
  EXPECT_NO_THROW(s = conjugate_gradient(a, b, x));
  EXPECT_EQ(s.termination, Termination::NumericalError);
  EXPECT_NE(s.message.find("p'Ap"), std::string::npos) << s.message;
  EXPECT_TRUE(x.allFinite());
  EXPECT_TRUE(x.isZero(0.0));  // the last finite iterate is the start

  // Singular along b: pᵀAp = 0.
  const DenseOperator singular(Eigen::MatrixXd::Zero(3, 3));
  Vector y;
  s = conjugate_gradient(singular, Vector::Ones(3), y);
  EXPECT_EQ(s.termination, Termination::NumericalError);
  EXPECT_TRUE(y.allFinite());
}

TEST(ConjugateGradient, IndefinitePreconditionerIsANumericalError) {
  const DenseOperator a(random_spd(5, 10.0, 18));
  const DenseOperator negative(-Eigen::MatrixXd::Identity(5, 5));
  Vector x;
  const CgSummary s = preconditioned_conjugate_gradient(a, negative, Vector::Ones(5), x);
  EXPECT_EQ(s.termination, Termination::NumericalError);
  EXPECT_NE(s.message.find("r'Mr"), std::string::npos) << s.message;
}

TEST(ConjugateGradient, NonFiniteValuesAreReportedNeverThrown) {
  const DenseOperator a(random_spd(6, 10.0, 19));
  Vector b = Vector::Ones(6);
  b[3] = std::numeric_limits<double>::quiet_NaN();
  Vector x;
  CgSummary s = conjugate_gradient(a, b, x);
  EXPECT_EQ(s.termination, Termination::NumericalError);

  // An operator that returns NaN after two good products: x stays the last finite iterate.
  int calls = 0;
  const auto flaky = [&](const Vector& v, Vector& out) {
    out = a.matrix() * v;
    if (++calls > 2) out[0] = std::numeric_limits<double>::quiet_NaN();
  };
  const FunctionOperator op(6, flaky);
  Vector y;
  EXPECT_NO_THROW(s = conjugate_gradient(op, Vector::Ones(6), y, {.tolerance = 1e-14}));
  EXPECT_EQ(s.termination, Termination::NumericalError);
  EXPECT_EQ(s.iterations, 2);
  EXPECT_TRUE(y.allFinite());
}

TEST(ConjugateGradient, MisuseThrowsInvalidArgument) {
  const DenseOperator a(random_spd(4, 10.0, 20));
  Vector x;
  EXPECT_THROW((void)conjugate_gradient(a, Vector::Ones(3), x), std::invalid_argument);
  Vector wrong = Vector::Zero(5);
  EXPECT_THROW((void)conjugate_gradient(a, Vector::Ones(4), wrong), std::invalid_argument);
  try {
    (void)conjugate_gradient(a, Vector::Ones(4), x, {.tolerance = -1.0});
    FAIL() << "negative tolerance accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("CgOptions::tolerance"), std::string::npos) << e.what();
  }
  try {
    (void)conjugate_gradient(a, Vector::Ones(4), x, {.max_iterations = -1});
    FAIL() << "negative budget accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("CgOptions::max_iterations"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace shine::linalg
