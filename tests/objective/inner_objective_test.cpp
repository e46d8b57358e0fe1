#include "shine/objective/inner_objective.hpp"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "shine/objective/logistic_loss.hpp"
#include "shine/objective/outer_objective.hpp"
#include "support/fd_check.hpp"
#include "support/random_problems.hpp"

namespace shine::objective {
namespace {

using test::fd_directional;
using test::fd_gradient;
using test::random_dataset;
using test::random_vector;
using test::relative_error;

enum class Penalty { Uniform, Grouped, PerFeature };

struct Case {
  Penalty penalty;
  bool intercept;
};

std::string name_of(const testing::TestParamInfo<Case>& info) {
  const char* p = info.param.penalty == Penalty::Uniform   ? "Uniform"
                  : info.param.penalty == Penalty::Grouped ? "Grouped"
                                                           : "PerFeature";
  return std::string(p) + (info.param.intercept ? "WithIntercept" : "NoIntercept");
}

L2Regularizer make_penalty(Penalty penalty, Index d) {
  switch (penalty) {
    case Penalty::Uniform:
      return L2Regularizer::uniform(d, -0.5);
    case Penalty::Grouped: {
      std::vector<std::int32_t> groups(static_cast<std::size_t>(d));
      for (Index j = 0; j < d; ++j)
        groups[static_cast<std::size_t>(j)] = static_cast<int>(j % 3);
      Vector theta(3);
      theta << -1.0, 0.3, 1.2;
      return L2Regularizer::grouped(groups, 3, theta);
    }
    case Penalty::PerFeature:
      return L2Regularizer::per_feature(random_vector(d, 99, 0.5));
  }
  return L2Regularizer::uniform(d);
}

// The Hessian formed explicitly (test only): [X 1]ᵀ D [X 1] + diag(λ, 0).
Eigen::MatrixXd dense_hessian(const InnerObjective& obj, const LogisticState& state) {
  const Index d = obj.features();
  const Index dim = obj.dim();
  Eigen::MatrixXd Xd = Eigen::MatrixXd::Zero(obj.samples(), dim);
  Xd.leftCols(d) = Eigen::MatrixXd(obj.data().X);
  if (dim > d) Xd.col(d).setOnes();
  Eigen::MatrixXd H = Xd.transpose() * state.curvature.asDiagonal() * Xd;
  H.diagonal().head(d) += obj.regularizer().weights();
  return H;
}

class InnerObjectiveTest : public testing::TestWithParam<Case> {
 protected:
  InnerObjectiveTest()
      : data_(random_dataset(40, 12, 0.3, 21)),
        objective_(data_, make_penalty(GetParam().penalty, 12),
                   ObjectiveOptions{GetParam().intercept, 1}) {}

  Vector point(std::uint64_t seed) const { return random_vector(objective_.dim(), seed, 0.7); }

