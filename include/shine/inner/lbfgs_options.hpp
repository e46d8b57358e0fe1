#pragma once
/// @file
/// Options of the inner L-BFGS solver (one aggregate with in-class defaults, validated once).

#include <limits>
#include <string_view>

#include "shine/core/types.hpp"

namespace shine::inner {

/// The initial inverse-Hessian estimate H₀ that the two-loop recursion starts from.
enum class InitialHessian {
  /// H₀ = γI with γ = sᵀy / yᵀy of the newest pair (Nocedal & Wright eq. 7.20): the standard
  /// L-BFGS scaling, and the default.
  ScaledIdentity,
  /// H₀ = I: reproduces the published SHINE reference code, which rebuilds B⁻¹ from the pairs
  /// with an unscaled identity.
  Identity,
};

/// How the L-BFGS memory stores its (s, y) pairs.
enum class PairPrecision {
  /// 64-bit doubles: the pairs are kept exactly as given. The default.
  Double,
  /// 32-bit floats: each pair is rounded once when stored (relative error 2^-24 per entry), and
  /// every product the memory uses is computed from the rounded vectors, so that B and B⁻¹ are
  /// the exact L-BFGS operators of the stored pairs (symmetric positive definite, secant equation
  /// B s = y for the stored s and y). Halves the memory and the bytes of every sweep over it.
  Single,
  /// 16-bit IEEE binary16 entries with one power-of-two scale per vector (chosen so that the
  /// vector's largest entry is stored with full precision): each pair is rounded once when stored
  /// (relative error 2^-11 per entry; entries below about 2^-39 of the vector's largest entry
  /// become zero), and, as with `Single`, every product is computed from the rounded vectors, so
  /// that B and B⁻¹ are the exact L-BFGS operators of the stored pairs. A quarter of the bytes of
  /// `Double`.
  Half,
  /// `Half` when the pairs would take at least `kAutomaticHalfBytes` in double precision
  /// (2·m·d·8 bytes: d ≥ 17,477 at m = 30), where the two sweeps over them per iteration are
  /// bound by memory bandwidth; `Double` below, where they are not and narrower pairs would only
  /// round. Resolved when a memory is created or its precision set (`resolve_pair_precision`):
  /// a memory never stores `Automatic`.
  Automatic,
};

/// Bytes of the pairs in double precision from which `PairPrecision::Automatic` stores them in
/// binary16: 8 MiB. Chosen by the tuning benchmark (BENCHMARKS.md): the five shared sets whose
/// pairs take 16 MB to 1.2 GB in double reached 1 % of the best held-out loss sooner with
/// binary16 pairs; a9a and w8a (59 and 144 kB) gained nothing.
inline constexpr double kAutomaticHalfBytes = 8.0 * 1024 * 1024;

/// How `LbfgsOptions::tolerance` is read.
enum class ToleranceMode {
  /// Stop when ‖∇h(w)‖₂ ≤ tolerance.
  Absolute,
  /// Stop when ‖∇h(w)‖₂ ≤ tolerance · ‖∇h(w₀)‖₂ (w₀ the starting point of this solve).
  Relative,
};

/// Stable lower-case name: "scaled_identity" or "identity".
std::string_view to_string(InitialHessian mode) noexcept;
/// Stable lower-case name: "absolute" or "relative".
std::string_view to_string(ToleranceMode mode) noexcept;
/// Stable lower-case name: "double", "single", "half" or "auto".
std::string_view to_string(PairPrecision precision) noexcept;

/// The storage `precision` stands for with vectors of `dim` entries and `memory` pairs:
/// `Automatic` resolved (see `PairPrecision::Automatic`), any other value unchanged.
PairPrecision resolve_pair_precision(PairPrecision precision, Index dim, int memory) noexcept;

/// Options of `inner::minimize`. Every field has a usable default; `validate()` checks them all.
struct LbfgsOptions {
  /// Number m of (s, y) pairs kept. Default 10 (HOAG); the SHINE variants use 30 (the caller sets
  /// it). Range [1, 1000]. Cost: O(m·d) memory and O(m·d) work per iteration.
  int memory = 10;

