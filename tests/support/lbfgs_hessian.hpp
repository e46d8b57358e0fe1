#pragma once
/// @file
/// B, the Hessian estimate of an `inner::LbfgsMemory`, for the tests: the library applies only
/// B⁻¹, and the tests check it against B (B·B⁻¹v = v, the secant equation B s = y, symmetry).
///
/// B is applied through the compact representation of Byrd, Nocedal & Schnabel (1994),
///
///     B = B₀ − [B₀S  Y] [[SᵀB₀S, L], [Lᵀ, −D]]⁻¹ [SᵀB₀; Yᵀ],   B₀ = H₀⁻¹ = Δ⁻¹/γ,
///
/// S and Y the stored pairs as columns (oldest first), L the strictly lower triangle of SᵀY
/// (L_ij = s_iᵀy_j for i > j), D = diag(s_iᵀy_i). Everything is computed from the memory's public
/// accessors (`s(i)`, `y(i)`, `curvature(i)`, `gamma()`, `diagonal()`), in plain Eigen: O(m²·d)
/// work, fine at test sizes.

#include <Eigen/Dense>
#include <stdexcept>
#include <string>
#include <vector>

#include "shine/core/types.hpp"
#include "shine/inner/lbfgs_memory.hpp"
#include "shine/linalg/linear_operator.hpp"

namespace shine::test {

/// out = B·v for `memory` (B = Δ⁻¹, or I, when the memory is empty). `out` may alias `v`. Throws
/// `std::invalid_argument` when `v` does not have `memory.dim()` (> 0) entries.
inline void apply_hessian(const inner::LbfgsMemory& memory, const Vector& v, Vector& out) {
  if (v.size() != memory.dim() || memory.dim() == 0) {
    throw std::invalid_argument("apply_hessian: v has " + std::to_string(v.size()) +
                                " entries, the memory's dimension is " +
                                std::to_string(memory.dim()));
  }
  const Vector& delta = memory.diagonal();
  const bool has_delta = delta.size() > 0;
  const auto inverse_delta = [&](const Vector& x) -> Vector {
    return has_delta ? Vector(x.cwiseQuotient(delta)) : x;
  };
  const int k = memory.size();
  if (k == 0) {
    out = inverse_delta(v);
    return;
  }
  const double sigma = 1.0 / memory.gamma();  // B₀ = σΔ⁻¹
  std::vector<Vector> S;
  std::vector<Vector> Y;
  for (int i = 0; i < k; ++i) {
    S.push_back(memory.s(i));
    Y.push_back(memory.y(i));
  }
  const auto at = [](int i) { return static_cast<std::size_t>(i); };
  // M = [[σSᵀΔ⁻¹S, L], [Lᵀ, −D]], rhs = [σSᵀΔ⁻¹v; Yᵀv].
  Eigen::MatrixXd M = Eigen::MatrixXd::Zero(2 * k, 2 * k);
  Eigen::VectorXd rhs(2 * k);
  for (int i = 0; i < k; ++i) {
    const Vector scaled = inverse_delta(S[at(i)]);
    for (int j = 0; j <= i; ++j)
      M(i, j) = M(j, i) = sigma * scaled.dot(S[at(j)]);
    for (int j = 0; j < i; ++j)
      M(i, k + j) = M(k + j, i) = S[at(i)].dot(Y[at(j)]);
    M(k + i, k + i) = -memory.curvature(i);
    rhs[i] = sigma * scaled.dot(v);
    rhs[k + i] = Y[at(i)].dot(v);
  }
  const Eigen::VectorXd p = M.fullPivLu().solve(rhs);
  // B v = σΔ⁻¹(v − Σ p_i s_i) − Σ p_{k+i} y_i.
  Vector w = v;
  for (int i = 0; i < k; ++i)
    w -= p[i] * S[at(i)];
  Vector result = sigma * inverse_delta(w);
  for (int i = 0; i < k; ++i)
    result -= p[k + i] * Y[at(i)];
  out = std::move(result);
}

/// B of an `inner::LbfgsMemory` as a `linalg::LinearOperator`. References the memory, which must
/// outlive the view.
class LbfgsHessianView {
 public:
  /// B of `memory` (referenced, not copied).
  explicit LbfgsHessianView(const inner::LbfgsMemory& memory) : memory_(&memory) {}
  /// Dimension.
  [[nodiscard]] Index rows() const noexcept { return memory_->dim(); }
  /// y = B·x.
  void apply(const Vector& x, Vector& y) const { apply_hessian(*memory_, x, y); }
  /// y += B·x.
  void apply_add(const Vector& x, Vector& y) const {
    if (y.size() != memory_->dim()) {
      throw std::invalid_argument("LbfgsHessianView::apply_add: y has " + std::to_string(y.size()) +
                                  " entries, the memory's dimension is " +
                                  std::to_string(memory_->dim()));
    }
    Vector product;
    apply_hessian(*memory_, x, product);
    y += product;
  }

 private:
  const inner::LbfgsMemory* memory_;
};

static_assert(linalg::LinearOperator<LbfgsHessianView>, "LbfgsHessianView must model it");

/// A view applying B of `memory`.
inline LbfgsHessianView hessian(const inner::LbfgsMemory& memory) {
  return LbfgsHessianView(memory);
}

}  // namespace shine::test
