#include "shine/inner/line_search.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/check.hpp"

namespace shine::inner {
namespace {

bool finite(const LinePoint& p) {
  return std::isfinite(p.value) && std::isfinite(p.slope);
}

// Minimizer of the cubic interpolating φ and φ' at a and b (Nocedal & Wright, eq. 3.59), kept in
// the middle 80 % of [a, b]; the midpoint when the cubic has no usable minimizer there. When the
// two values are equal to rounding (`flat`), they carry no information and the zero of the
// secant of φ' is used instead.
double interpolate(const LinePoint& a, const LinePoint& b, bool flat) {
  const double mid = 0.5 * (a.step + b.step);
  if (!finite(a) || !finite(b)) return mid;
  const double width = b.step - a.step;
  double t = mid;
  if (flat) {
    if (a.slope * b.slope >= 0.0) return mid;
    t = a.step - a.slope * width / (b.slope - a.slope);
  } else {
    const double d1 = a.slope + b.slope - 3.0 * (a.value - b.value) / (a.step - b.step);
    const double disc = d1 * d1 - a.slope * b.slope;
    if (!(disc >= 0.0) || !std::isfinite(disc)) return mid;
    const double d2 = std::copysign(std::sqrt(disc), width);
    const double denom = b.slope - a.slope + 2.0 * d2;
    if (denom == 0.0 || !std::isfinite(denom)) return mid;
    t = b.step - width * (b.slope + d2 - d1) / denom;
  }
  const double lo = std::min(a.step, b.step) + 0.1 * std::abs(width);
  const double hi = std::max(a.step, b.step) - 0.1 * std::abs(width);
  if (!std::isfinite(t)) return mid;
  return std::clamp(t, lo, hi);
}

}  // namespace

std::string_view to_string(LineSearchOutcome outcome) noexcept {
  switch (outcome) {
    case LineSearchOutcome::StrongWolfe:
      return "strong_wolfe";
    case LineSearchOutcome::ApproximateWolfe:
      return "approximate_wolfe";
    case LineSearchOutcome::SufficientDecrease:
      return "sufficient_decrease";
    case LineSearchOutcome::Failed:
      return "failed";
  }
  return "unknown";
}

LineSearchResult strong_wolfe_search(linalg::FunctionRef<LinePoint(double)> phi,
                                     const LinePoint& origin, double initial_step,
                                     const LineSearchOptions& options) {
  require(options.c1 > 0.0 && options.c1 < options.c2, "LineSearchOptions::c1", options.c1,
          "must be in (0, c2)");
  require(options.c2 < 1.0, "LineSearchOptions::c2", options.c2, "must be in (c1, 1)");
  require(options.max_evaluations >= 1, "LineSearchOptions::max_evaluations",
          options.max_evaluations, "must be >= 1");
  require(options.value_noise >= 0.0, "LineSearchOptions::value_noise", options.value_noise,
          "must be >= 0");
  require(options.max_step > 0.0, "LineSearchOptions::max_step", options.max_step, "must be > 0");

  LineSearchResult result;
  result.point = LinePoint{0.0, origin.value, origin.slope};
  const double f0 = origin.value;
  const double g0 = origin.slope;
  if (!std::isfinite(f0) || !(g0 < 0.0) || !std::isfinite(g0)) return result;

  const double noise_bound = f0 + options.value_noise * std::abs(f0);
  const auto sufficient = [&](const LinePoint& p) {
    return std::isfinite(p.value) && p.value <= f0 + options.c1 * p.step * g0;
  };
  const auto curvature = [&](const LinePoint& p) {
    return std::isfinite(p.slope) && std::abs(p.slope) <= -options.c2 * g0;
  };
  const auto approximate = [&](const LinePoint& p) {
    return options.value_noise > 0.0 && std::isfinite(p.value) && p.value <= noise_bound &&
           curvature(p);
  };

  // Values closer than this are treated as equal, and the slopes decide: near a minimizer φ is
  // flat to rounding, and comparing values would send the zoom the wrong way.
  const auto tie = [&](const LinePoint& a, const LinePoint& b) {
    return 2.0 * std::numeric_limits<double>::epsilon() * (std::abs(a.value) + std::abs(b.value)) +
           options.value_noise * std::abs(f0);
  };

  // Best step with sufficient decrease seen so far: the fallback when the budget runs out.
  LinePoint best = result.point;
  const auto evaluate = [&](double alpha) {
    LinePoint p = phi(alpha);
    p.step = alpha;
    ++result.evaluations;
    if (sufficient(p) && std::isfinite(p.slope) && (best.step == 0.0 || p.value < best.value)) {
      best = p;
    }
    return p;
  };
  const auto done = [&](LineSearchOutcome outcome, const LinePoint& p) {
    result.outcome = outcome;
    result.point = p;
    return result;
  };
  const auto fallback = [&]() {
    if (best.step > 0.0) return done(LineSearchOutcome::SufficientDecrease, best);
    result.outcome = LineSearchOutcome::Failed;
    return result;
  };

  // Zoom (Algorithm 3.6): `lo` has sufficient decrease and the lowest value so far, and the
  // interval between lo and hi contains a strong Wolfe step.
  const auto zoom = [&](LinePoint lo, LinePoint hi) {
    while (result.evaluations < options.max_evaluations) {
      const double width = std::abs(hi.step - lo.step);
      if (width <= 4.0 * std::numeric_limits<double>::epsilon() * std::max(lo.step, hi.step)) {
        break;
      }
      const LinePoint p =
          evaluate(interpolate(lo, hi, std::abs(hi.value - lo.value) <= tie(lo, hi)));
      if (!finite(p) || !sufficient(p) || p.value > lo.value + tie(lo, p)) {
        if (approximate(p)) return done(LineSearchOutcome::ApproximateWolfe, p);
        hi = p;
      } else {
        if (curvature(p)) return done(LineSearchOutcome::StrongWolfe, p);
        if (p.slope * (hi.step - lo.step) >= 0.0) hi = lo;
        lo = p;
      }
    }
    return fallback();
  };

  // Bracketing (Algorithm 3.5).
  LinePoint previous = result.point;
  double alpha =
      std::min(std::max(initial_step, std::numeric_limits<double>::min()), options.max_step);
  while (result.evaluations < options.max_evaluations) {
    const LinePoint p = evaluate(alpha);
    if (!finite(p) || !sufficient(p) ||
        (previous.step > 0.0 && p.value > previous.value + tie(previous, p))) {
      if (approximate(p)) return done(LineSearchOutcome::ApproximateWolfe, p);
      return zoom(previous, p);
    }
    if (curvature(p)) return done(LineSearchOutcome::StrongWolfe, p);
    if (p.slope >= 0.0) return zoom(p, previous);
    if (alpha >= options.max_step) break;
    previous = p;
    alpha = std::min(4.0 * alpha, options.max_step);
  }
  return fallback();
}

}  // namespace shine::inner
