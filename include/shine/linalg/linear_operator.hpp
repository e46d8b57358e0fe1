#pragma once
/// @file
/// The linear-operator concept: anything that can apply a square matrix to a vector without
/// exposing the matrix (the logistic Hessian, the L-BFGS inverse-Hessian estimate, …).

#include <concepts>

#include "shine/core/types.hpp"

namespace shine::linalg {

/// A square linear operator A of size `rows()`, applied through const member functions:
///
/// - `rows()`: the dimension n (A is n × n);
/// - `apply(x, y)`: overwrites `y` with A·x (`y` is resized to n when needed);
/// - `apply_add(x, y)`: accumulates, y ← y + A·x (`y` must already have n entries).
///
/// `x` and `y` must not alias. Implementations document their cost and whether concurrent calls on
/// one object are safe (most keep a scratch buffer and are not).
template <typename Op>
concept LinearOperator = requires(const Op& op, const Vector& x, Vector& y) {
  { op.rows() } -> std::convertible_to<Index>;
  op.apply(x, y);
  op.apply_add(x, y);
};

}  // namespace shine::linalg
