#pragma once
/// @file
/// Overflow-safe scalar functions of the logistic loss.
///
/// With the margin m = y·xᵀw of a sample, the loss is log(1 + exp(−m)) = softplus(−m). The naive
/// formulas overflow (exp(800) = inf) or cancel (1 − σ(40) = 0). Every function here is written
/// around e = exp(−|t|) ∈ (0, 1], which never overflows, so that:
///
/// - finite input of any size (|t| up to 1e300 and beyond) gives a finite, correctly rounded
///   (to a few ulp) result, never NaN;
/// - ±infinity gives the limit (softplus(+inf) = +inf, softplus(−inf) = 0, σ(±inf) = 1 or 0);
/// - NaN propagates.
///
/// All functions are pure, `noexcept` and thread-safe.

#include <cmath>

namespace shine::objective {

/// softplus(t) = log(1 + exp(t)), computed as max(t, 0) + log1p(exp(−|t|)).
/// Range [0, +inf]; softplus(t) ≈ t for t ≫ 1 and ≈ exp(t) for t ≪ −1.
inline double softplus(double t) noexcept {
  const double tail = std::log1p(std::exp(-std::abs(t)));
  return t > 0.0 ? t + tail : tail;
}

/// The logistic function σ(t) = 1 / (1 + exp(−t)), in [0, 1]. For t < 0 it is evaluated as
/// exp(t) / (1 + exp(t)), so that σ(−t) = 1 − σ(t) holds without cancellation: use σ(−t), never
/// 1 − σ(t).
inline double sigmoid(double t) noexcept {
  const double e = std::exp(-std::abs(t));
  return t >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
}

/// log σ(t) = −softplus(−t), in [−inf, 0].
inline double log_sigmoid(double t) noexcept {
  return -softplus(-t);
}

/// The predicted label (±1) of a decision value t = xᵀw (+ b): +1 when t > 0, else −1 (a zero
/// score predicts the negative class). The one rule behind every prediction and every held-out
/// accuracy, in the tuner and in the model, so that `tune` and `predict` agree.
inline double predicted_sign(double t) noexcept {
  return t > 0.0 ? 1.0 : -1.0;
}

/// Everything the logistic objective needs about one sample with margin m = y·xᵀw, from one
/// exponential and one logarithm.
struct LogisticTerms {
  double loss;       ///< softplus(−m) = log(1 + exp(−m)) ≥ 0.
  double sigma_neg;  ///< σ(−m) = 1 − σ(m), the probability given to the wrong label; d loss/dm =
                     ///< −σ(−m).
  double curvature;  ///< σ(m)·σ(−m) ∈ [0, 1/4], the second derivative d² loss/dm².
};

/// Loss, first and second derivative factors of the logistic loss at margin `m`, overflow-safe as
/// described above (for m = ±inf: loss 0 / +inf, sigma_neg 0 / 1, curvature 0).
inline LogisticTerms logistic_terms(double m) noexcept {
  const double e = std::exp(-std::abs(m));  // in (0, 1], or 0 for |m| = inf
  const double tail = std::log1p(e);
  const double inv = 1.0 / (1.0 + e);
  // σ(m)σ(−m) = e / (1 + e)² for either sign of m.
  const double curvature = e * inv * inv;
  if (m >= 0.0) return {tail, e * inv, curvature};
  return {tail - m, inv, curvature};
}

}  // namespace shine::objective
