#include "shine/outer/secant_step.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "core/check.hpp"

namespace shine::outer {
namespace {

// Secant pairs closer than this many θ tolerances keep the previous curvature estimate.
constexpr double kReliableBaseline = 5.0;

double rms(const Vector& v) {
  return v.size() == 0 ? 0.0 : v.norm() / std::sqrt(static_cast<double>(v.size()));
}

}  // namespace

void SecantStepOptions::validate() const {
  require(std::isfinite(max_radius) && max_radius > 0.0 && max_radius <= 24.0,
          "SecantStepOptions::max_radius", max_radius, "must be in (0, 24] (log-lambda)");
  require(std::isfinite(initial_radius) && initial_radius > 0.0 && initial_radius <= max_radius,
          "SecantStepOptions::initial_radius", initial_radius, "must be in (0, max_radius]");
  require(std::isfinite(theta_tolerance) && theta_tolerance > 0.0 && theta_tolerance <= 1.0,
          "SecantStepOptions::theta_tolerance", theta_tolerance, "must be in (0, 1] (log-lambda)");
  require(std::isfinite(loss_tolerance) && loss_tolerance >= 0.0 && loss_tolerance < 1.0,
          "SecantStepOptions::loss_tolerance", loss_tolerance, "must be in [0, 1) (0 = off)");
}

SecantStep::SecantStep(SecantStepOptions options, double lower_bound, double upper_bound)
    : options_(options), lower_(lower_bound), upper_(upper_bound) {
  options_.validate();
  require(std::isfinite(lower_bound) && std::isfinite(upper_bound) && lower_bound < upper_bound,
          "SecantStep bounds", upper_bound - lower_bound, "must be finite with lower < upper");
  state_.radius = options_.initial_radius;
}

void SecantStep::restore(State state) {
  const bool sizes = state.previous_theta.size() == state.previous_gradient.size();
  const bool finite = state.previous_theta.allFinite() && state.previous_gradient.allFinite() &&
                      std::isfinite(state.previous_loss);
  const bool radius =
      std::isfinite(state.radius) && state.radius > 0.0 && state.radius <= options_.max_radius;
  if (!sizes || !finite || !radius) {
    throw std::invalid_argument(
        "SecantStep::restore: inconsistent state (sizes, finiteness or "
        "radius out of (0, max_radius])");
  }
  state_ = std::move(state);
}

bool SecantStep::bounces(const Vector& theta, double f) const {
  if (state_.bounced) return true;
  if (state_.previous_theta.size() != theta.size() || !std::isfinite(f)) return false;
  const Vector clipped = theta.cwiseMax(lower_).cwiseMin(upper_);
  const double moved = rms(clipped - state_.previous_theta);
  return moved > 0.0 && moved < kReliableBaseline * options_.theta_tolerance &&
         f > state_.previous_loss;
}

void SecantStep::require_accuracy() {
  if (state_.bounced) return;
  state_.bounced = true;
  state_.radius = options_.initial_radius;
}

SecantStep::Update SecantStep::update(const Vector& theta, const Vector& p, double f,
                                      AfterBounce after_bounce) {
  if (theta.size() != p.size()) {
    throw std::invalid_argument("SecantStep::update: theta has " + std::to_string(theta.size()) +
                                " entries but the hypergradient has " + std::to_string(p.size()));
  }
  const auto clip = [this](const Vector& v) { return v.cwiseMax(lower_).cwiseMin(upper_).eval(); };
  Update result{clip(theta),   StepOutcome::NonFinite,
                0.0,           state_.radius,
                0.0,           std::numeric_limits<double>::infinity(),
                state_.bounced};
  if (!p.allFinite() || !std::isfinite(f)) {
    state_.radius = std::max(0.5 * state_.radius, options_.theta_tolerance);
    result.radius = state_.radius;
    return result;
  }

  const bool have_previous = state_.previous_theta.size() == theta.size();
  // Both this p and the previous one are accurate (see AfterBounce::Accurate).
  const bool accurate_pair = state_.bounced && after_bounce == AfterBounce::Accurate;
  if (have_previous) {
    const Vector dtheta = theta - state_.previous_theta;
    const double moved = dtheta.squaredNorm();
    if (moved > 0.0) {
      const double estimate = dtheta.dot(p - state_.previous_gradient) / moved;
      // Over a short step the difference of two approximate hypergradients is mostly their
      // error: keep the curvature of a longer step (a chord step) when there is one.
      const bool short_step = rms(dtheta) < kReliableBaseline * options_.theta_tolerance;
      const bool reliable = accurate_pair || !short_step;
      // A slope that is not positive keeps the last positive one: near a minimum it is the
      // hypergradients' error (a capped step there would throw θ a whole radius away), and
      // elsewhere both rules step along −p, this one no further than |p|/c.
      if ((reliable || !(state_.curvature > 0.0)) && std::isfinite(estimate) && estimate > 0.0) {
        state_.curvature = estimate;
      }
      // The last step raised f: the minimum lies behind; never step further than half of it.
      if (f > state_.previous_loss) {
        state_.radius = std::max(0.5 * rms(dtheta), options_.theta_tolerance);
        if (short_step && !state_.bounced) {
          state_.bounced = true;
          if (after_bounce == AfterBounce::Accurate) state_.radius = options_.initial_radius;
        }
      }
    }
  }
  const double curvature = state_.curvature;

  const double p_norm = rms(p);
  Vector step;
  bool capped = false;  // the radius, not the model, set the length
  if (curvature > 0.0) {
    step = -p / curvature;
    const double proposed = rms(step);
    if (proposed > state_.radius) {
      step *= state_.radius / proposed;
      capped = true;
    }
  } else if (p_norm > 0.0) {
    step = -(state_.radius / p_norm) * p;
    capped = true;
  } else {
    step = Vector::Zero(p.size());
  }
  result.theta = clip(theta + step);
  result.step_norm = rms(result.theta - clip(theta));
  const bool blocked = result.step_norm < rms(step) * (1.0 - 1e-12);  // a bound cut the step

  // Converged: the model's own step is small (not one the radius cut short), or a bound blocks
  // the step, or p = 0, or the model predicts that f can hardly fall any more.
  const bool small = result.step_norm <= options_.theta_tolerance;
  const double model_decrease =
      curvature > 0.0 ? 0.5 * p.squaredNorm() / curvature : std::numeric_limits<double>::infinity();
  result.predicted_decrease = model_decrease == 0.0 ? 0.0 : model_decrease / std::abs(f);
  const bool flat =
      options_.loss_tolerance > 0.0 && model_decrease <= options_.loss_tolerance * std::abs(f);
  if (p_norm == 0.0 || flat || (small && ((curvature > 0.0 && !capped) || blocked))) {
    result.outcome = StepOutcome::Converged;
  } else if (capped) {
    result.outcome = StepOutcome::Capped;
    // A capped step that lowered f: the model is trusted further.
    if (!have_previous || f <= state_.previous_loss) {
      state_.radius = std::min(2.0 * state_.radius, options_.max_radius);
    }
  } else {
    result.outcome = StepOutcome::Secant;
  }
  state_.previous_theta = clip(theta);
  state_.previous_gradient = p;
  state_.previous_loss = f;
  result.curvature = curvature;
  result.radius = state_.radius;
  result.bounced = state_.bounced;
  return result;
}

}  // namespace shine::outer