  /// Gradient-norm tolerance; see `tolerance_mode`. The test is made at accepted iterates only,
  /// so the returned w (and the newest pair in the memory) is the point that met it. Default
  /// 1e-6. Range >= 0 (0 never converges: the run ends on another criterion).
  double tolerance = 1e-6;

  /// Whether `tolerance` is absolute or relative to ‖∇h(w₀)‖₂. Default `Relative`.
  ToleranceMode tolerance_mode = ToleranceMode::Relative;

  /// Iteration budget (accepted steps). Default 1000 (as the reference). Range >= 0; 0 only
  /// evaluates w₀.
  int max_iterations = 1000;

  /// Most evaluations of φ(α) per line search. Default 20. Range [1, 1000].
  int max_linesearch = 20;

  /// Sufficient-decrease (Armijo) constant: φ(α) ≤ φ(0) + c1·α·φ'(0). Default 1e-4.
  /// Range 0 < c1 < c2.
  double c1 = 1e-4;

  /// Strong-curvature constant: |φ'(α)| ≤ c2·|φ'(0)|. Default 0.9. Range c1 < c2 < 1.
  double c2 = 0.9;

  /// Curvature guard: a pair (s, y) is stored only when sᵀy > ε·‖s‖‖y‖ (a cosine test, so it
  /// does not depend on the scale of the problem). Default 1e-10. Range [0, 1).
  double curvature_epsilon = 1e-10;

  /// H₀ of the two-loop recursion. Default `ScaledIdentity`; `Identity` reproduces the reference.
  InitialHessian initial_hessian = InitialHessian::ScaledIdentity;

  /// Storage of the memory's pairs (see `PairPrecision`). `Single` halves the bytes of the two
  /// sweeps over the 2m stored vectors that every iteration makes, `Half` quarters them; the
  /// pairs and hence SHINE's B⁻¹ then carry a relative rounding of about 6e-8 (`Single`) or 5e-4
  /// (`Half`) per entry. Default `Double`.
  PairPrecision pair_precision = PairPrecision::Double;

  /// Diagonal scaling of H₀: when true and the objective offers a diagonal Δ
  /// (`SmoothObjective::diagonal_scaling`), H₀ = γΔ instead of γI (with `Identity`, H₀ = Δ). For
  /// the logistic objective Δ_j = (¼‖X_{:,j}‖² + λ_j)^(−1/2), the inverse square root of the
  /// Hessian diagonal at w = 0: on sparse text data, where column norms span orders of
  /// magnitude, this takes 2.5–3.5× fewer iterations than γI at λ = 0.01 (and fewer than the full
  /// Jacobi scaling Δ = diag(H)⁻¹). The memory returned keeps Δ, so B⁻¹ applied later (SHINE)
  /// includes it. Default false (H₀ = γI, as the published method).
  bool diagonal_scaling = false;

  /// Relative slack of the approximate-Wolfe acceptance (Hager & Zhang): near the optimum the
  /// decrease of h is below its rounding error, so a step that meets the strong curvature
  /// condition and does not increase h by more than `value_noise`·|h(w)| is accepted too.
  /// Default 1e-12. Range [0, 1e-3]; 0 demands exact sufficient decrease.
  double value_noise = 1e-12;

  /// Threads of the solver's own O(m·d) sweeps over the memory (two-loop recursion, pair
  /// updates): 0 (default) = all cores, n > 0 = n. The passes over the data follow the
  /// objective's own setting (`objective::ObjectiveOptions::num_threads`). Results do not depend
  /// on either. Range >= 0.
  int num_threads = 0;

  /// Wall-clock budget of one solve in seconds (checked once per iteration). Default: none
  /// (+infinity). Range > 0.
  double time_limit = std::numeric_limits<double>::infinity();

  /// Throws `std::invalid_argument` naming the first field that is out of range, its value and
  /// the rule, e.g. "LbfgsOptions::memory = 0: must be in [1, 1000]".
  void validate() const;
};

}  // namespace shine::inner
