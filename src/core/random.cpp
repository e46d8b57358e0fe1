#include "core/random.hpp"

#include <cmath>
#include <numbers>

namespace shine {

double Random::normal() {
  // Box–Muller on (0, 1]: 1 − uniform() is never 0, so the logarithm is finite.
  const double u1 = 1.0 - uniform();
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

}  // namespace shine
