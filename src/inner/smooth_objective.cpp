#include "shine/inner/smooth_objective.hpp"

#include <cmath>
#include <string>
#include <utility>

#include "core/check.hpp"

namespace shine::inner {
namespace {

// ‖g‖₂, rescaled when Σ g_j² would underflow (entries below ~1e-154) or overflow (above ~1e154)
// although g is finite.
double safe_norm(const Vector& g) {
  const double norm2 = g.squaredNorm();
  return (norm2 > 1e-200 && norm2 < 1e200) ? std::sqrt(norm2) : g.stableNorm();
}

}  // namespace

bool SmoothObjective::hessian_vector(const Vector& /*v*/, Vector& /*out*/) {
  return false;
}

bool SmoothObjective::gradient_change(const Vector& /*e*/, Vector& /*out*/) {
  return false;
}

bool SmoothObjective::diagonal_scaling(Vector& /*delta*/) {
  return false;
}

// ---------------------------------------------------------------------------------------------
// LogisticObjective

LogisticObjective::LogisticObjective(const objective::InnerObjective& objective)
    : objective_(&objective) {}

void LogisticObjective::set_point(const Vector& w) {
  objective_->evaluate(w, state_);
  direction_ = nullptr;
  moves_since_resync_ = 0;
  counts_.function_evaluations += 1;
  counts_.gradient_evaluations += 1;
  counts_.data_passes += 2;
}

LinePoint LogisticObjective::set_direction(const Vector& direction) {
  objective_->prepare_line(state_, direction, probe_);
  direction_ = &direction;
  counts_.data_passes += 1;
  return {0.0, probe_.value0, probe_.slope0};
}

LinePoint LogisticObjective::line_value(double alpha) {
  require(direction_ != nullptr, "LogisticObjective::line_value direction", "unset",
          "set_direction must be called first");
  const objective::LineValue v = objective_->line_value(state_, probe_, alpha);
  counts_.function_evaluations += 1;
  return {alpha, v.value, v.slope};
}

void LogisticObjective::move(double alpha, Vector* step, Vector* gradient_change) {
  require(direction_ != nullptr, "LogisticObjective::move direction", "unset",
          "set_direction must be called first");
  if (++moves_since_resync_ >= kResyncInterval) {
    // Recompute the margins from w instead of updating them, bounding their rounding drift.
    const Vector old_gradient = state_.gradient;
    const Vector w = state_.w + alpha * (*direction_);
    objective_->evaluate(w, state_);
    if (step != nullptr) *step = alpha * (*direction_);
    if (gradient_change != nullptr) *gradient_change = state_.gradient - old_gradient;
    moves_since_resync_ = 0;
    counts_.data_passes += 2;
  } else {
    objective_->move(state_, *direction_, probe_, alpha, step, gradient_change);
    counts_.data_passes += 1;
  }
  direction_ = nullptr;
  counts_.gradient_evaluations += 1;
}

double LogisticObjective::evaluate_at(const Vector& w, Vector* gradient) {
  counts_.function_evaluations += 1;
  if (gradient == nullptr) {
    counts_.data_passes += 1;
    return objective_->value(w);
  }
  // A state of its own, released on return: the cursor keeps no second point between calls.
  objective::LogisticState side;
  objective_->evaluate(w, side);
  counts_.gradient_evaluations += 1;
  counts_.data_passes += 2;
  *gradient = std::move(side.gradient);
  return side.value;
}

bool LogisticObjective::hessian_vector(const Vector& v, Vector& out) {
  objective_->hessian_vector(state_, v, out, &hessian_work_);
  counts_.hessian_products += 1;
  counts_.data_passes += 2;
  return true;
}

bool LogisticObjective::gradient_change(const Vector& e, Vector& out) {
  objective_->gradient_change(state_, e, out, &hessian_work_);
  counts_.gradient_evaluations += 1;
  counts_.data_passes += 2;
  return true;
}

bool LogisticObjective::diagonal_scaling(Vector& delta) {
  const Vector bound = objective_->hessian_diagonal_bound();
  // A column whose squared norm overflows (values near 1e155 and beyond) would give Δ_j = 0:
  // no scaling is offered then, and H₀ stays γI.
  if (!bound.allFinite()) return false;
  delta = bound.array().rsqrt().matrix();
  return delta.allFinite() && (delta.array() > 0.0).all();
}

// ---------------------------------------------------------------------------------------------
// CallableObjective

CallableObjective::CallableObjective(Index dim, ValueAndGradient function,
                                     HessianVector hessian_vector)
    : dim_(dim), function_(std::move(function)), hessian_vector_(std::move(hessian_vector)) {
  require(dim >= 1, "CallableObjective dim", dim, "must be >= 1");
  require(static_cast<bool>(function_), "CallableObjective function", "empty",
          "must be a callable");
}

void CallableObjective::set_point(const Vector& w) {
  require(w.size() == dim_, "CallableObjective: size of w", w.size(),
          "must equal dim = " + std::to_string(dim_));
  w_ = w;
  gradient_.resize(dim_);
  value_ = function_(w_, gradient_);
  gradient_norm_ = safe_norm(gradient_);
  direction_ = nullptr;
  probe_valid_ = false;
  counts_.function_evaluations += 1;
  counts_.gradient_evaluations += 1;
}

LinePoint CallableObjective::set_direction(const Vector& direction) {
  require(direction.size() == dim_, "CallableObjective: size of direction", direction.size(),
          "must equal dim = " + std::to_string(dim_));
  direction_ = &direction;
  probe_valid_ = false;
  return {0.0, value_, gradient_.dot(direction)};
}

LinePoint CallableObjective::line_value(double alpha) {
  require(direction_ != nullptr, "CallableObjective::line_value direction", "unset",
          "set_direction must be called first");
  probe_w_ = w_ + alpha * (*direction_);
  probe_gradient_.resize(dim_);
  probe_value_ = function_(probe_w_, probe_gradient_);
  probe_alpha_ = alpha;
  probe_valid_ = true;
  counts_.function_evaluations += 1;
  counts_.gradient_evaluations += 1;
  return {alpha, probe_value_, probe_gradient_.dot(*direction_)};
}

void CallableObjective::move(double alpha, Vector* step, Vector* gradient_change) {
  require(direction_ != nullptr, "CallableObjective::move direction", "unset",
          "set_direction must be called first");
  if (gradient_change != nullptr) *gradient_change = gradient_;
  if (probe_valid_ && probe_alpha_ == alpha) {
    std::swap(w_, probe_w_);
    std::swap(gradient_, probe_gradient_);
    value_ = probe_value_;
  } else {
    w_ += alpha * (*direction_);
    value_ = function_(w_, gradient_);
    counts_.function_evaluations += 1;
    counts_.gradient_evaluations += 1;
  }
  if (step != nullptr) *step = alpha * (*direction_);
  if (gradient_change != nullptr) *gradient_change = gradient_ - *gradient_change;
  gradient_norm_ = safe_norm(gradient_);
  direction_ = nullptr;
  probe_valid_ = false;
}

double CallableObjective::evaluate_at(const Vector& w, Vector* gradient) {
  Vector local;
  Vector& g = (gradient != nullptr) ? *gradient : local;
  g.resize(dim_);
  counts_.function_evaluations += 1;
  counts_.gradient_evaluations += 1;
  return function_(w, g);
}

bool CallableObjective::hessian_vector(const Vector& v, Vector& out) {
  if (!hessian_vector_) return false;
  out.resize(dim_);
  hessian_vector_(w_, v, out);
  counts_.hessian_products += 1;
  return true;
}

}  // namespace shine::inner
