#pragma once
/// @file
/// The L2 penalty with one regularization strength per group of features, in log-space.
///
///     R(w, θ) = ½ Σ_j exp(θ_{g(j)}) · w_j²          (j over the features)
///
/// θ ∈ R^k are the hyperparameters (λ_k = exp(θ_k) > 0) and g maps each feature to a group in
/// [0, k). k = 1 is one global λ; k = d (the identity map) is one λ per feature. A weight vector
/// may carry extra trailing coordinates beyond the features (the intercept of the logistic model):
/// they are not penalized and have zero derivative with respect to θ.

#include <cstdint>
#include <vector>

#include "shine/core/types.hpp"

namespace shine::objective {

/// Largest |θ_k| accepted: exp(±700) ≈ 1e±304 stays finite, and so does λ·w² for any w that keeps
/// the objective finite.
inline constexpr double kMaxAbsTheta = 700.0;

/// The group-wise L2 penalty R(w, θ) and its derivatives.
///
/// Construct with `uniform`, `grouped` or `per_feature`; change θ with `set_theta`. All methods
/// are const except `set_theta`; concurrent const calls are safe. Weight vectors passed in may
/// have more entries than `features()` (trailing, unpenalized coordinates), never fewer.
class L2Regularizer {
 public:
  /// Zero features, one group, θ = 0.
  L2Regularizer() = default;

  /// One group for all `features` features: λ = exp(theta). Throws `std::invalid_argument` when
  /// `features` < 0 or |theta| > `kMaxAbsTheta` (or theta is not finite).
  static L2Regularizer uniform(Index features, double theta = 0.0);

  /// One λ per group: feature j belongs to group `group_of[j]` ∈ [0, groups), and λ_k =
  /// exp(theta[k]). Groups may be empty. Throws `std::invalid_argument` when `groups` < 1, a group
  /// index is out of range, `theta` does not have `groups` entries or one is out of range.
  static L2Regularizer grouped(std::vector<std::int32_t> group_of, Index groups,
                               const Vector& theta);

  /// One λ per feature (k = d, g(j) = j): λ_j = exp(theta[j]). Throws like `grouped`.
  static L2Regularizer per_feature(const Vector& theta);

  /// Number of penalized features d.
  [[nodiscard]] Index features() const noexcept { return features_; }
  /// Number of groups k (= number of hyperparameters).
  [[nodiscard]] Index groups() const noexcept { return theta_.size(); }
  /// True when all features share one λ (k = 1).
  [[nodiscard]] bool is_uniform() const noexcept { return group_of_.empty(); }
  /// Group of feature j (0 when uniform). No bounds check.
  [[nodiscard]] Index group_of(Index j) const noexcept {
    return group_of_.empty() ? 0 : group_of_[static_cast<std::size_t>(j)];
  }

  /// Current hyperparameters θ (k entries, log-space).
  [[nodiscard]] const Vector& theta() const noexcept { return theta_; }
  /// λ = exp(θ), k entries.
  [[nodiscard]] const Vector& lambda() const noexcept { return lambda_; }
  /// λ of each feature, exp(θ_{g(j)}), d entries: the diagonal of Λ.
  [[nodiscard]] const Vector& weights() const noexcept { return weights_; }

  /// Sets θ (k entries, each |θ_k| ≤ `kMaxAbsTheta`) and recomputes λ and the per-feature
  /// weights, O(d). Throws `std::invalid_argument` on a size mismatch or an out-of-range value.
  void set_theta(const Vector& theta);

  /// R(w, θ) = ½ Σ_j λ_{g(j)} w_j² over the first d entries of `w`. O(d).
  [[nodiscard]] double value(const Vector& w) const;

  /// g_j += λ_{g(j)} w_j for j < d (the gradient of R with respect to w); trailing entries of `g`
  /// are left unchanged. O(d).
  void add_gradient(const Vector& w, Vector& g) const;

  /// ∂R/∂θ_k = ½ exp(θ_k) Σ_{j ∈ G_k} w_j² (k entries). O(d).
  [[nodiscard]] Vector theta_gradient(const Vector& w) const;

  /// The cross-derivative term of hypergradients, (∂_θ ∇_w R)ᵀ q: entry k is
  /// exp(θ_k) Σ_{j ∈ G_k} w_j q_j (k entries; for k = 1 it is exp(θ)·wᵀq over the features).
  /// `q` must have as many entries as `w`. O(d). The implicit-function hypergradient is
  /// ∇F(θ) = −cross_derivative(w*, H⁻¹∇f(w*)).
  [[nodiscard]] Vector cross_derivative(const Vector& w, const Vector& q) const;

 private:
  Index features_ = 0;
  std::vector<std::int32_t> group_of_;  // empty when uniform
  Vector theta_ = Vector::Zero(1);
  Vector lambda_ = Vector::Ones(1);
  Vector weights_;
};

}  // namespace shine::objective
