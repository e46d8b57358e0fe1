#include "shine/objective/logistic_loss.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

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

}  // namespace
}  // namespace shine::objective
