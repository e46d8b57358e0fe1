#pragma once
/// @file
/// Small seeded random problems for the objective, kernel and solver tests.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "shine/core/types.hpp"
#include "shine/data/dataset.hpp"

namespace shine::test {

/// Vector of `n` independent N(0, scale²) entries, seeded.
inline Vector random_vector(Index n, std::uint64_t seed, double scale = 1.0) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, scale);
  Vector v(n);
  for (Index i = 0; i < n; ++i)
    v[i] = normal(rng);
  return v;
}

/// Random sparse matrix: each entry is non-zero with probability `density`, value N(0, 1); every
/// row gets at least one non-zero so no sample is empty.
inline SparseMatrix random_sparse(Index rows, Index cols, double density, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::bernoulli_distribution keep(density);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_int_distribution<Index> any_col(0, cols - 1);
  std::vector<Eigen::Triplet<double>> triplets;
  for (Index i = 0; i < rows; ++i) {
    bool any = false;
    for (Index j = 0; j < cols; ++j) {
      if (keep(rng)) {
        triplets.emplace_back(static_cast<int>(i), static_cast<int>(j), normal(rng));
        any = true;
      }
    }
    if (!any) triplets.emplace_back(static_cast<int>(i), static_cast<int>(any_col(rng)), 1.0);
  }
  SparseMatrix X(rows, cols);
  X.setFromTriplets(triplets.begin(), triplets.end());
  X.makeCompressed();
  return X;
}

/// A random logistic-regression dataset: labels from a random linear model, each flipped with
/// probability `flip` so that the data are not separable.
inline data::Dataset random_dataset(Index rows, Index cols, double density, std::uint64_t seed,
                                    double flip = 0.2) {
  SparseMatrix X = random_sparse(rows, cols, density, seed);
  const Vector w_true = random_vector(cols, seed + 1);
  const Vector scores = X * w_true;
  std::mt19937_64 rng(seed + 2);
  std::bernoulli_distribution flipped(flip);
  Vector y(rows);
  for (Index i = 0; i < rows; ++i) {
    const double label = scores[i] >= 0.0 ? 1.0 : -1.0;
    y[i] = flipped(rng) ? -label : label;
  }
  // Make sure both classes appear.
  y[0] = 1.0;
  if (rows > 1) y[1] = -1.0;
  return data::make_dataset(std::move(X), std::move(y), "random-" + std::to_string(seed));
}

/// A linearly separable dataset (labels are the sign of a random linear model with a margin):
/// without regularization the logistic loss has no minimizer.
inline data::Dataset separable_dataset(Index rows, Index cols, double density, std::uint64_t seed) {
  SparseMatrix X = random_sparse(rows, cols, density, seed);
  const Vector w_true = random_vector(cols, seed + 1);
  Vector scores = X * w_true;
  Vector y(rows);
  for (Index i = 0; i < rows; ++i)
    y[i] = scores[i] >= 0.0 ? 1.0 : -1.0;
  return data::make_dataset(std::move(X), std::move(y), "separable-" + std::to_string(seed));
}

}  // namespace shine::test
