// Preconditioned conjugate gradient for A x = b with A symmetric positive definite (Hestenes &
// Stiefel 1952; Nocedal & Wright, Numerical Optimization, 2nd ed., Algorithm 5.3), used by HOAG
// and the CG fallbacks to solve ∇²h · q = ∇f. With M ≈ A⁻¹ the preconditioner (z = M r):
//
//   r₀ = b − A x₀, z₀ = M r₀, p₀ = z₀
//   α = rᵀz / pᵀAp,  x ← x + α p,  r ← r − α A p,  z = M r,  β = r'ᵀz' / rᵀz,  p ← z + β p
//
// Stops when ‖r‖ ≤ tolerance · ‖b‖ (relative to b, not to r₀, so a warm start that is already
// good stops at once), after max_iterations, or on a breakdown: pᵀAp ≤ 0 (A not definite) or
// rᵀz ≤ 0 (M not definite) is reported as a numerical error, never divided by. The residual is
// updated by recurrence, not recomputed: one application of A per iteration (one Hessian-vector
// product, two passes over the data).
#include "shine/linalg/conjugate_gradient.hpp"

#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <string>

#include "core/check.hpp"

namespace shine::linalg {
namespace {

std::string format(const char* pattern, ...) {
  char buffer[256];
  va_list args;
  va_start(args, pattern);
  std::vsnprintf(buffer, sizeof(buffer), pattern, args);
  va_end(args);
  return buffer;
}

}  // namespace

void CgOptions::validate() const {
  require(tolerance >= 0.0 && std::isfinite(tolerance), "CgOptions::tolerance", tolerance,
          "must be finite and >= 0");
  require(max_iterations >= 0, "CgOptions::max_iterations", max_iterations, "must be >= 0");
}

std::string CgSummary::brief() const {
  return format("%s: %d it, %lld Av, %lld Mv, residual %.2e -> %.2e",
                std::string(to_string(termination)).c_str(), iterations,
                static_cast<long long>(operator_applications),
                static_cast<long long>(preconditioner_applications), initial_relative_residual,
                relative_residual);
}

namespace detail {

CgSummary conjugate_gradient(ApplyRef apply_a, Index rows, const ApplyRef* preconditioner,
                             const Vector& b, Vector& x, const CgOptions& options,
                             CgWorkspace& workspace) {
  options.validate();
  require(b.size() == rows, "conjugate_gradient: size of b", b.size(),
          "must equal the operator's rows() = " + std::to_string(rows));
  if (x.size() == 0) x = Vector::Zero(rows);
  require(x.size() == rows, "conjugate_gradient: size of x", x.size(),
          "must equal the operator's rows() = " + std::to_string(rows) + " (or be empty)");

  CgSummary summary;
  const double b_norm = b.norm();
  if (!std::isfinite(b_norm) || !x.allFinite()) {
    summary.termination = Termination::NumericalError;
    summary.message = "the right-hand side or the starting point is not finite";
    summary.initial_relative_residual = summary.relative_residual = std::nan("");
    return summary;
  }
  if (b_norm == 0.0) {
    // The unique solution of A x = 0 for a definite A.
    x.setZero();
    summary.termination = Termination::Converged;
    summary.message = "b = 0, so x = 0";
    return summary;
  }

  Vector& r = workspace.r;
  Vector& p = workspace.p;
  Vector& ap = workspace.ap;
  if (x.isZero(0.0)) {
    r = b;  // saves one application of A for a cold start
  } else {
    apply_a(x, ap);
    ++summary.operator_applications;
    r = b - ap;
  }
  double r_norm = r.norm();
  summary.initial_relative_residual = summary.relative_residual = r_norm / b_norm;
  if (!std::isfinite(r_norm)) {
    summary.termination = Termination::NumericalError;
    summary.message = "A·x0 is not finite";
    return summary;
  }
  const double target = options.tolerance * b_norm;
  if (r_norm <= target) {
    summary.termination = Termination::Converged;
    summary.message = format("the starting point meets the tolerance (residual %.3e <= %.3e)",
                             summary.relative_residual, options.tolerance);
    return summary;
  }

  // Without a preconditioner z = r: use r itself instead of a copy.
  const Vector& z = preconditioner != nullptr ? workspace.z : r;
  if (preconditioner != nullptr) {
    (*preconditioner)(r, workspace.z);
    ++summary.preconditioner_applications;
  }
  double rz = r.dot(z);
  if (!(rz > 0.0) || !std::isfinite(rz)) {
    summary.termination = Termination::NumericalError;
    summary.message =
        format("breakdown: r'Mr = %.3e is not positive (indefinite preconditioner)", rz);
    return summary;
  }
  p = z;

  while (true) {
    if (summary.iterations >= options.max_iterations) {
      summary.termination = Termination::MaxIterations;
      summary.message = format("reached max_iterations = %d with relative residual %.3e > %.3e",
                               options.max_iterations, r_norm / b_norm, options.tolerance);
      break;
    }
    apply_a(p, ap);
    ++summary.operator_applications;
    const double p_ap = p.dot(ap);
    if (!(p_ap > 0.0) || !std::isfinite(p_ap)) {
      summary.termination = Termination::NumericalError;
      summary.message =
          format("breakdown: p'Ap = %.3e is not positive (indefinite operator)", p_ap);
      break;
    }
    const double alpha = rz / p_ap;
    // |x + αp|∞ ≤ |x|∞ + |α|·|p|∞: when that bound is finite the update cannot overflow, so x
    // stays the last finite iterate.
    const double bound =
        x.lpNorm<Eigen::Infinity>() + std::abs(alpha) * p.lpNorm<Eigen::Infinity>();
    if (!std::isfinite(bound)) {
      summary.termination = Termination::NumericalError;
      summary.message = format("breakdown: the step alpha = %.3e overflows", alpha);
      break;
    }
    x.noalias() += alpha * p;
    r.noalias() -= alpha * ap;
    ++summary.iterations;
    r_norm = r.norm();
    summary.relative_residual = r_norm / b_norm;
    if (!std::isfinite(r_norm)) {
      summary.termination = Termination::NumericalError;
      summary.message = "the residual became non-finite";
      break;
    }
    if (r_norm <= target) {
      summary.termination = Termination::Converged;
      summary.message = format("relative residual %.3e <= tolerance %.3e after %d iterations",
                               summary.relative_residual, options.tolerance, summary.iterations);
      break;
    }
    if (preconditioner != nullptr) {
      (*preconditioner)(r, workspace.z);
      ++summary.preconditioner_applications;
    }
    const double rz_next = r.dot(z);
    if (!(rz_next > 0.0) || !std::isfinite(rz_next)) {
      summary.termination = Termination::NumericalError;
      summary.message =
          format("breakdown: r'Mr = %.3e is not positive (indefinite preconditioner)", rz_next);
      break;
    }
    const double beta = rz_next / rz;
    rz = rz_next;
    p *= beta;
    p += z;
  }
  return summary;
}

}  // namespace detail
}  // namespace shine::linalg
