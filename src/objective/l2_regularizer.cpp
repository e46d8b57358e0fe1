// The L2 penalty of the inner problem, parametrized by θ = log λ so that the outer variable is
// unconstrained: r(w, θ) = ½ Σ_k exp(θ_k) Σ_{j∈G_k} w_j², with G_k the features of group k (one
// group: all features). The intercept, stored after the features (index ≥ `features_`), is
// never penalized, so every sum here runs over the first `features_` entries only. Derivatives:
//   ∇_w r = λ_{g(j)} w_j              ∇²_w r = diag(λ_{g(j)})
//   ∂r/∂θ_k = ½ λ_k Σ_{G_k} w_j²      (∂_θ ∇_w r)ᵀq: entry k = λ_k Σ_{G_k} w_j q_j
// |θ| ≤ 700 keeps λ = exp(θ) finite and non-zero in double precision.
#include "shine/objective/l2_regularizer.hpp"

#include <cmath>
#include <string>
#include <utility>

#include "core/check.hpp"

namespace shine::objective {
namespace {

void check_theta(const Vector& theta) {
  for (Index k = 0; k < theta.size(); ++k) {
    require(std::isfinite(theta[k]) && std::abs(theta[k]) <= kMaxAbsTheta,
            "L2Regularizer theta[" + std::to_string(k) + "]", theta[k],
            "must be finite with |theta| <= 700 (lambda = exp(theta) must stay finite)");
  }
}

void check_operand(const Vector& v, Index features, const char* name) {
  require(v.size() >= features, std::string("L2Regularizer: size of ") + name, v.size(),
          "must be >= the number of features " + std::to_string(features));
}

}  // namespace

L2Regularizer L2Regularizer::uniform(Index features, double theta) {
  require(features >= 0, "L2Regularizer features", features, "must be >= 0");
  L2Regularizer reg;
  reg.features_ = features;
  reg.set_theta(Vector::Constant(1, theta));
  return reg;
}

L2Regularizer L2Regularizer::grouped(std::vector<std::int32_t> group_of, Index groups,
                                     const Vector& theta) {
  require(groups >= 1, "L2Regularizer groups", groups, "must be >= 1");
  for (std::size_t j = 0; j < group_of.size(); ++j) {
    require(group_of[j] >= 0 && group_of[j] < groups,
            "L2Regularizer group_of[" + std::to_string(j) + "]", group_of[j],
            "must lie in [0, groups = " + std::to_string(groups) + ")");
  }
  require(theta.size() == groups, "L2Regularizer theta size", theta.size(),
          "must equal groups = " + std::to_string(groups));
  L2Regularizer reg;
  reg.features_ = static_cast<Index>(group_of.size());
  if (groups > 1) {
    reg.group_of_ = std::move(group_of);
  }
  reg.theta_ = Vector::Zero(groups);
  reg.set_theta(theta);
  return reg;
}

L2Regularizer L2Regularizer::per_feature(const Vector& theta) {
  std::vector<std::int32_t> group_of(static_cast<std::size_t>(theta.size()));
  for (std::size_t j = 0; j < group_of.size(); ++j)
    group_of[j] = static_cast<std::int32_t>(j);
  if (theta.size() == 0) return uniform(0);
  return grouped(std::move(group_of), theta.size(), theta);
}

void L2Regularizer::set_theta(const Vector& theta) {
  require(theta.size() == theta_.size(), "L2Regularizer::set_theta size", theta.size(),
          "must equal the number of groups " + std::to_string(theta_.size()));
  check_theta(theta);
  theta_ = theta;
  lambda_ = theta_.array().exp().matrix();
  weights_.resize(features_);
  if (group_of_.empty()) {
    weights_.setConstant(lambda_[0]);
  } else {
    for (Index j = 0; j < features_; ++j) {
      weights_[j] = lambda_[group_of_[static_cast<std::size_t>(j)]];
    }
  }
}

double L2Regularizer::value(const Vector& w) const {
  check_operand(w, features_, "w");
  const auto head = w.head(features_);
  if (group_of_.empty()) return 0.5 * lambda_[0] * head.squaredNorm();
  return 0.5 * (weights_.array() * head.array().square()).sum();
}

void L2Regularizer::add_gradient(const Vector& w, Vector& g) const {
  check_operand(w, features_, "w");
  check_operand(g, features_, "g");
  if (group_of_.empty()) {
    g.head(features_) += lambda_[0] * w.head(features_);
  } else {
    g.head(features_).array() += weights_.array() * w.head(features_).array();
  }
}

Vector L2Regularizer::theta_gradient(const Vector& w) const {
  check_operand(w, features_, "w");
  Vector out = Vector::Zero(groups());
  if (group_of_.empty()) {
    out[0] = 0.5 * lambda_[0] * w.head(features_).squaredNorm();
    return out;
  }
  for (Index j = 0; j < features_; ++j)
    out[group_of_[static_cast<std::size_t>(j)]] += w[j] * w[j];
  out.array() *= 0.5 * lambda_.array();
  return out;
}

Vector L2Regularizer::cross_derivative(const Vector& w, const Vector& q) const {
  check_operand(w, features_, "w");
  require(q.size() == w.size(), "L2Regularizer::cross_derivative size of q", q.size(),
          "must equal the size of w " + std::to_string(w.size()));
  Vector out = Vector::Zero(groups());
  if (group_of_.empty()) {
    out[0] = lambda_[0] * w.head(features_).dot(q.head(features_));
    return out;
  }
  for (Index j = 0; j < features_; ++j)
    out[group_of_[static_cast<std::size_t>(j)]] += w[j] * q[j];
  out.array() *= lambda_.array();
  return out;
}

}  // namespace shine::objective
