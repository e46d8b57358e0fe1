#include "shine/inner/lbfgs_memory.hpp"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "support/binary16_reference.hpp"
#include "support/fd_check.hpp"
#include "support/lbfgs_hessian.hpp"
#include "support/random_problems.hpp"

namespace shine::inner {
namespace {

using test::random_vector;
using test::relative_error;

// A random symmetric positive definite matrix with condition number about 100.
Eigen::MatrixXd spd_matrix(Index d, std::uint64_t seed) {
  Eigen::MatrixXd Q = Eigen::MatrixXd(d, d);
  for (Index j = 0; j < d; ++j)
    Q.col(j) = random_vector(d, seed + static_cast<std::uint64_t>(j));
  const Eigen::HouseholderQR<Eigen::MatrixXd> qr(Q);
  const Eigen::MatrixXd U = qr.householderQ();
  Vector eig(d);
  for (Index j = 0; j < d; ++j)
    eig[j] = std::pow(100.0, static_cast<double>(j) / static_cast<double>(d - 1));
  return U * eig.asDiagonal() * U.transpose();
}

// A positive diagonal spanning two orders of magnitude.
Vector random_diagonal(Index d, std::uint64_t seed) {
  return (random_vector(d, seed).array() * 1.2).exp().matrix();
}

struct MemoryCase {
  InitialHessian mode;
  bool diagonal;
  bool diagonal_after_pairs;  // set Δ once the pairs are in (the Gram is then recomputed)
  PairPrecision precision = PairPrecision::Double;
};

// Fills a memory with pairs (s, A s) from random steps.
LbfgsMemory filled_memory(const Eigen::MatrixXd& A, int capacity, int pairs,
                          MemoryCase c = {InitialHessian::ScaledIdentity, false, false}) {
  LbfgsMemory memory(A.rows(), capacity, c.mode, 1e-10, c.precision);
  const Vector delta = random_diagonal(A.rows(), 77);
  if (c.diagonal && !c.diagonal_after_pairs) memory.set_diagonal(delta);
  for (int k = 0; k < pairs; ++k) {
    const Vector s = random_vector(A.rows(), 1000 + static_cast<std::uint64_t>(k));
    EXPECT_TRUE(memory.add_pair(s, A * s));
  }
  if (c.diagonal && c.diagonal_after_pairs) memory.set_diagonal(delta);
  return memory;
}

// The textbook two-loop recursion (Nocedal & Wright Algorithm 7.4) with H₀ = γΔ, as an
// independent reference.
Vector two_loop_reference(const LbfgsMemory& m, const Vector& v) {
  const int k = m.size();
  const Vector delta = m.diagonal().size() > 0 ? m.diagonal() : Vector::Ones(v.size());
  Vector q = v;
  std::vector<double> alpha(static_cast<std::size_t>(k));
  for (int i = k - 1; i >= 0; --i) {
    alpha[static_cast<std::size_t>(i)] = m.rho(i) * m.s(i).dot(q);
    q -= alpha[static_cast<std::size_t>(i)] * m.y(i);
  }
  double gamma = 1.0;
  if (m.initial_hessian() == InitialHessian::ScaledIdentity && k > 0) {
    gamma = m.s(k - 1).dot(m.y(k - 1)) / m.y(k - 1).dot(delta.cwiseProduct(m.y(k - 1)));
  }
  Vector r = gamma * delta.cwiseProduct(q);
  for (int i = 0; i < k; ++i) {
    const double beta = m.rho(i) * m.y(i).dot(r);
    r += (alpha[static_cast<std::size_t>(i)] - beta) * m.s(i);
  }
  return r;
}

class MemoryProperties : public testing::TestWithParam<MemoryCase> {
 protected:
  // The relative accuracy of an identity of the operators: double rounding, or the single
  // precision in which binary16 pairs are computed (times the condition number, about 100).
  static double accuracy(double in_double, double in_single = 1e-5) {
    return GetParam().precision == PairPrecision::Half ? in_single : in_double;
  }
};

TEST_P(MemoryProperties, SecantEquationForTheNewestPair) {
  const auto A = spd_matrix(30, 1);
  const LbfgsMemory m = filled_memory(A, 8, 12, GetParam());
  ASSERT_EQ(m.size(), 8);
  Vector h_inv_y;
  m.apply_inverse(m.y(m.size() - 1), h_inv_y);
  EXPECT_LT(relative_error(h_inv_y, m.s(m.size() - 1)), accuracy(1e-10));
  Vector b_s;
  test::apply_hessian(m, m.s(m.size() - 1), b_s);
  EXPECT_LT(relative_error(b_s, m.y(m.size() - 1)), accuracy(1e-10));
}

TEST_P(MemoryProperties, HessianAndInverseAreInverseToEachOther) {
  const auto A = spd_matrix(25, 2);
  const LbfgsMemory m = filled_memory(A, 6, 9, GetParam());
  for (const std::uint64_t seed : {10, 11, 12}) {
    const Vector v = random_vector(25, seed);
    Vector hv;
    Vector bhv;
    m.apply_inverse(v, hv);
    test::apply_hessian(m, hv, bhv);
    EXPECT_LT(relative_error(bhv, v), accuracy(1e-10, 1e-4));
    Vector bv;
    Vector hbv;
    test::apply_hessian(m, v, bv);
    m.apply_inverse(bv, hbv);
    EXPECT_LT(relative_error(hbv, v), accuracy(1e-10, 1e-4));
  }
}

TEST_P(MemoryProperties, SymmetricPositiveDefinite) {
  const auto A = spd_matrix(20, 3);
  const LbfgsMemory m = filled_memory(A, 5, 7, GetParam());
  for (std::uint64_t seed = 20; seed < 30; ++seed) {
    const Vector u = random_vector(20, seed);
    const Vector v = random_vector(20, seed + 100);
    Vector Hu;
    Vector Hv;
    m.apply_inverse(u, Hu);
    m.apply_inverse(v, Hv);
    EXPECT_NEAR(u.dot(Hv), v.dot(Hu), accuracy(1e-12, 1e-6) * (u.norm() * Hv.norm()));
    EXPECT_GT(v.dot(Hv), 0.0);
    Vector Bu;
    Vector Bv;
    test::apply_hessian(m, u, Bu);
    test::apply_hessian(m, v, Bv);
    EXPECT_NEAR(u.dot(Bv), v.dot(Bu), accuracy(1e-10, 1e-6) * (u.norm() * Bv.norm()));
    EXPECT_GT(v.dot(Bv), 0.0);
  }
}

TEST_P(MemoryProperties, MatchesTheTextbookTwoLoopRecursion) {
  const auto A = spd_matrix(40, 4);
  // More pairs than capacity, so that the ring buffer has wrapped around.
  const LbfgsMemory m = filled_memory(A, 7, 17, GetParam());
  for (const std::uint64_t seed : {30, 31}) {
    const Vector v = random_vector(40, seed);
    Vector out;
    m.apply_inverse(v, out);
    EXPECT_LT(relative_error(out, two_loop_reference(m, v)), accuracy(1e-12));
    Vector via_operator;
    m.apply(v, via_operator);
    EXPECT_EQ(via_operator, out);
  }
}

INSTANTIATE_TEST_SUITE_P(
    InitialHessians, MemoryProperties,
    testing::Values(MemoryCase{InitialHessian::ScaledIdentity, false, false},
                    MemoryCase{InitialHessian::Identity, false, false},
                    MemoryCase{InitialHessian::ScaledIdentity, true, false},
                    MemoryCase{InitialHessian::ScaledIdentity, true, true},
                    MemoryCase{InitialHessian::Identity, true, false},
                    MemoryCase{InitialHessian::ScaledIdentity, false, false, PairPrecision::Single},
                    MemoryCase{InitialHessian::ScaledIdentity, true, true, PairPrecision::Single},
                    MemoryCase{InitialHessian::Identity, true, false, PairPrecision::Single},
                    MemoryCase{InitialHessian::ScaledIdentity, false, false, PairPrecision::Half},
                    MemoryCase{InitialHessian::ScaledIdentity, true, false, PairPrecision::Half},
                    MemoryCase{InitialHessian::ScaledIdentity, true, true, PairPrecision::Half},
                    MemoryCase{InitialHessian::Identity, true, false, PairPrecision::Half}));

TEST(LbfgsMemory, AutomaticPrecisionIsHalfFrom8MiBOfDoublePairs) {
  // 2·m·d·8 bytes against 8 MiB: at m = 30 the switch is between d = 17,476 and 17,477.
  EXPECT_EQ(resolve_pair_precision(PairPrecision::Automatic, 17476, 30), PairPrecision::Double);
  EXPECT_EQ(resolve_pair_precision(PairPrecision::Automatic, 17477, 30), PairPrecision::Half);
  EXPECT_EQ(resolve_pair_precision(PairPrecision::Automatic, 524288, 1), PairPrecision::Half);
  EXPECT_EQ(resolve_pair_precision(PairPrecision::Automatic, 0, 30), PairPrecision::Double);
  for (const PairPrecision fixed :
       {PairPrecision::Double, PairPrecision::Single, PairPrecision::Half}) {
    EXPECT_EQ(resolve_pair_precision(fixed, 1 << 24, 30), fixed);
    EXPECT_EQ(resolve_pair_precision(fixed, 3, 30), fixed);
  }
  EXPECT_EQ(to_string(PairPrecision::Automatic), "auto");
  // A memory resolves it when created and when its precision is set, with its own size.
  LbfgsMemory small(100, 30, InitialHessian::ScaledIdentity, 1e-10, PairPrecision::Automatic);
  EXPECT_EQ(small.pair_precision(), PairPrecision::Double);
  LbfgsMemory large(17477, 30, InitialHessian::ScaledIdentity, 1e-10, PairPrecision::Automatic);
  EXPECT_EQ(large.pair_precision(), PairPrecision::Half);
  large.set_pair_precision(PairPrecision::Double);
  EXPECT_EQ(large.pair_precision(), PairPrecision::Double);
  large.set_pair_precision(PairPrecision::Automatic);
  EXPECT_EQ(large.pair_precision(), PairPrecision::Half);
  small.set_capacity(1);
  small.set_pair_precision(PairPrecision::Automatic);
  EXPECT_EQ(small.pair_precision(), PairPrecision::Double);
}

TEST(LbfgsMemory, GammaFollowsTheInitialHessianMode) {
  const auto A = spd_matrix(10, 5);
  LbfgsMemory m = filled_memory(A, 4, 3);
  const int newest = m.size() - 1;
  EXPECT_NEAR(m.gamma(), m.s(newest).dot(m.y(newest)) / m.y(newest).squaredNorm(), 1e-15);
  m.set_initial_hessian(InitialHessian::Identity);
  EXPECT_EQ(m.gamma(), 1.0);
  EXPECT_EQ(LbfgsMemory(10, 4).gamma(), 1.0);
}

TEST(LbfgsMemory, DiagonalInitialHessian) {
  const auto A = spd_matrix(10, 9);
  LbfgsMemory m = filled_memory(A, 4, 3, {InitialHessian::ScaledIdentity, true, false});
  const Vector& delta = m.diagonal();
  ASSERT_EQ(delta.size(), 10);
  const int newest = m.size() - 1;
  EXPECT_NEAR(m.gamma(),
              m.s(newest).dot(m.y(newest)) / m.y(newest).dot(delta.cwiseProduct(m.y(newest))),
              1e-14);
  // An empty memory applies H₀ = Δ (γ = 1) and B₀ = Δ⁻¹.
  LbfgsMemory empty(10, 3);
  empty.set_diagonal(delta);
  const Vector v = random_vector(10, 41);
  Vector out;
  empty.apply_inverse(v, out);
  EXPECT_LT(relative_error(out, delta.cwiseProduct(v)), 1e-15);
  test::apply_hessian(empty, v, out);
  EXPECT_LT(relative_error(out, v.cwiseQuotient(delta)), 1e-15);
  // Removing Δ gives back the plain memory (same pairs).
  const std::uint64_t before = m.revision();
  m.set_diagonal(Vector());
  EXPECT_NE(m.revision(), before);
  const LbfgsMemory plain = filled_memory(A, 4, 3);
  Vector a;
  Vector b;
  m.apply_inverse(v, a);
  plain.apply_inverse(v, b);
  EXPECT_LT(relative_error(a, b), 1e-13);
  EXPECT_THROW(m.set_diagonal(Vector::Ones(3)), std::invalid_argument);
  EXPECT_THROW(m.set_diagonal(-Vector::Ones(10)), std::invalid_argument);
}

TEST(LbfgsMemory, EmptyMemoryIsTheIdentity) {
  const LbfgsMemory m(5, 3);
  const Vector v = random_vector(5, 40);
  Vector out;
  m.apply_inverse(v, out);
  EXPECT_EQ(out, v);
  test::apply_hessian(m, v, out);
  EXPECT_EQ(out, v);
}

TEST(LbfgsMemory, KeepsTheNewestPairsInChronologicalOrder) {
  LbfgsMemory m(3, 4);
  std::vector<Vector> steps;
  for (int k = 0; k < 7; ++k) {
    Vector s = Vector::Constant(3, 1.0 + k);
    steps.push_back(s);
    EXPECT_TRUE(m.add_pair(s, 2.0 * s));
  }
  ASSERT_EQ(m.size(), 4);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(m.s(i), steps[static_cast<std::size_t>(3 + i)]) << i;
  EXPECT_NEAR(m.curvature(3), 2.0 * 49.0 * 3.0, 1e-12);
}

TEST(LbfgsMemory, CurvatureGuardRejectsBadPairs) {
  LbfgsMemory m(3, 4, InitialHessian::ScaledIdentity, 1e-3);
  Vector s(3);
  s << 1, 0, 0;
  Vector y(3);
  y << -1, 0, 0;
  EXPECT_FALSE(m.add_pair(s, y));  // sᵀy < 0
  y << 1e-6, 1, 0;                 // cosine 1e-6 < ε
  EXPECT_FALSE(m.add_pair(s, y));
  y << 0, 0, 0;
  EXPECT_FALSE(m.add_pair(s, y));
  y << std::nan(""), 1, 1;
  EXPECT_FALSE(m.add_pair(s, y));
  EXPECT_TRUE(m.empty());
  y << 1, 1, 0;
  EXPECT_TRUE(m.add_pair(s, y));
  EXPECT_EQ(m.size(), 1);
}

TEST(LbfgsMemory, MovingAddAndResizingKeepTheOperatorConsistent) {
  const auto A = spd_matrix(15, 6);
  LbfgsMemory moved(15, 5);
  LbfgsMemory copied(15, 5);
  for (int k = 0; k < 8; ++k) {
    Vector s = random_vector(15, 2000 + static_cast<std::uint64_t>(k));
    Vector y = A * s;
    EXPECT_TRUE(copied.add_pair(s, y));
    EXPECT_TRUE(moved.add_pair(std::move(s), std::move(y)));
  }
  const Vector v = random_vector(15, 50);
  Vector a;
  Vector b;
  moved.apply_inverse(v, a);
  copied.apply_inverse(v, b);
  EXPECT_EQ(a, b);

  // Shrinking keeps the three newest pairs: same operator as a memory built from them alone.
  copied.set_capacity(3);
  ASSERT_EQ(copied.size(), 3);
  LbfgsMemory fresh(15, 3);
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(fresh.add_pair(moved.s(2 + i), moved.y(2 + i)));
  copied.apply_inverse(v, a);
  fresh.apply_inverse(v, b);
  EXPECT_LT(relative_error(a, b), 1e-14);
  // Growing keeps all pairs and accepts more.
  copied.set_capacity(6);
  EXPECT_EQ(copied.size(), 3);
  EXPECT_TRUE(copied.add_pair(moved.s(0), moved.y(0)));
  EXPECT_EQ(copied.size(), 4);
  copied.clear();
  EXPECT_TRUE(copied.empty());
}

TEST(LbfgsMemory, InPlaceApplicationAndAccumulation) {
  const auto A = spd_matrix(12, 7);
  const LbfgsMemory m = filled_memory(A, 4, 4);
  const Vector v = random_vector(12, 60);
  Vector expected;
  m.apply_inverse(v, expected);
  Vector in_place = v;
  m.apply_inverse(in_place, in_place);
  EXPECT_LT(relative_error(in_place, expected), 1e-15);
  Vector acc = v;
  m.apply_add(v, acc);
  EXPECT_LT(relative_error(acc, v + expected), 1e-15);
  Vector b_acc = Vector::Zero(12);
  test::hessian(m).apply_add(v, b_acc);
  Vector bv;
  test::hessian(m).apply(v, bv);
  EXPECT_EQ(b_acc, bv);
  EXPECT_EQ(test::hessian(m).rows(), 12);
}

TEST(LbfgsMemory, ProjectionFromAddPairSavesASweepWithoutChangingTheResult) {
  const auto A = spd_matrix(30, 8);
  LbfgsMemory fused(30, 4);
  LbfgsMemory plain(30, 4);
  LbfgsProjection projection;
  for (int k = 0; k < 7; ++k) {
    const Vector s = random_vector(30, 3000 + static_cast<std::uint64_t>(k));
    const Vector g = random_vector(30, 4000 + static_cast<std::uint64_t>(k));
    const std::uint64_t before = fused.revision();
    EXPECT_TRUE(fused.add_pair(s, A * s, g, projection));
    EXPECT_TRUE(plain.add_pair(s, A * s));
    EXPECT_NE(fused.revision(), before);
    EXPECT_EQ(projection.revision, fused.revision());
    LbfgsProjection direct;
    fused.project(g, direct);
    EXPECT_EQ(projection.s_dots, direct.s_dots);
    EXPECT_EQ(projection.y_dots, direct.y_dots);
    Vector with;
    Vector without;
    fused.apply_inverse(g, with, -2.0, &projection);
    plain.apply_inverse(g, without);
    EXPECT_EQ(with, -2.0 * without);
  }
  // A refused pair leaves the pairs and the revision alone, and the projection stays valid.
  const Vector g = random_vector(30, 5000);
  const std::uint64_t before = fused.revision();
  EXPECT_FALSE(fused.add_pair(Vector::Unit(30, 0), -Vector::Unit(30, 0), g, projection));
  EXPECT_EQ(fused.revision(), before);
  EXPECT_EQ(projection.revision, before);
  Vector with;
  Vector without;
  fused.apply_inverse(g, with, 1.0, &projection);
  plain.apply_inverse(g, without);
  EXPECT_EQ(with, without);
  // A pair added afterwards makes the projection stale: it is ignored, not misused.
  const Vector s = random_vector(30, 6000);
  EXPECT_TRUE(fused.add_pair(s, A * s));
  EXPECT_TRUE(plain.add_pair(s, A * s));
  EXPECT_NE(projection.revision, fused.revision());
  fused.apply_inverse(g, with, 1.0, &projection);
  plain.apply_inverse(g, without);
  EXPECT_EQ(with, without);
}

TEST(LbfgsMemory, ResultsDoNotDependOnTheThreadCount) {
  const Index dim = 60000;  // several chunks, enough work to start threads
  for (const PairPrecision precision :
       {PairPrecision::Double, PairPrecision::Single, PairPrecision::Half}) {
    Vector reference;
    Vector reference_b;
    for (const int threads : {1, 2, 4}) {
      LbfgsMemory m(dim, 5, InitialHessian::ScaledIdentity, 1e-10, precision);
      m.set_num_threads(threads);
      EXPECT_EQ(m.num_threads(), threads);
      LbfgsProjection projection;
      for (int k = 0; k < 6; ++k) {
        const Vector s = random_vector(dim, 7000 + static_cast<std::uint64_t>(k));
        const Vector y = s + 0.1 * random_vector(dim, 8000 + static_cast<std::uint64_t>(k));
        EXPECT_TRUE(m.add_pair(s, y, random_vector(dim, 8500), projection));
      }
      m.set_diagonal(random_diagonal(dim, 78));
      Vector out;
      m.apply_inverse(random_vector(dim, 9000), out);
      Vector b;
      test::apply_hessian(m, random_vector(dim, 9001), b);
      if (threads == 1) {
        reference = out;
        reference_b = b;
      } else {
        EXPECT_EQ(out, reference) << threads << " threads";
        EXPECT_EQ(b, reference_b) << threads << " threads";
      }
    }
  }
  EXPECT_THROW(LbfgsMemory(3, 2).set_num_threads(-1), std::invalid_argument);
}

// A memory rebuilt by adding its pairs again, in order (what resuming from a checkpoint does),
// is the same operator bit for bit, in both precisions, and also when the rebuilt memory starts
// in double precision and is switched to single afterwards.
TEST(LbfgsMemory, RebuildingFromThePairsGivesTheSameBits) {
  const Index dim = 20000;
  const auto A = [](const Vector& s) {
    return Vector(s + 0.5 * s.cwiseProduct(s.cwiseAbs()) + 0.25 * s.reverse());
  };
  for (const PairPrecision precision :
       {PairPrecision::Double, PairPrecision::Single, PairPrecision::Half}) {
    for (const bool with_delta : {false, true}) {
      LbfgsMemory original(dim, 4, InitialHessian::ScaledIdentity, 1e-10, precision);
      const Vector delta = random_diagonal(dim, 79);
      if (with_delta) original.set_diagonal(delta);
      LbfgsProjection projection;
      for (int k = 0; k < 7; ++k) {
        Vector s = random_vector(dim, 10000 + static_cast<std::uint64_t>(k));
        Vector y = A(s);
        original.add_pair(std::move(s), std::move(y), random_vector(dim, 11000), projection);
      }
      ASSERT_EQ(original.size(), 4);
      LbfgsMemory same(dim, 4, InitialHessian::ScaledIdentity, 1e-10, precision);
      LbfgsMemory widened(dim, 4);  // double storage, switched to `precision` afterwards
      for (int i = 0; i < original.size(); ++i) {
        EXPECT_TRUE(same.add_pair(original.s(i), original.y(i)));
        EXPECT_TRUE(widened.add_pair(original.s(i), original.y(i)));
      }
      widened.set_pair_precision(precision);
      if (with_delta) {
        same.set_diagonal(delta);
        widened.set_diagonal(delta);
        original.set_diagonal(delta);  // recomputes the products of Δ as the rebuilt ones did
      }
      const Vector v = random_vector(dim, 12000);
      Vector a;
      Vector b;
      Vector c;
      original.apply_inverse(v, a);
      same.apply_inverse(v, b);
      widened.apply_inverse(v, c);
      EXPECT_EQ(a, b) << to_string(precision) << " " << with_delta;
      EXPECT_EQ(a, c) << to_string(precision) << " " << with_delta;
      EXPECT_EQ(original.gamma(), same.gamma());
      for (int i = 0; i < original.size(); ++i)
        EXPECT_EQ(original.curvature(i), same.curvature(i)) << i;
    }
  }
}

TEST(LbfgsMemory, SinglePrecisionStoresTheRoundedPairs) {
  const auto A = spd_matrix(30, 12);
  LbfgsMemory m(30, 4, InitialHessian::ScaledIdentity, 1e-10, PairPrecision::Single);
  EXPECT_EQ(m.pair_precision(), PairPrecision::Single);
  LbfgsMemory wide(30, 4);
  for (int k = 0; k < 6; ++k) {
    const Vector s = random_vector(30, 13000 + static_cast<std::uint64_t>(k));
    EXPECT_TRUE(m.add_pair(s, A * s));
    EXPECT_TRUE(wide.add_pair(s, A * s));
    const Vector rounded = s.cast<float>().cast<double>();
    EXPECT_EQ(m.s(m.size() - 1), rounded);
    // sᵀy of the rounded vectors (the unrounded product differs by about 1e-7 relatively).
    const double sy = rounded.dot((A * s).cast<float>().cast<double>());
    EXPECT_NEAR(m.curvature(m.size() - 1), sy, 1e-13 * sy);
  }
  // Close to the double-precision operator, and switching precision keeps the pairs.
  const Vector v = random_vector(30, 14000);
  Vector a;
  Vector b;
  m.apply_inverse(v, a);
  wide.apply_inverse(v, b);
  EXPECT_LT(relative_error(a, b), 1e-5);
  wide.set_pair_precision(PairPrecision::Single);
  Vector c;
  wide.apply_inverse(v, c);
  EXPECT_EQ(c, a);
  wide.set_pair_precision(PairPrecision::Double);
  EXPECT_EQ(wide.pair_precision(), PairPrecision::Double);
  wide.apply_inverse(v, c);
  EXPECT_EQ(c, a);
  EXPECT_EQ(wide.s(0), m.s(0));
}

// The binary16 rounding of x with the scale 2^k that maps max|x| into [2^14, 2^15), computed
// independently of the memory's kernels (support/binary16_reference.hpp).
Vector half_rounding(const Vector& x) {
  const double max_abs = x.cwiseAbs().maxCoeff();
  const double scale = std::ldexp(1.0, std::ilogb(max_abs) - 14);
  Vector out(x.size());
  for (Index j = 0; j < x.size(); ++j) {
    const auto h = test::reference_half(static_cast<float>(x[j] / scale));
    out[j] = scale * test::reference_value(h);
  }
  return out;
}

TEST(LbfgsMemory, HalfPrecisionStoresTheRoundedPairs) {
  const auto A = spd_matrix(30, 12);
  LbfgsMemory m(30, 4, InitialHessian::ScaledIdentity, 1e-10, PairPrecision::Half);
  EXPECT_EQ(m.pair_precision(), PairPrecision::Half);
  LbfgsMemory wide(30, 4);
  for (int k = 0; k < 6; ++k) {
    // Steps of very different sizes: the per-vector scale follows them.
    const Vector s = std::pow(1e-3, k) * random_vector(30, 13000 + static_cast<std::uint64_t>(k));
    EXPECT_TRUE(m.add_pair(s, A * s));
    EXPECT_TRUE(wide.add_pair(s, A * s));
    const Vector rs = half_rounding(s);
    const Vector ry = half_rounding(A * s);
    EXPECT_EQ(m.s(m.size() - 1), rs);
    EXPECT_EQ(m.y(m.size() - 1), ry);
    EXPECT_LT(relative_error(rs, s), 1e-3);
    // sᵀy of the rounded vectors, computed in single precision: exact products (binary16 times
    // binary16) summed in float.
    const double sy = rs.dot(ry);
    EXPECT_NEAR(m.curvature(m.size() - 1), sy, 1e-6 * sy);
  }
  // The textbook recursion on the stored pairs (to single-precision rounding), and close to the
  // double-precision operator.
  const Vector v = random_vector(30, 14000);
  Vector a;
  Vector b;
  m.apply_inverse(v, a);
  wide.apply_inverse(v, b);
  EXPECT_LT(relative_error(a, two_loop_reference(m, v)), 1e-5);
  EXPECT_LT(relative_error(a, b), 2e-2);
  EXPECT_GT(relative_error(a, b), 0.0);
  // Switching precision keeps the pairs: to half they are rounded alike (the same operator, bit
  // for bit); back to double they are widened exactly and their products computed in double, as
  // by a double memory given the rounded pairs.
  wide.set_pair_precision(PairPrecision::Half);
  Vector c;
  wide.apply_inverse(v, c);
  EXPECT_EQ(c, a);
  wide.set_pair_precision(PairPrecision::Double);
  EXPECT_EQ(wide.pair_precision(), PairPrecision::Double);
  wide.apply_inverse(v, c);
  LbfgsMemory rounded(30, 4);
  for (int i = 0; i < m.size(); ++i)
    ASSERT_TRUE(rounded.add_pair(m.s(i), m.y(i)));
  Vector expected;
  rounded.apply_inverse(v, expected);
  EXPECT_EQ(c, expected);
  EXPECT_LT(relative_error(c, a), 1e-5);
  EXPECT_EQ(wide.s(0), m.s(0));
  wide.set_pair_precision(PairPrecision::Single);
  wide.set_pair_precision(PairPrecision::Half);
  wide.apply_inverse(v, c);
  EXPECT_EQ(c, a);
}

TEST(LbfgsMemory, HalfPrecisionRefusesNonFinitePairsAndKeepsZeros) {
  LbfgsMemory m(8, 3, InitialHessian::ScaledIdentity, 1e-10, PairPrecision::Half);
  Vector s = Vector::LinSpaced(8, 1.0, 8.0);
  Vector y = 2.0 * s;
  y[3] = std::numeric_limits<double>::infinity();
  EXPECT_FALSE(m.add_pair(s, y));
  y[3] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(m.add_pair(s, y));
  EXPECT_TRUE(m.empty());
  // A tiny step (far below the binary16 range without the scale) is stored with full precision,
  // its zero entries stay zero, and entries below 2^-40 of the largest round to zero.
  s = 1e-100 * Vector::LinSpaced(8, 1.0, 8.0);
  s[2] = 0.0;
  s[5] = 1e-115;
  y = 3.0 * s;
  ASSERT_TRUE(m.add_pair(s, y));
  EXPECT_EQ(m.s(0)[2], 0.0);
  EXPECT_EQ(m.s(0)[5], 0.0);
  EXPECT_LE(std::abs(m.s(0)[7] - s[7]), 0x1p-12 * s[7]);  // the largest entry, to 11 bits
  EXPECT_LE(std::abs(m.s(0)[0] - s[0]), 0x1p-12 * s[0]);
  Vector out;
  m.apply_inverse(y, out);
  EXPECT_TRUE(out.allFinite());
}

TEST(LbfgsMemory, RejectsMisuse) {
  EXPECT_THROW(LbfgsMemory(3, 0), std::invalid_argument);
  EXPECT_THROW(LbfgsMemory(-1, 3), std::invalid_argument);
  EXPECT_THROW(LbfgsMemory(3, 2, InitialHessian::Identity, 1.0), std::invalid_argument);
  LbfgsMemory m(3, 2);
  Vector out;
  EXPECT_THROW(m.apply_inverse(Vector::Ones(4), out), std::invalid_argument);
  EXPECT_THROW(m.add_pair(Vector::Ones(2), Vector::Ones(2)), std::invalid_argument);
  EXPECT_THROW(LbfgsMemory().add_pair(Vector::Ones(1), Vector::Ones(1)), std::invalid_argument);
}

}  // namespace
}  // namespace shine::inner
