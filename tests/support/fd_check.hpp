#pragma once
/// @file
/// Central finite differences, the independent reference for every derivative test.

#include <algorithm>
#include <functional>

#include "shine/core/types.hpp"

namespace shine::test {

/// ∇f(w) by central differences, entry j = (f(w + h e_j) − f(w − h e_j)) / 2h. Error O(h²).
inline Vector fd_gradient(const std::function<double(const Vector&)>& f, const Vector& w,
                          double h = 1e-5) {
  Vector g(w.size());
  Vector probe = w;
  for (Index j = 0; j < w.size(); ++j) {
    probe[j] = w[j] + h;
    const double plus = f(probe);
    probe[j] = w[j] - h;
    const double minus = f(probe);
    probe[j] = w[j];
    g[j] = (plus - minus) / (2.0 * h);
  }
  return g;
}

/// Directional derivative of a vector function G along v: (G(w + hv) − G(w − hv)) / 2h. With
/// G = ∇f this is the Hessian-vector product.
inline Vector fd_directional(const std::function<Vector(const Vector&)>& G, const Vector& w,
                             const Vector& v, double h = 1e-5) {
  const Vector plus = G(w + h * v);
  const Vector minus = G(w - h * v);
  return (plus - minus) / (2.0 * h);
}

/// ‖a − b‖ / max(‖a‖, ‖b‖, floor): a relative error that stays meaningful near zero.
inline double relative_error(const Vector& a, const Vector& b, double floor = 1e-12) {
  return (a - b).norm() / std::max({a.norm(), b.norm(), floor});
}

}  // namespace shine::test
