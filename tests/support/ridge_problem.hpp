#pragma once
/// @file
/// Ridge regression as an inner problem: a bi-level problem whose hypergradient is known in
/// closed form, the oracle of the hypergradient tests.
///
///     h(w, θ) = ½ Σ_i c_i (x_iᵀw − y_i)² + ½ Σ_j exp(θ_{g(j)}) w_j²,   H = XᵀCX + Λ  (constant)
///     w*(θ) = H⁻¹XᵀCy,   f(w) = ½ Σ_i c'_i (x'_iᵀw − y'_i)²,   ∇f = X'ᵀC'(X'w − y')
///
/// with sample weights C = diag(c), C' = diag(c') (all 1 unless the problem is weighted).
///     ∇F(θ)_k = −exp(θ_k) Σ_{j∈G_k} w*_j q_j,   q = H⁻¹∇f(w*)

#include <Eigen/Dense>
#include <cmath>
#include <cstdint>
#include <vector>

#include "shine/core/types.hpp"
#include "support/random_problems.hpp"

namespace shine::test {

/// A dense ridge bi-level problem with k groups of features.
struct RidgeProblem {
  Eigen::MatrixXd X;          ///< Training design, n × d.
  Vector y;                   ///< Training targets.
  Eigen::MatrixXd X_val;      ///< Held-out design, n' × d.
  Vector y_val;               ///< Held-out targets.
  Vector c;                   ///< Training sample weights (n entries).
  Vector c_val;               ///< Held-out sample weights (n' entries).
  std::vector<int> group_of;  ///< Group of each feature, in [0, k).
  Vector theta;               ///< k log-regularizations.

  [[nodiscard]] Index dim() const { return X.cols(); }
  [[nodiscard]] Index groups() const { return theta.size(); }

  /// diag(Λ): exp(θ_{g(j)}) for every feature.
  [[nodiscard]] Vector penalty_weights() const {
    Vector weights(dim());
    for (Index j = 0; j < dim(); ++j)
      weights[j] = std::exp(theta[group_of[j]]);
    return weights;
  }
  [[nodiscard]] Eigen::MatrixXd hessian() const {
    Eigen::MatrixXd H = X.transpose() * c.asDiagonal() * X;
    H.diagonal() += penalty_weights();
    return H;
  }
  /// h(w) and ∇h(w).
  double inner_value(const Vector& w, Vector& gradient) const {
    const Vector residual = X * w - y;
    const Vector weights = penalty_weights();
    gradient = X.transpose() * c.cwiseProduct(residual) + weights.cwiseProduct(w);
    return 0.5 * residual.dot(c.cwiseProduct(residual)) + 0.5 * w.dot(weights.cwiseProduct(w));
  }
  void hessian_vector(const Vector& v, Vector& out) const {
    out = X.transpose() * c.cwiseProduct(X * v) + penalty_weights().cwiseProduct(v);
  }
  /// (∂_θ∇_w h)ᵀq: entry k = exp(θ_k) Σ_{j∈G_k} w_j q_j.
  [[nodiscard]] Vector cross_derivative(const Vector& w, const Vector& q) const {
    Vector out = Vector::Zero(groups());
    for (Index j = 0; j < dim(); ++j)
      out[group_of[j]] += std::exp(theta[group_of[j]]) * w[j] * q[j];
    return out;
  }
  double outer_value(const Vector& w, Vector& gradient) const {
    const Vector residual = X_val * w - y_val;
    gradient = X_val.transpose() * c_val.cwiseProduct(residual);
    return 0.5 * residual.dot(c_val.cwiseProduct(residual));
  }
  /// w*(θ) by Cholesky.
  [[nodiscard]] Vector exact_solution() const {
    return hessian().llt().solve(X.transpose() * c.cwiseProduct(y));
  }
  /// The exact q = H⁻¹∇f(w) at a given w.
  [[nodiscard]] Vector exact_q(const Vector& w) const {
    Vector g;
    outer_value(w, g);
    return hessian().llt().solve(g);
  }
  /// The exact hypergradient ∇F(θ) at w*(θ).
  [[nodiscard]] Vector exact_hypergradient() const {
    const Vector w = exact_solution();
    return -cross_derivative(w, exact_q(w));
  }
};

/// A random ridge problem: n × d Gaussian design with correlated columns (so that L-BFGS needs
/// many iterations), noisy linear targets, features assigned round-robin to `groups` groups with
/// θ_k = theta + 0.5·k. With `weighted`, every sample weighs a draw from [0.1, 3.1), else 1.
inline RidgeProblem make_ridge_problem(Index n, Index d, Index n_val, Index groups,
                                       std::uint64_t seed, double theta = 0.0,
                                       bool weighted = false) {
  RidgeProblem p;
  const auto design = [&](Index rows, std::uint64_t s) {
    Eigen::MatrixXd m(rows, d);
    for (Index j = 0; j < d; ++j)
      m.col(j) = random_vector(rows, s * 1000 + static_cast<std::uint64_t>(j));
    // Mix the columns: column j gets a share of column j − 1, and scales spread over 1..10.
    for (Index j = 1; j < d; ++j)
      m.col(j) += 0.7 * m.col(j - 1);
    for (Index j = 0; j < d; ++j)
      m.col(j) *= 1.0 + 9.0 * static_cast<double>(j) / static_cast<double>(d);
    return m;
  };
  p.X = design(n, seed);
  p.X_val = design(n_val, seed + 1);
  const Vector w_true = random_vector(d, seed + 2);
  p.y = p.X * w_true + random_vector(n, seed + 3, 2.0);
  p.y_val = p.X_val * w_true + random_vector(n_val, seed + 4, 2.0);
  const auto sample_weights = [weighted](Index rows, std::uint64_t s) {
    if (!weighted) return Vector(Vector::Ones(rows));
    return Vector((random_vector(rows, s).array().abs() * 1.5 + 0.1).min(3.1));
  };
  p.c = sample_weights(n, seed + 5);
  p.c_val = sample_weights(n_val, seed + 6);
  p.group_of.resize(static_cast<std::size_t>(d));
  for (Index j = 0; j < d; ++j)
    p.group_of[static_cast<std::size_t>(j)] = static_cast<int>(j % groups);
  p.theta.resize(groups);
  for (Index k = 0; k < groups; ++k)
    p.theta[k] = theta + 0.5 * static_cast<double>(k);
  return p;
}

}  // namespace shine::test
