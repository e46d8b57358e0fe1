#include "objective/logistic_kernels.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "shine/objective/logistic_loss.hpp"

namespace shine::objective::kernels {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Restores the default kernels when a test ends.
struct KernelChoice {
  explicit KernelChoice(bool portable) { force_portable(portable); }
  ~KernelChoice() { force_portable(false); }
  KernelChoice(const KernelChoice&) = delete;
  KernelChoice& operator=(const KernelChoice&) = delete;
};

std::uint64_t bits(double x) {
  std::uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}

// Distance between a double and a long double reference in units of the double spacing at the
// reference (2^-1074 for subnormal references).
double ulps(double value, long double reference) {
  const auto magnitude = static_cast<double>(std::fabs(reference));
  const double spacing = magnitude < std::numeric_limits<double>::min()
                             ? 0x1p-1074
                             : std::max(std::ldexp(1.0, std::ilogb(magnitude) - 52), 0x1p-1074);
  return static_cast<double>(std::fabs(static_cast<long double>(value) - reference) / spacing);
}

struct Terms {
  std::vector<double> loss;
  std::vector<double> sigma_neg;
  std::vector<double> curvature;
};

Terms batch(const std::vector<double>& m) {
  Terms t;
  t.loss.assign(m.size(), -1.0);
  t.sigma_neg.assign(m.size(), -1.0);
  t.curvature.assign(m.size(), -1.0);
  logistic_terms(m.data(), static_cast<Index>(m.size()), t.loss.data(), t.sigma_neg.data(),
                 t.curvature.data());
  return t;
}

// Margins over every regime: near zero, the bulk, where exp(−|m|) leaves double's precision
// (|m| ≈ 37), where it turns subnormal (|m| ≈ 708) and underflows (|m| ≈ 745), and beyond.
std::vector<double> margins() {
  std::vector<double> m{0.0,   -0.0,   1e-300, -1e-300, 0x1p-1074, 1.0,    -1.0,   36.7,
                        -36.7, 37.5,   708.3,  -708.3,  708.5,     745.1,  -745.1, 745.2,
                        746.0, -746.0, 800.0,  -800.0,  1e300,     -1e300, 0.5,    0.34657359,
                        1e-17, -1e-17, 2.0,    -2.0,    20.0,      -20.0};
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  std::uniform_real_distribution<double> exponent(-60.0, 10.0);
  for (int i = 0; i < 100000; ++i) {
    switch (i % 4) {
      case 0:
        m.push_back(8.0 * unit(rng));
        break;
      case 1:
        m.push_back(40.0 * unit(rng));
        break;
      case 2:
        m.push_back(760.0 * unit(rng));
        break;
      default:
        m.push_back(unit(rng) * std::exp2(exponent(rng)));
        break;
    }
  }
  return m;
}

TEST(LogisticKernels, AgreeWithALongDoubleReferenceWithinAFewUlp) {
  const std::vector<double> m = margins();
  const Terms t = batch(m);
  double worst_loss = 0.0;
  double worst_sigma = 0.0;
  double worst_curvature = 0.0;
  for (std::size_t i = 0; i < m.size(); ++i) {
    const long double mi = m[i];
    const long double e = std::exp(-std::fabs(mi));
    const long double loss = (mi >= 0 ? 0.0L : -mi) + std::log1p(e);
    const long double sigma_neg = mi >= 0 ? e / (1 + e) : 1 / (1 + e);
    const long double curvature = e / ((1 + e) * (1 + e));
    worst_loss = std::max(worst_loss, ulps(t.loss[i], loss));
    worst_sigma = std::max(worst_sigma, ulps(t.sigma_neg[i], sigma_neg));
    worst_curvature = std::max(worst_curvature, ulps(t.curvature[i], curvature));
  }
  // Measured: 1.8, 2.5 and 4.3 ulp (σ and the curvature are one and two products of the
  // rounded exp(−|m|) and 1/(1 + e)).
  EXPECT_LE(worst_loss, 3.0);
  EXPECT_LE(worst_sigma, 4.0);
  EXPECT_LE(worst_curvature, 6.0);
}

TEST(LogisticKernels, AgreeWithTheScalarFunctions) {
  const std::vector<double> m = margins();
  const Terms t = batch(m);
  for (std::size_t i = 0; i < m.size(); ++i) {
    const LogisticTerms s = objective::logistic_terms(m[i]);
    const double tolerance = 8.0 * std::numeric_limits<double>::epsilon();
    ASSERT_NEAR(t.loss[i], s.loss, tolerance * s.loss + 0x1p-1070) << "m = " << m[i];
    ASSERT_NEAR(t.sigma_neg[i], s.sigma_neg, tolerance * s.sigma_neg + 0x1p-1070) << "m = " << m[i];
    ASSERT_NEAR(t.curvature[i], s.curvature, tolerance * s.curvature + 0x1p-1070) << "m = " << m[i];
    // softplus and sigmoid are the same terms.
    ASSERT_NEAR(t.loss[i], softplus(-m[i]), tolerance * s.loss + 0x1p-1070);
    ASSERT_NEAR(t.sigma_neg[i], sigmoid(-m[i]), tolerance * s.sigma_neg + 0x1p-1070);
  }
}

TEST(LogisticKernels, SpecialValuesGiveTheLimits) {
  const std::vector<double> m{0.0, -0.0, kInf, -kInf, 1e300, -1e300, 746.0, -746.0, kNaN};
  const Terms t = batch(m);
  EXPECT_EQ(t.loss[0], std::log(2.0));
  EXPECT_EQ(t.sigma_neg[0], 0.5);
  EXPECT_EQ(t.curvature[0], 0.25);
  EXPECT_EQ(t.loss[1], std::log(2.0));
  EXPECT_EQ(t.sigma_neg[1], 0.5);
  // +∞: no loss, no error probability, no curvature; −∞: infinite loss, certain error.
  EXPECT_EQ(t.loss[2], 0.0);
  EXPECT_EQ(t.sigma_neg[2], 0.0);
  EXPECT_EQ(t.curvature[2], 0.0);
  EXPECT_EQ(t.loss[3], kInf);
  EXPECT_EQ(t.sigma_neg[3], 1.0);
  EXPECT_EQ(t.curvature[3], 0.0);
  EXPECT_EQ(t.loss[4], 0.0);
  EXPECT_EQ(t.loss[5], 1e300);
  EXPECT_EQ(t.sigma_neg[5], 1.0);
  EXPECT_EQ(t.loss[6], 0.0);  // exp(−746) rounds to zero
  EXPECT_EQ(t.loss[7], 746.0);
  EXPECT_TRUE(std::isnan(t.loss[8]));
  EXPECT_TRUE(std::isnan(t.sigma_neg[8]));
  EXPECT_TRUE(std::isnan(t.curvature[8]));
  // Subnormal exp(−|m|): the loss is e itself, positive and below the smallest normal.
  const Terms deep = batch({740.0});
  EXPECT_GT(deep.loss[0], 0.0);
  EXPECT_LT(deep.loss[0], std::numeric_limits<double>::min());
  EXPECT_NEAR(deep.loss[0], std::exp(-740.0), 0x1p-1073);
}

TEST(LogisticKernels, ResultsDoNotDependOnTheMarginsPosition) {
  // Every length from 1 to 13 (tails of every size) and every offset: the same bits as the
  // margin computed alone.
  const std::vector<double> m = {0.3,   -2.5, 40.0, -0.001, 7.25,  -710.0, 1e-9,
                                 -13.0, 2.0,  0.0,  -1.5,   600.0, -33.3};
  std::vector<std::uint64_t> alone;
  for (const double x : m) {
    const Terms t = batch({x});
    alone.push_back(bits(t.loss[0]) ^ (bits(t.sigma_neg[0]) << 1) ^ (bits(t.curvature[0]) << 2));
  }
  for (std::size_t begin = 0; begin < m.size(); ++begin) {
    for (std::size_t end = begin + 1; end <= m.size(); ++end) {
      const std::vector<double> part(m.begin() + static_cast<std::ptrdiff_t>(begin),
                                     m.begin() + static_cast<std::ptrdiff_t>(end));
      const Terms t = batch(part);
      for (std::size_t k = 0; k < part.size(); ++k) {
        const std::uint64_t h =
            bits(t.loss[k]) ^ (bits(t.sigma_neg[k]) << 1) ^ (bits(t.curvature[k]) << 2);
        ASSERT_EQ(h, alone[begin + k])
            << "margin " << part[k] << " at " << k << " of " << part.size();
      }
    }
  }
}

TEST(LogisticKernels, PortableAndAvx2BuildsGiveTheSameBits) {
  if (!avx2_available()) GTEST_SKIP() << "no AVX2 on this processor";
  const std::vector<double> m = margins();
  Terms fast;
  Terms portable;
  {
    const KernelChoice choice(false);
    EXPECT_STREQ(isa(), "avx2");
    fast = batch(m);
  }
  {
    const KernelChoice choice(true);
    EXPECT_STREQ(isa(), "portable");
    portable = batch(m);
  }
  for (std::size_t i = 0; i < m.size(); ++i) {
    ASSERT_EQ(bits(fast.loss[i]), bits(portable.loss[i])) << "m = " << m[i];
    ASSERT_EQ(bits(fast.sigma_neg[i]), bits(portable.sigma_neg[i])) << "m = " << m[i];
    ASSERT_EQ(bits(fast.curvature[i]), bits(portable.curvature[i])) << "m = " << m[i];
  }
}

TEST(LogisticKernels, ForEachVisitsEveryRowInOrderAcrossBlocks) {
  // 2.5 blocks, starting at an offset: each row visited once, in order, with its own terms.
  const Index begin = 3;
  const Index end = begin + 2 * kTermsBlock + kTermsBlock / 2;
  std::vector<double> m(static_cast<std::size_t>(end));
  for (Index i = 0; i < end; ++i)
    m[static_cast<std::size_t>(i)] = 0.01 * static_cast<double>(i) - 3.0;
  const Terms expected = batch(m);
  std::vector<double> stored(m.size(), 0.0);
  Index next = begin;
  for_each_logistic_terms(
      begin, end,
      [&](Index i) {
        stored[static_cast<std::size_t>(i)] = m[static_cast<std::size_t>(i)];
        return m[static_cast<std::size_t>(i)];
      },
      [&](Index i, const LogisticTerms& t) {
        ASSERT_EQ(i, next);
        ASSERT_EQ(stored[static_cast<std::size_t>(i)], m[static_cast<std::size_t>(i)]);
        const auto k = static_cast<std::size_t>(i);
        ASSERT_EQ(bits(t.loss), bits(expected.loss[k]));
        ASSERT_EQ(bits(t.sigma_neg), bits(expected.sigma_neg[k]));
        ASSERT_EQ(bits(t.curvature), bits(expected.curvature[k]));
        ++next;
      });
  EXPECT_EQ(next, end);
}

}  // namespace
}  // namespace shine::objective::kernels
