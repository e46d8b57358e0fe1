#include "shine/objective/logistic_loss.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "objective/logistic_dispatch.hpp"

namespace shine::objective {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<double> extreme_inputs() {
  std::vector<double> values{0.0,
                             -0.0,
                             1e-300,
                             -1e-300,
                             4.9e-324,
                             -4.9e-324,
                             1.0,
                             -1.0,
                             36.0,
                             -36.0,
                             40.0,
                             -40.0,
                             710.0,
                             -710.0,
                             746.0,
                             -746.0,
                             1e10,
                             -1e10,
                             1e300,
                             -1e300,
                             std::numeric_limits<double>::max(),
                             -std::numeric_limits<double>::max()};
  for (double t = -800.0; t <= 800.0; t += 3.7)
    values.push_back(t);
  return values;
}

TEST(LogisticLoss, SoftplusMatchesTheNaiveFormulaWhereThatIsSafe) {
  for (double t = -30.0; t <= 30.0; t += 0.37) {
    const double naive = std::log(1.0 + std::exp(t));
    EXPECT_NEAR(softplus(t), naive, 1e-15 * std::max(1.0, naive)) << t;
  }
  EXPECT_DOUBLE_EQ(softplus(0.0), std::log(2.0));
}

TEST(LogisticLoss, SoftplusAtHugeAndInfiniteArguments) {
  EXPECT_EQ(softplus(1e300), 1e300);
  EXPECT_EQ(softplus(-1e300), 0.0);
  EXPECT_EQ(softplus(kInf), kInf);
  EXPECT_EQ(softplus(-kInf), 0.0);
  EXPECT_DOUBLE_EQ(softplus(800.0), 800.0);
  // softplus(t) ≈ exp(t) for very negative t: relative accuracy kept, not flushed to 0 early.
  EXPECT_NEAR(softplus(-700.0) / std::exp(-700.0), 1.0, 1e-14);
  EXPECT_TRUE(std::isnan(softplus(std::numeric_limits<double>::quiet_NaN())));
}

TEST(LogisticLoss, SigmoidIsBoundedSymmetricAndExactAtTheExtremes) {
  EXPECT_EQ(sigmoid(0.0), 0.5);
  EXPECT_EQ(sigmoid(1e300), 1.0);
  EXPECT_EQ(sigmoid(-1e300), 0.0);
  EXPECT_EQ(sigmoid(kInf), 1.0);
  EXPECT_EQ(sigmoid(-kInf), 0.0);
  for (double t = -50.0; t <= 50.0; t += 0.77) {
    EXPECT_NEAR(sigmoid(t) + sigmoid(-t), 1.0, 4.5e-16) << t;
    EXPECT_NEAR(sigmoid(t), 1.0 / (1.0 + std::exp(-t)), 1e-16) << t;
  }
  // No cancellation: σ(−40) keeps its relative accuracy (1 − σ(40) would be 0).
  EXPECT_NEAR(sigmoid(-40.0) / std::exp(-40.0), 1.0, 1e-15);
}

TEST(LogisticLoss, LogSigmoid) {
  EXPECT_DOUBLE_EQ(log_sigmoid(0.0), -std::log(2.0));
  EXPECT_EQ(log_sigmoid(1e300), -0.0);
  EXPECT_EQ(log_sigmoid(-1e300), -1e300);
  EXPECT_EQ(log_sigmoid(-kInf), -kInf);
}

TEST(LogisticLoss, NoNaNForAnyFiniteOrInfiniteInput) {
  for (const double t : extreme_inputs()) {
    for (const double s : {t, -t}) {
      ASSERT_FALSE(std::isnan(softplus(s))) << s;
      ASSERT_FALSE(std::isnan(sigmoid(s))) << s;
      ASSERT_FALSE(std::isnan(log_sigmoid(s))) << s;
      const LogisticTerms terms = logistic_terms(s);
      ASSERT_TRUE(std::isfinite(terms.loss)) << s;
      ASSERT_TRUE(std::isfinite(softplus(s))) << s;
      ASSERT_GE(terms.sigma_neg, 0.0);
      ASSERT_LE(terms.sigma_neg, 1.0);
      ASSERT_GE(terms.curvature, 0.0);
      ASSERT_LE(terms.curvature, 0.25);
    }
  }
  for (const double s : {kInf, -kInf}) {
    const LogisticTerms terms = logistic_terms(s);
    EXPECT_FALSE(std::isnan(terms.loss));
    EXPECT_EQ(terms.curvature, 0.0);
  }
  EXPECT_EQ(logistic_terms(kInf).loss, 0.0);
  EXPECT_EQ(logistic_terms(-kInf).loss, kInf);
  EXPECT_EQ(logistic_terms(-kInf).sigma_neg, 1.0);
}

TEST(LogisticLoss, TermsAreTheLossAndItsDerivatives) {
  for (double m = -20.0; m <= 20.0; m += 0.53) {
    const LogisticTerms t = logistic_terms(m);
    EXPECT_NEAR(t.loss, softplus(-m), 1e-15 * std::max(1.0, t.loss)) << m;
    EXPECT_NEAR(t.sigma_neg, sigmoid(-m), 1e-16) << m;
    EXPECT_NEAR(t.curvature, sigmoid(m) * sigmoid(-m), 1e-16) << m;
    // d loss/dm = −σ(−m) and d²loss/dm² = σ(m)σ(−m), by central differences.
    const double h = 1e-5;
    const double d1 = (softplus(-(m + h)) - softplus(-(m - h))) / (2 * h);
    EXPECT_NEAR(d1, -t.sigma_neg, 1e-9) << m;
    const double d2 = (sigmoid(-(m - h)) - sigmoid(-(m + h))) / (2 * h);
    EXPECT_NEAR(d2, t.curvature, 1e-9) << m;
  }
}

// Distance from `got` to the exact value `exact`, in units of the last place of the double
// nearest to `exact`.
double ulps(double got, long double exact) {
  if (exact == 0.0L) return got == 0.0 ? 0.0 : std::numeric_limits<double>::infinity();
  const double nearest = static_cast<double>(exact);
  const double magnitude = std::abs(nearest);
  const double ulp = std::nextafter(magnitude, std::numeric_limits<double>::infinity()) - magnitude;
  return static_cast<double>(std::abs(static_cast<long double>(got) - exact) /
                             static_cast<long double>(ulp));
}

// Margins over the whole range: a fine grid over [−800, 800] and random magnitudes from 2⁻⁶⁰ to
// 2¹⁰ of both signs (fixed seed).
std::vector<double> accuracy_margins() {
  std::vector<double> m;
  for (double t = -800.0; t <= 800.0; t += 0.0123)
    m.push_back(t);
  std::mt19937_64 generator(7);
  std::uniform_real_distribution<double> mantissa(0.5, 1.0);
  std::uniform_int_distribution<int> exponent(-60, 10);
  for (int i = 0; i < 200000; ++i) {
    const double magnitude = std::ldexp(mantissa(generator), exponent(generator));
    m.push_back((i % 2 == 0) ? magnitude : -magnitude);
  }
  return m;
}

bool same_bits(double a, double b) {
  std::uint64_t x = 0;
  std::uint64_t y = 0;
  std::memcpy(&x, &a, sizeof x);
  std::memcpy(&y, &b, sizeof y);
  return x == y;
}

// The library's exp and log1p (not the C library's) against the same formulas in extended
// precision (exp and log1p of long double: 64-bit significands on x86-64, 113 on AArch64). The
// bounds are the measured worst cases rounded up; the C library's own exp and log1p give 1.44,
// 2.64 and 4.39 ulp on the same margins (the quotients and products of the formulas round too).
TEST(LogisticLoss, TermsAreWithinAFewUlpOfAnExtendedPrecisionComputation) {
  if (std::numeric_limits<long double>::digits <= std::numeric_limits<double>::digits) {
    GTEST_SKIP() << "long double is no wider than double here";
  }
  double worst_loss = 0.0;
  double worst_sigma = 0.0;
  double worst_curvature = 0.0;
  for (const double m : accuracy_margins()) {
    const long double e = std::exp(-std::abs(static_cast<long double>(m)));
    const long double tail = std::log1p(e);
    const long double inv = 1.0L / (1.0L + e);
    const long double loss = m >= 0.0 ? tail : tail - static_cast<long double>(m);
    const long double sigma_neg = m >= 0.0 ? e * inv : inv;
    const long double curvature = e * inv * inv;
    const LogisticTerms t = logistic_terms(m);
    worst_loss = std::max(worst_loss, ulps(t.loss, loss));
    worst_sigma = std::max(worst_sigma, ulps(t.sigma_neg, sigma_neg));
    worst_curvature = std::max(worst_curvature, ulps(t.curvature, curvature));
  }
  EXPECT_LE(worst_loss, 2.0);
  EXPECT_LE(worst_sigma, 3.0);
  EXPECT_LE(worst_curvature, 5.0);
}

// exp(−|m|) underflows where the exact value does: 745 gives the smallest subnormal, 745.2 and
// beyond give 0, with the loss of a negative margin exactly −m there.
TEST(LogisticLoss, TermsUnderflowWhereTheExactValuesDo) {
  EXPECT_EQ(logistic_terms(745.0).sigma_neg, std::numeric_limits<double>::denorm_min());
  EXPECT_EQ(logistic_terms(745.2).sigma_neg, 0.0);
  EXPECT_EQ(logistic_terms(746.0).loss, 0.0);
  EXPECT_EQ(logistic_terms(-746.0).loss, 746.0);
  EXPECT_EQ(logistic_terms(-746.0).sigma_neg, 1.0);
  // A subnormal result rounded once: exp(−720) = 2.0322308024242931528…e-313, whose spacing there
  // (2^-1074 = 4.9e-324) is 2.4e-11 of it.
  EXPECT_NEAR(logistic_terms(720.0).sigma_neg / 2.0322308024242931e-313, 1.0, 5e-11);
  EXPECT_TRUE(std::isnan(logistic_terms(std::numeric_limits<double>::quiet_NaN()).loss));
  EXPECT_TRUE(std::isnan(logistic_terms(std::numeric_limits<double>::quiet_NaN()).sigma_neg));
  EXPECT_TRUE(std::isnan(logistic_terms(std::numeric_limits<double>::quiet_NaN()).curvature));
}

// A batch gives the bits of the scalar function, for every length (the last partial group of
// four included), in the best build for this processor and in the portable one.
TEST(LogisticLoss, ABatchGivesTheScalarFunctionsBitsInEveryBuild) {
  std::vector<double> m = extreme_inputs();
  for (const double t : std::vector<double>(m))
    m.push_back(-t);
  m.push_back(kInf);
  m.push_back(-kInf);
  m.push_back(std::numeric_limits<double>::quiet_NaN());
  for (const double t : accuracy_margins()) {
    if (m.size() >= 50000) break;
    m.push_back(t);
  }
  for (const bool portable : {false, true}) {
    if (!portable && !detail::logistic_avx2_available()) continue;
    detail::force_portable_logistic(portable);
    for (std::size_t n = 0; n <= 9; ++n) {
      std::vector<double> loss(n), sigma(n), curvature(n);
      logistic_terms(m.data() + 3, static_cast<Index>(n), loss.data(), sigma.data(),
                     curvature.data());
      for (std::size_t i = 0; i < n; ++i) {
        const LogisticTerms t = logistic_terms(m[3 + i]);
        ASSERT_TRUE(same_bits(loss[i], t.loss)) << n << " " << i;
        ASSERT_TRUE(same_bits(sigma[i], t.sigma_neg)) << n << " " << i;
        ASSERT_TRUE(same_bits(curvature[i], t.curvature)) << n << " " << i;
      }
    }
    std::vector<double> loss(m.size()), sigma(m.size()), curvature(m.size());
    logistic_terms(m.data(), static_cast<Index>(m.size()), loss.data(), sigma.data(),
                   curvature.data());
    for (std::size_t i = 0; i < m.size(); ++i) {
      const LogisticTerms t = logistic_terms(m[i]);
      ASSERT_TRUE(same_bits(loss[i], t.loss)) << m[i] << (portable ? " portable" : " best");
      ASSERT_TRUE(same_bits(sigma[i], t.sigma_neg)) << m[i];
      ASSERT_TRUE(same_bits(curvature[i], t.curvature)) << m[i];
      ASSERT_TRUE(same_bits(softplus(-m[i]), t.loss)) << m[i];
      ASSERT_TRUE(same_bits(sigmoid(-m[i]), t.sigma_neg)) << m[i];
    }
  }
  detail::force_portable_logistic(false);
}

}  // namespace
}  // namespace shine::objective
