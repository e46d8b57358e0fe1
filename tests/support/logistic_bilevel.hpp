#pragma once
/// @file
/// A logistic bi-level problem for hypergradient tests: the inner objective on a training set,
/// the outer loss on a validation set, tight inner solves, and F(θ) = f(w*(θ)) by central
/// finite differences — the independent oracle of every hypergradient method.

#include <cmath>
#include <cstdint>
#include <numeric>
#include <utility>
#include <vector>

#include "shine/core/types.hpp"
#include "shine/data/dataset.hpp"
#include "shine/data/split.hpp"
#include "shine/hypergrad/hypergradient.hpp"
#include "shine/inner/lbfgs_solver.hpp"
#include "shine/objective/inner_objective.hpp"
#include "shine/objective/l2_regularizer.hpp"
#include "shine/objective/outer_objective.hpp"
#include "support/random_problems.hpp"

namespace shine::test {

/// θ_k = theta + 0.5·k for k groups (features assigned round-robin); k = 1 is one global λ.
inline objective::L2Regularizer round_robin_regularizer(Index features, Index groups,
                                                        double theta) {
  if (groups == 1) return objective::L2Regularizer::uniform(features, theta);
  std::vector<std::int32_t> group_of(static_cast<std::size_t>(features));
  for (Index j = 0; j < features; ++j) {
    group_of[static_cast<std::size_t>(j)] = static_cast<std::int32_t>(j % groups);
  }
  Vector thetas(groups);
  for (Index k = 0; k < groups; ++k)
    thetas[k] = theta + 0.5 * static_cast<double>(k);
  return objective::L2Regularizer::grouped(std::move(group_of), groups, thetas);
}

/// A training and a validation set from one random logistic model (so that the outer loss
/// depends on θ in an interesting way).
inline std::pair<data::Dataset, data::Dataset> random_train_validation(Index train_rows,
                                                                       Index validation_rows,
                                                                       Index features,
                                                                       std::uint64_t seed) {
  const data::Dataset all =
      random_dataset(train_rows + validation_rows, features, 0.3, seed, /*flip=*/0.2);
  std::vector<Index> train(static_cast<std::size_t>(train_rows));
  std::vector<Index> validation(static_cast<std::size_t>(validation_rows));
  std::iota(train.begin(), train.end(), Index{0});
  std::iota(validation.begin(), validation.end(), train_rows);
  return {data::select_rows(all, train, "train"), data::select_rows(all, validation, "validation")};
}

/// The bi-level problem on borrowed datasets (they must outlive it). Not copyable or movable:
/// the objectives reference the datasets.
class LogisticBilevel {
 public:
  LogisticBilevel(const data::Dataset& train, const data::Dataset& validation, Index groups,
                  double theta, bool intercept)
      : inner_(train, round_robin_regularizer(train.features(), groups, theta),
               objective::ObjectiveOptions{intercept, 1}),
        outer_(validation, objective::ObjectiveOptions{intercept, 1}),
        theta_(inner_.regularizer().theta()) {
    // The oracle's absolute inner tolerance: 1e-13 of the gradient norm at w = 0, at θ₀.
    absolute_tolerance_ = 1e-13 * inner_.evaluate(Vector::Zero(inner_.dim())).gradient_norm;
  }
  LogisticBilevel(const LogisticBilevel&) = delete;
  LogisticBilevel& operator=(const LogisticBilevel&) = delete;

  [[nodiscard]] const objective::InnerObjective& inner() const { return inner_; }
  [[nodiscard]] const objective::OuterObjective& outer() const { return outer_; }
  [[nodiscard]] const Vector& theta() const { return theta_; }
  [[nodiscard]] Index dim() const { return inner_.dim(); }

  /// Solves the inner problem at θ₀ from w₀ = 0 with `options` and an optional hook; the
  /// adapter keeps the state at the returned w (for Hessian products).
  inner::InnerResult solve(inner::LogisticObjective& adapter, const inner::LbfgsOptions& options,
                           const inner::IterationHook& hook = {}) const {
    return inner::minimize(adapter, Vector::Zero(dim()), options, {}, hook);
  }

  /// w*(θ) to the oracle's tolerance, warm-started from `start`.
  [[nodiscard]] Vector tight_solution(const Vector& theta, const Vector& start) {
    inner_.set_theta(theta);
    inner::LbfgsOptions options;
    options.memory = 30;
    options.tolerance_mode = inner::ToleranceMode::Absolute;
    options.tolerance = absolute_tolerance_;
    options.max_iterations = 5000;
    const inner::InnerResult result = inner::minimize(inner_, start, options);
    inner_.set_theta(theta_);
    if (result.summary.termination != Termination::Converged) ++unconverged_solves_;
    return result.w;
  }

  /// ∇F(θ₀) by central differences with step h in each θ_k, every solve warm-started from
  /// w*(θ₀). Error O(h²) plus the inner error over h (about 1e-9 relative here).
  [[nodiscard]] Vector finite_difference_hypergradient(double h = 1e-4) {
    const Vector center = tight_solution(theta_, Vector::Zero(dim()));
    Vector gradient(theta_.size());
    Vector scratch;
    for (Index k = 0; k < theta_.size(); ++k) {
      Vector plus = theta_;
      Vector minus = theta_;
      plus[k] += h;
      minus[k] -= h;
      const double f_plus = outer_.value(tight_solution(plus, center));
      const double f_minus = outer_.value(tight_solution(minus, center));
      gradient[k] = (f_plus - f_minus) / (2.0 * h);
    }
    return gradient;
  }

  /// Tight solves that did not converge so far (the oracle is only trusted when 0).
  [[nodiscard]] int unconverged_solves() const { return unconverged_solves_; }

 private:
  objective::InnerObjective inner_;
  objective::OuterObjective outer_;
  Vector theta_;
  double absolute_tolerance_ = 0.0;
  int unconverged_solves_ = 0;
};

/// cos(a, b) = aᵀb / (‖a‖‖b‖).
inline double cosine(const Vector& a, const Vector& b) {
  return a.dot(b) / (a.norm() * b.norm());
}

}  // namespace shine::test
