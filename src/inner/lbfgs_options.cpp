#include "shine/inner/lbfgs_options.hpp"

#include <cmath>

#include "core/check.hpp"

namespace shine::inner {

std::string_view to_string(InitialHessian mode) noexcept {
  switch (mode) {
    case InitialHessian::ScaledIdentity:
      return "scaled_identity";
    case InitialHessian::Identity:
      return "identity";
  }
  return "unknown";
}

std::string_view to_string(ToleranceMode mode) noexcept {
  switch (mode) {
    case ToleranceMode::Absolute:
      return "absolute";
    case ToleranceMode::Relative:
      return "relative";
  }
  return "unknown";
}

std::string_view to_string(PairPrecision precision) noexcept {
  switch (precision) {
    case PairPrecision::Double:
      return "double";
    case PairPrecision::Single:
      return "single";
    case PairPrecision::Half:
      return "half";
    case PairPrecision::Automatic:
      return "auto";
  }
  return "unknown";
}

PairPrecision resolve_pair_precision(PairPrecision precision, Index dim, int memory) noexcept {
  if (precision != PairPrecision::Automatic) return precision;
  const double bytes = 2.0 * static_cast<double>(memory) * static_cast<double>(dim) * 8.0;
  return bytes >= kAutomaticHalfBytes ? PairPrecision::Half : PairPrecision::Double;
}

void LbfgsOptions::validate() const {
  require(memory >= 1 && memory <= 1000, "LbfgsOptions::memory", memory, "must be in [1, 1000]");
  require(std::isfinite(tolerance) && tolerance >= 0.0, "LbfgsOptions::tolerance", tolerance,
          "must be finite and >= 0");
  require(max_iterations >= 0, "LbfgsOptions::max_iterations", max_iterations, "must be >= 0");
  require(max_linesearch >= 1 && max_linesearch <= 1000, "LbfgsOptions::max_linesearch",
          max_linesearch, "must be in [1, 1000]");
  require(c1 > 0.0 && c1 < 1.0, "LbfgsOptions::c1", c1, "must be in (0, 1)");
  require(c2 > c1 && c2 < 1.0, "LbfgsOptions::c2", c2, "must be in (c1, 1)");
  require(curvature_epsilon >= 0.0 && curvature_epsilon < 1.0, "LbfgsOptions::curvature_epsilon",
          curvature_epsilon, "must be in [0, 1)");
  require(value_noise >= 0.0 && value_noise <= 1e-3, "LbfgsOptions::value_noise", value_noise,
          "must be in [0, 1e-3]");
  require(num_threads >= 0, "LbfgsOptions::num_threads", num_threads,
          "must be >= 0 (0 = all cores)");
  require(time_limit > 0.0, "LbfgsOptions::time_limit", time_limit,
          "must be > 0 seconds (infinity = no limit)");
}

}  // namespace shine::inner
