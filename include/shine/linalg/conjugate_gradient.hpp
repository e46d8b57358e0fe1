#pragma once
/// @file
/// The (preconditioned) conjugate-gradient method for A x = b, A symmetric positive definite,
/// over any `LinearOperator`.
///
/// Algorithm (Nocedal & Wright, Algorithm 5.3; with M = I it is Algorithm 5.2), from x₀:
///
///     r₀ = b − A x₀,  z₀ = M r₀,  p₀ = z₀
///     repeat:  α = rᵀz / pᵀAp;  x ← x + αp;  r ← r − αAp;
///              stop if ‖r‖ ≤ tol·‖b‖;  z = M r;  β = r_newᵀz_new / rᵀz;  p ← z + βp
///
/// M ≈ A⁻¹ is an optional symmetric positive definite preconditioner (for the logistic Hessian,
/// the L-BFGS inverse estimate B⁻¹ of the inner solve: `inner::LbfgsMemory` models the concept).
///
/// **Cost.** One application of A per iteration, plus one more at the start when x₀ ≠ 0 (a zero
/// x₀ is detected and skipped: r₀ = b). One application of M per iteration when preconditioned.
/// Four vectors of workspace (three without a preconditioner), owned by the caller when it passes
/// a `CgWorkspace` (so that repeated solves do not allocate).
///
/// **Outcomes, never exceptions.** A solve ends `Converged` (‖r‖ ≤ tol·‖b‖), `MaxIterations`
/// (the budget ran out; x is the last iterate) or `NumericalError`: pᵀAp ≤ 0 (A is not positive
/// definite along p), rᵀMr ≤ 0 (M is not positive definite), or a non-finite value. On a
/// breakdown x is the last finite iterate, never NaN (unless b or x₀ already were not finite, in
/// which case x is left as given). Exceptions are thrown only for misuse (sizes that do not
/// match, invalid options).
///
/// The residual tested and reported is the recursively updated r, which equals b − Ax up to
/// rounding (the gap grows like ε_mach·κ(A)·‖b‖; irrelevant for the tolerances used here).
///
/// Example:
///
///     linalg::CgWorkspace work;
///     Vector x = Vector::Zero(n);                       // or a warm start
///     const linalg::CgSummary s = linalg::conjugate_gradient(A, b, x, {.tolerance = 1e-8}, &work);
///     if (s.termination != Termination::Converged) { /* x is the best iterate found */ }

#include <functional>
#include <string>
#include <utility>

#include "shine/core/status.hpp"
#include "shine/core/types.hpp"
#include "shine/linalg/function_ref.hpp"
#include "shine/linalg/linear_operator.hpp"

namespace shine::linalg {

/// Options of `conjugate_gradient`.
struct CgOptions {
  /// Relative residual tolerance: stop when ‖b − Ax‖₂ ≤ tolerance·‖b‖₂. Default 1e-10.
  /// Range >= 0 (0 runs the whole budget unless the residual vanishes exactly).
  double tolerance = 1e-10;
  /// Most iterations (applications of A after the initial residual). Default 1000. Range >= 0;
  /// 0 only measures the residual of x₀.
  int max_iterations = 1000;

  /// Throws `std::invalid_argument` naming the field, its value and the rule.
  void validate() const;
};

/// How a conjugate-gradient solve went.
struct CgSummary {
  /// `Converged`, `MaxIterations` or `NumericalError` (see the file comment).
  Termination termination = Termination::MaxIterations;
  /// One sentence with the numbers involved (e.g. which breakdown happened).
  std::string message;
  int iterations = 0;                     ///< Iterations made (updates of x).
  Index operator_applications = 0;        ///< Products A·v (one per iteration, + 1 if x₀ ≠ 0).
  Index preconditioner_applications = 0;  ///< Products M·v.
  /// ‖r₀‖/‖b‖ at the starting point (1 for x₀ = 0; 0 when b = 0).
  double initial_relative_residual = 0.0;
  /// ‖r‖/‖b‖ at the returned x (the recursively updated residual; 0 when b = 0).
  double relative_residual = 0.0;