  data::Dataset data_;
  InnerObjective objective_;
};

TEST_P(InnerObjectiveTest, ValueIsTheSumOfLossesPlusPenalty) {
  const Vector w = point(1);
  const LogisticState s = objective_.evaluate(w);
  const Eigen::MatrixXd X(data_.X);
  const double b = GetParam().intercept ? w[12] : 0.0;
  double loss = 0.0;
  for (Index i = 0; i < data_.rows(); ++i) {
    loss += std::log1p(std::exp(-data_.y[i] * (X.row(i).dot(w.head(12)) + b)));
  }
  EXPECT_NEAR(s.loss, loss, 1e-12 * loss);
  EXPECT_NEAR(s.penalty, objective_.regularizer().value(w), 1e-12 * s.penalty);
  EXPECT_DOUBLE_EQ(s.value, s.loss + s.penalty);
  EXPECT_NEAR(objective_.value(w), s.value, 1e-12 * s.value);
  EXPECT_NEAR(s.gradient_norm, s.gradient.norm(), 1e-15 * s.gradient_norm);
}

TEST_P(InnerObjectiveTest, GradientMatchesCentralDifferences) {
  for (const std::uint64_t seed : {2, 3}) {
    const Vector w = point(seed);
    const Vector g = objective_.evaluate(w).gradient;
    const Vector fd = fd_gradient([&](const Vector& v) { return objective_.value(v); }, w);
    EXPECT_LT(relative_error(g, fd), 1e-8);
  }
}

TEST_P(InnerObjectiveTest, HessianVectorMatchesDifferencesOfTheGradient) {
  const Vector w = point(4);
  const LogisticState s = objective_.evaluate(w);
  const auto gradient_at = [&](const Vector& v) { return objective_.evaluate(v).gradient; };
  for (const std::uint64_t seed : {5, 6}) {
    const Vector v = random_vector(objective_.dim(), seed);
    Vector hv;
    objective_.hessian_vector(s, v, hv);
    EXPECT_LT(relative_error(hv, fd_directional(gradient_at, w, v)), 1e-8);
    EXPECT_LT(relative_error(hv, dense_hessian(objective_, s) * v), 1e-13);
  }
}

TEST_P(InnerObjectiveTest, DenseHessianIsTheFormedHessianAndExactlySymmetric) {
  const Vector w = point(4);
  const LogisticState s = objective_.evaluate(w);
  const Eigen::MatrixXd H = objective_.dense_hessian(s);
  const Eigen::MatrixXd reference = dense_hessian(objective_, s);  // a dense product
  ASSERT_EQ(H.rows(), objective_.dim());
  ASSERT_EQ(H.cols(), objective_.dim());
  EXPECT_LE((H - reference).norm(), 1e-13 * reference.norm());
  EXPECT_TRUE(H == H.transpose());
  const Vector v = random_vector(objective_.dim(), 5);
  Vector hv;
  objective_.hessian_vector(s, v, hv);
  EXPECT_LT(relative_error(H * v, hv), 1e-13);
  // Its work: one triangle, Σ_i nnz(x_i)(nnz(x_i) + 1)/2, plus nnz(x_i) + 1 per row for the
  // intercept.
  double work = 0.0;
  for (Index i = 0; i < data_.rows(); ++i) {
    const double nnz = static_cast<double>(data_.X.row(i).nonZeros());
    work += nnz * (nnz + 1.0) / 2.0 + (GetParam().intercept ? nnz + 1.0 : 0.0);
  }
  EXPECT_EQ(objective_.dense_hessian_work(), work);
}

TEST_P(InnerObjectiveTest, GradientChangeIsTheDifferenceOfTwoFullGradients) {
  const LogisticState s = objective_.evaluate(point(20));
  for (const double scale : {1.0, 0.05}) {
    const Vector e = random_vector(objective_.dim(), 21, scale);
    Vector change;
    objective_.gradient_change(s, e, change);
    const Vector reference = objective_.evaluate(s.w + e).gradient - s.gradient;
    EXPECT_LT(relative_error(change, reference), 1e-12) << scale;
  }
  // A tiny step: the direct form agrees with H·e (the difference of two full gradients would
  // lose most of its digits to cancellation here).
  const Vector e = random_vector(objective_.dim(), 22, 1e-7);
  Vector change;
  objective_.gradient_change(s, e, change);
  Vector he;
  objective_.hessian_vector(s, e, he);
  EXPECT_LT(relative_error(change, he), 1e-6);
  // The state is only read.
  const LogisticState again = objective_.evaluate(point(20));
  EXPECT_EQ(s.gradient, again.gradient);
  EXPECT_EQ(s.margins, again.margins);
}

TEST_P(InnerObjectiveTest, HessianDiagonalBoundIsTheDiagonalAtZero) {
  const LogisticState zero = objective_.evaluate(Vector::Zero(objective_.dim()));
  const Vector bound = objective_.hessian_diagonal_bound();
  EXPECT_LT(relative_error(bound, dense_hessian(objective_, zero).diagonal()), 1e-14);
  const LogisticState s = objective_.evaluate(point(14));
  const Vector diag = dense_hessian(objective_, s).diagonal();
  for (Index j = 0; j < objective_.dim(); ++j)
    EXPECT_LE(diag[j], bound[j] * (1 + 1e-14));
}

TEST_P(InnerObjectiveTest, HessianOperatorIsSymmetricPositiveDefinite) {
  const LogisticState s = objective_.evaluate(point(7));
  const HessianOperator H = objective_.hessian(s);
  EXPECT_EQ(H.rows(), objective_.dim());
  const Vector u = random_vector(objective_.dim(), 8);
  const Vector v = random_vector(objective_.dim(), 9);
  Vector Hu;
  Vector Hv;
  H.apply(u, Hu);
  H.apply(v, Hv);
  EXPECT_NEAR(u.dot(Hv), v.dot(Hu), 1e-12 * std::abs(u.dot(Hv)));
  EXPECT_GT(v.dot(Hv), 0.0);
  Vector acc = Hu;
  H.apply_add(v, acc);
  EXPECT_LT(relative_error(acc, Hu + Hv), 1e-15);
}

TEST_P(InnerObjectiveTest, CrossDerivativeMatchesDifferencesInTheta) {
  const Vector w = point(10);
  const Vector q = random_vector(objective_.dim(), 11);
  const Vector theta = objective_.regularizer().theta();
  const auto grad_dot_q = [&](const Vector& t) {
    InnerObjective shifted = objective_;
    shifted.set_theta(t);
    return shifted.evaluate(w).gradient.dot(q);
  };
  EXPECT_LT(relative_error(objective_.cross_derivative(w, q), fd_gradient(grad_dot_q, theta)),
            1e-7);
  const auto value_at = [&](const Vector& t) {
    InnerObjective shifted = objective_;
    shifted.set_theta(t);
    return shifted.value(w);
  };
  EXPECT_LT(relative_error(objective_.theta_gradient(w), fd_gradient(value_at, theta)), 1e-7);
}

TEST_P(InnerObjectiveTest, LineProbesAgreeWithFullEvaluations) {
  LogisticState s = objective_.evaluate(point(12));
  const Vector d = random_vector(objective_.dim(), 13);
  LineProbe probe;
  objective_.prepare_line(s, d, probe);
  EXPECT_EQ(objective_.line_value(s, probe, 0.0).value, probe.value0);
  EXPECT_NEAR(probe.value0, s.value, 1e-13 * s.value);
  EXPECT_NEAR(probe.slope0, s.gradient.dot(d), 1e-12 * s.gradient.norm() * d.norm());
  for (const double alpha : {1e-3, 0.1, 0.7, 2.0}) {
    const LineValue lv = objective_.line_value(s, probe, alpha);
    const LogisticState at = objective_.evaluate(s.w + alpha * d);
    EXPECT_NEAR(lv.value, at.value, 1e-12 * at.value) << alpha;
    EXPECT_NEAR(lv.slope, at.gradient.dot(d), 1e-11 * at.gradient.norm() * d.norm()) << alpha;
  }
  // Moving along the line reproduces a full evaluation at the new point, and reports the step
  // and the gradient change.
  const Vector target = s.w + 0.7 * d;
  const Vector old_gradient = s.gradient;
  Vector step;
  Vector change;
  objective_.move(s, d, probe, 0.7, &step, &change);
  EXPECT_LT(relative_error(step, 0.7 * d), 1e-15);
  EXPECT_LT(relative_error(change, s.gradient - old_gradient), 1e-15);
  const LogisticState fresh = objective_.evaluate(target);
  EXPECT_LT(relative_error(s.w, fresh.w), 1e-15);
  EXPECT_LT(relative_error(s.margins, fresh.margins), 1e-14);
  EXPECT_LT(relative_error(s.gradient, fresh.gradient), 1e-12);
  EXPECT_NEAR(s.value, fresh.value, 1e-13 * fresh.value);
  EXPECT_LT(relative_error(s.curvature, fresh.curvature), 1e-13);
}

// The line search usually moves by the last step it tried: move then reuses that trial's
// per-sample terms, and must leave the state exactly as computing them again does.
TEST_P(InnerObjectiveTest, MovingByTheLastTrialStepGivesTheSameStateBitForBit) {
  const LogisticState start = objective_.evaluate(point(14));
  const Vector d = random_vector(objective_.dim(), 15);
  const auto moved = [&](const std::vector<double>& tried, double alpha) {
    LogisticState s = start;
    LineProbe probe;
    objective_.prepare_line(s, d, probe);
    for (const double t : tried)
      (void)objective_.line_value(s, probe, t);
    Vector step;
    Vector change;
    objective_.move(s, d, probe, alpha, &step, &change);
    return std::make_tuple(s, step, change);
  };
  const auto [fresh, fresh_step, fresh_change] = moved({}, 0.7);
  for (const auto& tried :
       {std::vector<double>{0.7}, std::vector<double>{2.0, 0.7}, std::vector<double>{0.7, 0.3}}) {
    const auto [s, step, change] = moved(tried, 0.7);
    EXPECT_EQ(s.value, fresh.value);
    EXPECT_EQ(s.loss, fresh.loss);
    EXPECT_EQ(s.penalty, fresh.penalty);
    EXPECT_EQ(s.margins, fresh.margins);
    EXPECT_EQ(s.sigma_neg, fresh.sigma_neg);
    EXPECT_EQ(s.curvature, fresh.curvature);
    EXPECT_EQ(s.residual, fresh.residual);
    EXPECT_EQ(s.gradient, fresh.gradient);
    EXPECT_EQ(s.gradient_norm, fresh.gradient_norm);
    EXPECT_EQ(step, fresh_step);
    EXPECT_EQ(change, fresh_change);
  }
  // A new line forgets the old trial: preparing it again and moving by the same α without a
  // trial gives the fresh state too.
  LogisticState s = start;
  LineProbe probe;
  objective_.prepare_line(s, d, probe);
  (void)objective_.line_value(s, probe, 0.7);
  objective_.prepare_line(s, d, probe);
  EXPECT_TRUE(std::isnan(probe.trial_step));
  objective_.move(s, d, probe, 0.7);
  EXPECT_EQ(s.gradient, fresh.gradient);
  EXPECT_EQ(s.value, fresh.value);
}

INSTANTIATE_TEST_SUITE_P(
    AllPenalties, InnerObjectiveTest,
    testing::Values(Case{Penalty::Uniform, false}, Case{Penalty::Uniform, true},
                    Case{Penalty::Grouped, false}, Case{Penalty::Grouped, true},
                    Case{Penalty::PerFeature, false}, Case{Penalty::PerFeature, true}),
    name_of);

TEST(InnerObjective, ResultsAreIdenticalForOneTwoAndFourThreads) {
  const data::Dataset data = random_dataset(3000, 400, 0.03, 31);
  ASSERT_GT(data.nnz(), 32768);
  const Vector w = random_vector(401, 32, 0.1);
  const Vector v = random_vector(401, 33);
  LogisticState reference;
  Vector reference_hv;
  Vector reference_change;
  Eigen::MatrixXd reference_dense;
  for (const int threads : {1, 2, 4}) {
    const InnerObjective obj(data, -1.0, ObjectiveOptions{true, threads});
    const LogisticState s = obj.evaluate(w);
    Vector hv;
    obj.hessian_vector(s, v, hv);
    const Eigen::MatrixXd H = obj.dense_hessian(s);
    if (threads == 1) reference_dense = H;
    Vector change;
    obj.gradient_change(s, v, change);
    LineProbe probe;
    obj.prepare_line(s, v, probe);
    const LineValue lv = obj.line_value(s, probe, 0.3);
    if (threads == 1) {
      reference = s;
      reference_hv = hv;
      reference_change = change;
      continue;
    }
    EXPECT_EQ(s.value, reference.value) << threads;
    EXPECT_EQ(s.gradient, reference.gradient) << threads;
    EXPECT_EQ(hv, reference_hv) << threads;
    EXPECT_TRUE(H == reference_dense) << threads;
    EXPECT_EQ(change, reference_change) << threads;
    EXPECT_LE(relative_error(s.gradient, reference.gradient), 1e-12);
    LineProbe ref_probe;
    const InnerObjective serial(data, -1.0, ObjectiveOptions{true, 1});
    serial.prepare_line(reference, v, ref_probe);
    EXPECT_EQ(lv.value, serial.line_value(reference, ref_probe, 0.3).value);
  }
}

TEST(InnerObjective, BinaryFeaturesGiveTheDenseResults) {
  // Every stored value 1: the data passes skip reading the values (row_dot<true>). Checked
  // against dense products, with the intercept, for the value, the gradient, the line probe and
  // H·v.
  data::Dataset data = random_dataset(200, 30, 0.2, 51);
  for (Index k = 0; k < data.X.nonZeros(); ++k)
    data.X.valuePtr()[k] = 1.0;
  for (Index k = 0; k < data.Xt.nonZeros(); ++k)
    data.Xt.valuePtr()[k] = 1.0;
  const InnerObjective obj(data, -1.0, ObjectiveOptions{true, 1});
  const Vector w = random_vector(31, 52, 0.3);
  const LogisticState s = obj.evaluate(w);
  Eigen::MatrixXd X1 = Eigen::MatrixXd::Ones(200, 31);
  X1.leftCols(30) = Eigen::MatrixXd(data.X);
  const Vector z = data.y.cwiseProduct(X1 * w);
  double loss = 0.0;
  Vector r(200);
  for (Index i = 0; i < 200; ++i) {
    loss += std::log1p(std::exp(-z[i]));
    r[i] = -data.y[i] / (1.0 + std::exp(z[i]));
  }
  Vector gradient = X1.transpose() * r;
  gradient.head(30) += std::exp(-1.0) * w.head(30);
  EXPECT_NEAR(s.loss, loss, 1e-12 * loss);
  EXPECT_LT(relative_error(s.gradient, gradient), 1e-12);
  EXPECT_NEAR(obj.value(w), s.value, 1e-12 * s.value);
  const Vector d = random_vector(31, 53);
  LineProbe probe;
  obj.prepare_line(s, d, probe);
  EXPECT_LT(relative_error(probe.margin_slope, data.y.cwiseProduct(X1 * d)), 1e-12);
  Vector hv;
  obj.hessian_vector(s, d, hv);
  EXPECT_LT(relative_error(hv, dense_hessian(obj, s) * d), 1e-12);
}

TEST(InnerObjective, HugeWeightsGiveFiniteValuesNeverNaN) {
  const data::Dataset data = random_dataset(30, 6, 0.5, 41);
  const InnerObjective obj(data, -20.0);
  for (const double scale : {1e3, 1e100, 1e150}) {
    const Vector w = random_vector(6, 42, scale);
    const LogisticState s = obj.evaluate(w);
    EXPECT_FALSE(std::isnan(s.value)) << scale;
    EXPECT_TRUE(std::isfinite(s.loss)) << scale;
    EXPECT_FALSE(s.gradient.hasNaN()) << scale;
    EXPECT_FALSE(s.curvature.hasNaN()) << scale;
    EXPECT_GE(s.value, 0.0);
  }
}

TEST(InnerObjective, RejectsMismatchedSizes) {
  const data::Dataset data = random_dataset(10, 5, 0.5, 51);
  EXPECT_THROW(InnerObjective(data, L2Regularizer::uniform(4)), std::invalid_argument);
  EXPECT_THROW(InnerObjective(data, 0.0, ObjectiveOptions{false, -1}), std::invalid_argument);
  const InnerObjective obj(data, 0.0);
  EXPECT_THROW((void)obj.evaluate(Vector::Zero(6)), std::invalid_argument);
  const InnerObjective with_b(data, 0.0, ObjectiveOptions{true, 0});
  EXPECT_EQ(with_b.dim(), 6);
  EXPECT_NO_THROW((void)with_b.evaluate(Vector::Zero(6)));
}

TEST(OuterObjective, ValueAndGradientOfTheHeldOutLoss) {
  const data::Dataset data = random_dataset(50, 10, 0.3, 61);
  for (const bool intercept : {false, true}) {
    const OuterObjective outer(data, ObjectiveOptions{intercept, 0});
    const Vector w = random_vector(outer.dim(), 62);
    Vector g;
    const double f = outer.value_and_gradient(w, g);
    EXPECT_DOUBLE_EQ(f, outer.value(w));
    EXPECT_LT(relative_error(g, fd_gradient([&](const Vector& v) { return outer.value(v); }, w)),
              1e-8);
    // f is the inner loss without the penalty.
    const InnerObjective inner(data, 0.0, ObjectiveOptions{intercept, 0});
    EXPECT_NEAR(f, inner.evaluate(w).loss, 1e-12 * f);
  }
  EXPECT_THROW((void)OuterObjective(data).value(Vector::Zero(3)), std::invalid_argument);
}

}  // namespace
}  // namespace shine::objective
