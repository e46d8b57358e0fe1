#include "shine/inner/line_search.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>
#include <vector>

namespace shine::inner {
namespace {

using Phi = std::function<LinePoint(double)>;

struct TestFunction {
  std::string name;
  Phi phi;
};

// The six test functions of Moré & Thuente (1994), "Line search algorithms with guaranteed
// sufficient decrease", Table 1–6, written from their formulas.
std::vector<TestFunction> more_thuente_functions() {
  std::vector<TestFunction> f;
  f.push_back({"mt1", [](double a) {
                 const double b = 2.0;
                 return LinePoint{a, -a / (a * a + b), (a * a - b) / ((a * a + b) * (a * a + b))};
               }});
  f.push_back({"mt2", [](double a) {
                 const double b = 0.004;
                 const double t = a + b;
                 return LinePoint{a, std::pow(t, 5) - 2 * std::pow(t, 4),
                                  5 * std::pow(t, 4) - 8 * std::pow(t, 3)};
               }});
  f.push_back({"mt3", [](double a) {
                 const double b = 0.01;
                 const double l = 39.0;
                 const double pi = std::numbers::pi;
                 double phi0 = 0.0;
                 double dphi0 = 0.0;
                 if (a <= 1.0 - b) {
                   phi0 = 1.0 - a;
                   dphi0 = -1.0;
                 } else if (a >= 1.0 + b) {
                   phi0 = a - 1.0;
                   dphi0 = 1.0;
                 } else {
                   phi0 = (a - 1.0) * (a - 1.0) / (2.0 * b) + b / 2.0;
                   dphi0 = (a - 1.0) / b;
                 }
                 const double c = 2.0 * (1.0 - b) / (l * pi);
                 return LinePoint{a, phi0 + c * std::sin(l * pi * a / 2.0),
                                  dphi0 + c * (l * pi / 2.0) * std::cos(l * pi * a / 2.0)};
               }});
  const auto yanai = [](double b1, double b2) {
    return [b1, b2](double a) {
      const double g1 = std::sqrt(1.0 + b1 * b1) - b1;
      const double g2 = std::sqrt(1.0 + b2 * b2) - b2;
      const double u = std::sqrt((1.0 - a) * (1.0 - a) + b2 * b2);
      const double v = std::sqrt(a * a + b1 * b1);
      return LinePoint{a, g1 * u + g2 * v, g1 * (a - 1.0) / u + g2 * a / v};
    };
  };
  f.push_back({"mt4", yanai(0.001, 0.001)});
  f.push_back({"mt5", yanai(0.01, 0.001)});
  f.push_back({"mt6", yanai(0.001, 0.01)});
  return f;
}

void expect_strong_wolfe(const LineSearchResult& r, const LinePoint& origin,
                         const LineSearchOptions& o, const std::string& what) {
  ASSERT_EQ(r.outcome, LineSearchOutcome::StrongWolfe) << what << " ended " << to_string(r.outcome);
  EXPECT_GT(r.point.step, 0.0) << what;
  EXPECT_LE(r.point.value, origin.value + o.c1 * r.point.step * origin.slope) << what;
  EXPECT_LE(std::abs(r.point.slope), o.c2 * std::abs(origin.slope)) << what;
  EXPECT_LE(r.evaluations, o.max_evaluations) << what;
}

TEST(StrongWolfe, MoreThuenteFunctionsFromManyInitialSteps) {
  for (const auto& f : more_thuente_functions()) {
    for (const double c2 : {0.9, 0.1}) {
      for (const double initial : {1e-3, 1e-1, 1e1, 1e3}) {
        LineSearchOptions o;
        o.c1 = 1e-3;
        o.c2 = c2;
        o.max_evaluations = 40;
        o.value_noise = 0.0;
        LinePoint origin = f.phi(0.0);
        origin.step = 0.0;
        const auto r = strong_wolfe_search(f.phi, origin, initial, o);
        expect_strong_wolfe(
            r, origin, o, f.name + " c2=" + std::to_string(c2) + " a0=" + std::to_string(initial));
      }
    }
  }
}

TEST(StrongWolfe, QuadraticWithTheExactStepAcceptsItAtOnce) {
  // φ(α) = (α − 2)²: the step 2 is exact; from α0 = 2 one evaluation suffices.
  const Phi phi = [](double a) { return LinePoint{a, (a - 2) * (a - 2), 2 * (a - 2)}; };
  const LineSearchOptions o;
  const auto r = strong_wolfe_search(phi, phi(0.0), 2.0, o);
  expect_strong_wolfe(r, phi(0.0), o, "quadratic");
  EXPECT_EQ(r.evaluations, 1);
  EXPECT_DOUBLE_EQ(r.point.step, 2.0);
}

TEST(StrongWolfe, NonFiniteValuesShrinkTheStep) {
  // Finite only for α < 1, minimum at 0.5.
  const Phi phi = [](double a) {
    if (a >= 1.0) return LinePoint{a, std::numeric_limits<double>::infinity(), 0.0};
    return LinePoint{a, (a - 0.5) * (a - 0.5) - 0.25, 2 * (a - 0.5)};
  };
  const LineSearchOptions o;
  const auto r = strong_wolfe_search(phi, phi(0.0), 100.0, o);
  expect_strong_wolfe(r, phi(0.0), o, "barrier");
  const Phi nan_phi = [](double a) {
    if (a >= 1.0) return LinePoint{a, std::nan(""), std::nan("")};
    return LinePoint{a, -a, -1.0 + a};
  };
  const auto r2 = strong_wolfe_search(nan_phi, nan_phi(0.0), 10.0, o);
  EXPECT_TRUE(r2.usable());
  EXPECT_TRUE(std::isfinite(r2.point.value));
}

TEST(StrongWolfe, AscentDirectionFailsWithoutEvaluations) {
  const Phi phi = [](double a) { return LinePoint{a, a, 1.0}; };
  const auto r = strong_wolfe_search(phi, phi(0.0), 1.0, LineSearchOptions{});
  EXPECT_EQ(r.outcome, LineSearchOutcome::Failed);
  EXPECT_EQ(r.evaluations, 0);
  EXPECT_EQ(r.point.step, 0.0);
  EXPECT_FALSE(r.usable());
}

TEST(StrongWolfe, BudgetIsRespectedAndTheBestDecreaseReturned) {
  // A slope that never flattens: the budget runs out during extrapolation.
  const Phi phi = [](double a) { return LinePoint{a, -a, -1.0}; };
  LineSearchOptions o;
  o.max_evaluations = 5;
  const auto r = strong_wolfe_search(phi, phi(0.0), 1.0, o);
  EXPECT_EQ(r.outcome, LineSearchOutcome::SufficientDecrease);
  EXPECT_EQ(r.evaluations, 5);
  EXPECT_DOUBLE_EQ(r.point.step, 256.0);
}

TEST(StrongWolfe, NoiseLevelDecreaseIsAcceptedAsApproximateWolfe) {
  // φ is flat to rounding (a decrease of 1e-20 on a value of 1) and φ' tiny: exact Armijo fails
  // at every step, but the curvature condition holds.
  const Phi phi = [](double a) { return LinePoint{a, 1.0 + 1e-17 * a, -1e-12 * (1.0 - a)}; };
  LinePoint origin = phi(0.0);
  LineSearchOptions o;
  const auto r = strong_wolfe_search(phi, origin, 1.0, o);
  EXPECT_EQ(r.outcome, LineSearchOutcome::ApproximateWolfe);
  o.value_noise = 0.0;
  EXPECT_FALSE(strong_wolfe_search(phi, origin, 1.0, o).outcome ==
               LineSearchOutcome::ApproximateWolfe);
}

TEST(StrongWolfe, RejectsInvalidOptions) {
  const Phi phi = [](double a) { return LinePoint{a, a * a - a, 2 * a - 1}; };
  LineSearchOptions o;
  o.c1 = 0.95;
  EXPECT_THROW((void)strong_wolfe_search(phi, phi(0.0), 1.0, o), std::invalid_argument);
  o = LineSearchOptions{};
  o.max_evaluations = 0;
  EXPECT_THROW((void)strong_wolfe_search(phi, phi(0.0), 1.0, o), std::invalid_argument);
  EXPECT_EQ(to_string(LineSearchOutcome::StrongWolfe), "strong_wolfe");
}

}  // namespace
}  // namespace shine::inner