  /// One line, e.g. "converged: 17 it, 17 Av, residual 1.0e+00 -> 8.3e-11".
  [[nodiscard]] std::string brief() const;
};

/// Scratch vectors of a solve; reuse one across solves of the same size to avoid allocations.
/// Contents on return are unspecified (r holds the final residual).
struct CgWorkspace {
  Vector r;   ///< Residual b − Ax.
  Vector z;   ///< Preconditioned residual M r (unused without a preconditioner).
  Vector p;   ///< Search direction.
  Vector ap;  ///< A p.
};

/// A·x into y (overwrite), as used by the solver's core.
using ApplyRef = FunctionRef<void(const Vector& x, Vector& y)>;

namespace detail {
/// The solver behind the templates below, written once over type-erased operators
/// (`preconditioner` may be null). Use `conjugate_gradient` or
/// `preconditioned_conjugate_gradient` instead.
CgSummary conjugate_gradient(ApplyRef apply_a, Index rows, const ApplyRef* preconditioner,
                             const Vector& b, Vector& x, const CgOptions& options,
                             CgWorkspace& workspace);
}  // namespace detail

/// Solves A x = b by conjugate gradient, starting from `x` (warm start).
///
/// In: `op` (n × n, symmetric positive definite), `b` (n entries), `x` the starting point (n
/// entries; an empty `x` is taken as 0). Out: `x` the last iterate; the summary says how it
/// ended. `workspace`: caller-owned scratch (null: a local one is allocated). Throws
/// `std::invalid_argument` only when sizes do not match or `options` is invalid.
template <LinearOperator Op>
CgSummary conjugate_gradient(const Op& op, const Vector& b, Vector& x,
                             const CgOptions& options = {}, CgWorkspace* workspace = nullptr) {
  const auto apply = [&op](const Vector& v, Vector& out) { op.apply(v, out); };
  CgWorkspace local;
  return detail::conjugate_gradient(apply, static_cast<Index>(op.rows()), nullptr, b, x, options,
                                    workspace != nullptr ? *workspace : local);
}

/// Same, preconditioned by `preconditioner` (an approximation of A⁻¹, symmetric positive
/// definite; applied once per iteration). With `inner::LbfgsMemory` as M, CG is preconditioned
/// by the L-BFGS inverse-Hessian estimate.
template <LinearOperator Op, LinearOperator Preconditioner>
CgSummary preconditioned_conjugate_gradient(const Op& op, const Preconditioner& preconditioner,
                                            const Vector& b, Vector& x,
                                            const CgOptions& options = {},
                                            CgWorkspace* workspace = nullptr) {
  const auto apply = [&op](const Vector& v, Vector& out) { op.apply(v, out); };
  const auto precondition = [&preconditioner](const Vector& v, Vector& out) {
    preconditioner.apply(v, out);
  };
  const ApplyRef precondition_ref(precondition);
  CgWorkspace local;
  return detail::conjugate_gradient(apply, static_cast<Index>(op.rows()), &precondition_ref, b, x,
                                    options, workspace != nullptr ? *workspace : local);
}

/// A `LinearOperator` made of a dimension and a callable `void(const Vector& x, Vector& y)` that
/// writes y = A·x, e.g. a Hessian-vector product given as a `std::function`. The callable is
/// stored by value. `apply_add` uses an internal scratch vector, so one object must not be used
/// from two threads at once.
template <typename Apply>
class FunctionOperator {
 public:
  /// The operator of dimension `rows` applied by `apply(x, y)` (y = A·x).
  FunctionOperator(Index rows, Apply apply) : rows_(rows), apply_(std::move(apply)) {}

  /// Dimension n (A is n × n).
  [[nodiscard]] Index rows() const noexcept { return rows_; }
  /// y = A·x.
  void apply(const Vector& x, Vector& y) const { apply_(x, y); }
  /// y += A·x.
  void apply_add(const Vector& x, Vector& y) const {
    apply_(x, scratch_);
    y += scratch_;
  }

 private:
  Index rows_;
  Apply apply_;
  mutable Vector scratch_;
};

static_assert(LinearOperator<FunctionOperator<std::function<void(const Vector&, Vector&)>>>);

}  // namespace shine::linalg
