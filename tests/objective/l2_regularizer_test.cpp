#include "shine/objective/l2_regularizer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/fd_check.hpp"
#include "support/random_problems.hpp"

namespace shine::objective {
namespace {

using test::fd_gradient;
using test::random_vector;
using test::relative_error;

// Gradient of R in w with trailing unpenalized entries (the intercept layout).
Vector gradient_of(const L2Regularizer& reg, const Vector& w) {
  Vector g = Vector::Zero(w.size());
  reg.add_gradient(w, g);
  return g;
}

L2Regularizer three_groups(const Vector& theta) {
  std::vector<std::int32_t> groups{0, 1, 2, 0, 1, 2, 2, 0};
  return L2Regularizer::grouped(groups, 3, theta);
}

TEST(L2Regularizer, UniformValueAndGradient) {
  const auto reg = L2Regularizer::uniform(5, std::log(3.0));
  EXPECT_TRUE(reg.is_uniform());
  EXPECT_EQ(reg.groups(), 1);
  EXPECT_NEAR(reg.lambda()[0], 3.0, 1e-15);
  Vector w(6);
  w << 1, 2, 3, 4, 5, 100;  // the last entry is an intercept: not penalized
  EXPECT_NEAR(reg.value(w), 0.5 * 3.0 * 55.0, 1e-12);
  const Vector g = gradient_of(reg, w);
  EXPECT_EQ(g[5], 0.0);
  EXPECT_LT(relative_error(g, fd_gradient([&](const Vector& v) { return reg.value(v); }, w)), 1e-9);
}

TEST(L2Regularizer, GroupedDerivativesMatchFiniteDifferences) {
  Vector theta(3);
  theta << -1.0, 0.5, 2.0;
  const auto reg = three_groups(theta);
  EXPECT_FALSE(reg.is_uniform());
  EXPECT_EQ(reg.group_of(4), 1);
  EXPECT_NEAR(reg.weights()[6], std::exp(2.0), 1e-15);
  const Vector w = random_vector(9, 3);  // 8 features + intercept
  const Vector q = random_vector(9, 4);
  EXPECT_LT(relative_error(gradient_of(reg, w),
                           fd_gradient([&](const Vector& v) { return reg.value(v); }, w)),
            1e-9);
  // ∂R/∂θ by differences in θ.
  const auto value_at = [&](const Vector& t) {
    auto r = reg;
    r.set_theta(t);
    return r.value(w);
  };
  EXPECT_LT(relative_error(reg.theta_gradient(w), fd_gradient(value_at, theta)), 1e-9);
  // (∂_θ ∇_w R)ᵀq by differences in θ of ∇_w R·q.
  const auto grad_dot_q = [&](const Vector& t) {
    auto r = reg;
    r.set_theta(t);
    return gradient_of(r, w).dot(q);
  };
  EXPECT_LT(relative_error(reg.cross_derivative(w, q), fd_gradient(grad_dot_q, theta)), 1e-9);
}

TEST(L2Regularizer, PerFeatureIsTheIdentityGroupMap) {
  const Vector theta = random_vector(4, 5);
  const auto reg = L2Regularizer::per_feature(theta);
  EXPECT_EQ(reg.groups(), 4);
  EXPECT_EQ(reg.features(), 4);
  const Vector w = random_vector(4, 6);
  const Vector q = random_vector(4, 7);
  const Vector lambda = theta.array().exp();
  EXPECT_LT(relative_error(reg.cross_derivative(w, q), lambda.cwiseProduct(w).cwiseProduct(q)),
            1e-15);
  EXPECT_NEAR(reg.value(w), 0.5 * lambda.dot(w.cwiseProduct(w)), 1e-13);
}

TEST(L2Regularizer, OneGroupGroupedEqualsUniform) {
  const auto grouped = L2Regularizer::grouped({0, 0, 0}, 1, Vector::Constant(1, 0.7));
  const auto uniform = L2Regularizer::uniform(3, 0.7);
  const Vector w = random_vector(3, 8);
  EXPECT_DOUBLE_EQ(grouped.value(w), uniform.value(w));
  EXPECT_TRUE(grouped.is_uniform());
}

TEST(L2Regularizer, RejectsInvalidInputWithAClearMessage) {
  try {
    L2Regularizer::grouped({0, 3}, 2, Vector::Zero(2));
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("group_of[1] = 3"), std::string::npos) << e.what();
  }
  EXPECT_THROW(L2Regularizer::grouped({0, 1}, 2, Vector::Zero(3)), std::invalid_argument);
  EXPECT_THROW(L2Regularizer::grouped({0}, 0, Vector::Zero(0)), std::invalid_argument);
  EXPECT_THROW(L2Regularizer::uniform(3, 701.0), std::invalid_argument);
  EXPECT_THROW(L2Regularizer::uniform(3, std::nan("")), std::invalid_argument);
  EXPECT_THROW(L2Regularizer::uniform(-1), std::invalid_argument);
  auto reg = L2Regularizer::uniform(3);
  EXPECT_THROW(reg.set_theta(Vector::Zero(2)), std::invalid_argument);
  EXPECT_THROW((void)reg.value(Vector::Zero(2)), std::invalid_argument);
  EXPECT_THROW((void)reg.cross_derivative(Vector::Zero(3), Vector::Zero(4)), std::invalid_argument);
}

TEST(L2Regularizer, ExtremeThetaStaysFinite) {
  const auto big = L2Regularizer::uniform(2, 700.0);
  const auto tiny = L2Regularizer::uniform(2, -700.0);
  const Vector w = Vector::Constant(2, 1e-100);
  EXPECT_TRUE(std::isfinite(big.value(w)));
  EXPECT_TRUE(std::isfinite(tiny.value(Vector::Constant(2, 1e100))));
}

}  // namespace
}  // namespace shine::objective
