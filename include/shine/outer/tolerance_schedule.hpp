#pragma once
/// @file
/// The decreasing tolerance sequence ε_k of the outer loop (HOAG).
///
/// ε_k bounds the error allowed at outer iteration k in the inner solve and in the
/// hypergradient's linear system. HOAG proves convergence when Σ ε_k < ∞; the reference code
/// offers an exponential decrease and two polynomial ones.

#include <string_view>

namespace shine::outer {

/// Shape of the tolerance sequence.
enum class ScheduleKind {
  Exponential,  ///< ε_{k+1} = ρ·ε_k (the default; ρ = 0.9 for HOAG, 0.78 for SHINE in the paper).
  Quadratic,  ///< ε_k = ε₀ / k².
  Cubic,      ///< ε_k = ε₀ / k³.
};

/// Stable names: "exponential", "quadratic", "cubic".
std::string_view to_string(ScheduleKind kind) noexcept;
/// Inverse of `to_string`; throws `std::invalid_argument` listing the names for anything else.
ScheduleKind parse_schedule_kind(std::string_view name);

/// The tolerance schedule. Defaults: exponential, ε₀ = 1e-3, ρ = 0.9, floor 1e-12.
struct ToleranceSchedule {
  ScheduleKind kind = ScheduleKind::Exponential;  ///< Shape of the sequence. Default exponential.
  /// ε₀, the tolerance of the first outer iteration. Range (0, 1]. Default 1e-3.
  double initial = 1e-3;
  /// ρ of the exponential schedule. Range (0, 1). Default 0.9.
  double rho = 0.9;
  /// Lower bound of every ε_k (the schedule never goes below it). Range (0, initial]. Default
  /// 1e-12.
  double floor = 1e-12;

  /// Throws `std::invalid_argument` naming the field when a value is out of range.
  void validate() const;

  /// The tolerance after outer iteration `iteration` (1-based), given the current tolerance:
  /// exponential → max(ρ·current, floor); quadratic → max(ε₀/iteration², floor); cubic →
  /// max(ε₀/iteration³, floor). The polynomial schedules ignore `current` except through
  /// rejections, which the outer loop applies by halving the returned value.
  [[nodiscard]] double next(double current, int iteration) const noexcept;
};

}  // namespace shine::outer
