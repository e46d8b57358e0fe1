#include "inner/lbfgs_kernels.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "support/binary16_reference.hpp"

namespace shine::inner::kernels {
namespace {

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

using test::reference_half;
using test::reference_value;

// Values over the whole binary16 range and beyond: normal, subnormal, ties, zeros, signs.
std::vector<double> awkward_values() {
  std::vector<double> v{0.0,     -0.0,    1.0,           -1.0,          65504.0,   65519.0,
                        32768.0, 0x1p-14, 0x1p-24,       0x1p-25,       0x1.8p-25, 0x1p-26,
                        0x1p-15, 0.1,     1.0 + 0x1p-11, 1.0 + 0x3p-11, 2049.0,    2051.0,
                        3e-8,    -6.1e-5, 1e-300,        5.9604645e-08};
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> exponent(-30.0, 16.0);
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  for (int i = 0; i < 20000; ++i)
    v.push_back(unit(rng) * std::exp2(exponent(rng)));
  return v;
}

TEST(LbfgsKernels, HalfConversionsMatchTheCompilersRounding) {
  const std::vector<double> x = awkward_values();
  for (const bool portable : {true, false}) {
    const KernelChoice choice(portable);
    std::vector<Half> h(x.size());
    encode_half(x.data(), static_cast<Index>(x.size()), 1.0, h.data());
    for (std::size_t j = 0; j < x.size(); ++j) {
      if (std::abs(x[j]) >= 65520.0) continue;  // beyond binary16: the caller never asks
      ASSERT_EQ(h[j], reference_half(static_cast<float>(x[j]))) << x[j] << " " << isa();
    }
    // Every finite binary16 value decodes exactly, scaled by a power of two.
    std::vector<Half> all(65536);
    for (std::uint32_t u = 0; u < 65536; ++u)
      all[u] = static_cast<Half>(u);
    std::vector<double> decoded(all.size());
    decode_half(all.data(), 65536, 0.25, decoded.data());
    for (std::uint32_t u = 0; u < 65536; ++u) {
      const double expected = reference_value(all[u]);
      if (std::isnan(expected)) {
        EXPECT_TRUE(std::isnan(decoded[u])) << u;
        continue;
      }
      ASSERT_EQ(decoded[u], 0.25 * expected) << u << " " << isa();
      ASSERT_EQ(half_value(all[u]), expected) << u;
    }
  }
}

// The documented summation order, computed term by term.
double reference_dot(const std::vector<double>& p, const std::vector<double>& v, Index len) {
  double lane[4] = {0.0, 0.0, 0.0, 0.0};
  const Index body = len / 4 * 4;
  for (Index j = 0; j < body; ++j)
    lane[j % 4] += p[static_cast<std::size_t>(j)] * v[static_cast<std::size_t>(j)];
  double sum = (lane[0] + lane[1]) + (lane[2] + lane[3]);
  for (Index j = body; j < len; ++j)
    sum += p[static_cast<std::size_t>(j)] * v[static_cast<std::size_t>(j)];
  return sum;
}

// The documented order for binary16 vectors: float products, eight float lanes per block of 128
// coordinates, each block's lanes added into eight double lanes, then the tail.
double reference_dot_half(const std::vector<float>& p, const std::vector<Half>& v, Index len) {
  double wide[8] = {};
  const Index full = len / 8 * 8;
  for (Index block = 0; block < full; block += 128) {
    float lane[8] = {};
    for (Index j = block; j < std::min(full, block + 128); ++j) {
      const auto u = static_cast<std::size_t>(j);
      lane[j % 8] += p[u] * static_cast<float>(reference_value(v[u]));
    }
    for (int t = 0; t < 8; ++t)
      wide[t] += static_cast<double>(lane[t]);
  }
  double sum =
      ((wide[0] + wide[1]) + (wide[2] + wide[3])) + ((wide[4] + wide[5]) + (wide[6] + wide[7]));
  for (Index j = full; j < len; ++j) {
    const auto u = static_cast<std::size_t>(j);
    sum += static_cast<double>(p[u] * static_cast<float>(reference_value(v[u])));
  }
  return sum;
}

// Five probes against seven vectors of each storage type, for several lengths: each product in
// the documented order, bit for bit, and the same bits from both builds.
TEST(LbfgsKernels, DotProductsFollowTheDocumentedOrderInBothBuilds) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal;
  for (const Index len : {Index{0}, Index{1}, Index{3}, Index{4}, Index{7}, Index{8}, Index{13},
                          Index{64}, Index{127}, Index{128}, Index{136}, Index{1027}}) {
    const auto n = static_cast<std::size_t>(len);
    std::vector<std::vector<double>> probes(5, std::vector<double>(n));
    std::vector<std::vector<double>> vd(7, std::vector<double>(n));
    std::vector<std::vector<float>> vf(7, std::vector<float>(n));
    std::vector<std::vector<Half>> vh(7, std::vector<Half>(n));
    for (auto& p : probes)
      for (double& e : p)
        e = normal(rng);
    for (std::size_t b = 0; b < 7; ++b) {
      for (std::size_t j = 0; j < n; ++j) {
        vd[b][j] = normal(rng) * 1e3;
        vf[b][j] = static_cast<float>(vd[b][j]);
        vh[b][j] = reference_half(static_cast<float>(vd[b][j] / 64.0));
      }
    }
    std::vector<const double*> p;
    for (const auto& q : probes)
      p.push_back(q.data());
    // Float probes for the binary16 vectors.
    std::vector<std::vector<float>> narrow(5, std::vector<float>(n));
    std::vector<const float*> pn;
    for (std::size_t a = 0; a < 5; ++a) {
      for (std::size_t j = 0; j < n; ++j)
        narrow[a][j] = static_cast<float>(probes[a][j]);
      pn.push_back(narrow[a].data());
    }
    std::vector<const double*> pd;
    std::vector<const float*> pf;
    std::vector<const Half*> ph;
    for (std::size_t b = 0; b < 7; ++b) {
      pd.push_back(vd[b].data());
      pf.push_back(vf[b].data());
      ph.push_back(vh[b].data());
    }
    // Every blocking of the probes and vectors gives the same products.
    for (int np = 1; np <= 5; ++np) {
      for (int nv = 1; nv <= 7; ++nv) {
        std::vector<double> out(static_cast<std::size_t>(np * nv));
        dot_products(len, np, pn.data(), nv, ph.data(), out.data(), np);
        for (int b = 0; b < nv; ++b)
          for (int a = 0; a < np; ++a)
            ASSERT_EQ(bits(out[static_cast<std::size_t>(b * np + a)]),
                      bits(reference_dot_half(narrow[static_cast<std::size_t>(a)],
                                              vh[static_cast<std::size_t>(b)], len)))
                << len << " " << np << " " << nv << " " << a << " " << b;
      }
    }
    std::vector<double> results[2][3];
    for (const bool portable : {true, false}) {
      const KernelChoice choice(portable);
      for (int type = 0; type < 3; ++type) {
        std::vector<double>& out = results[portable ? 0 : 1][type];
        out.assign(35, 0.0);
        if (type == 0) dot_products(len, 5, p.data(), 7, pd.data(), out.data(), 5);
        if (type == 1) dot_products(len, 5, p.data(), 7, pf.data(), out.data(), 5);
        if (type == 2) dot_products(len, 5, pn.data(), 7, ph.data(), out.data(), 5);
      }
    }
    for (int type = 0; type < 3; ++type) {
      for (std::size_t b = 0; b < 7; ++b) {
        std::vector<double> widened(n);
        for (std::size_t j = 0; j < n; ++j) {
          widened[j] = type == 0   ? vd[b][j]
                       : type == 1 ? static_cast<double>(vf[b][j])
                                   : reference_value(vh[b][j]);
        }
        for (std::size_t a = 0; a < 5; ++a) {
          const double expected = type == 2 ? reference_dot_half(narrow[a], vh[b], len)
                                            : reference_dot(probes[a], widened, len);
          EXPECT_EQ(bits(results[0][type][b * 5 + a]), bits(expected)) << len << " " << type;
          EXPECT_EQ(bits(results[1][type][b * 5 + a]), bits(expected)) << len << " " << type;
        }
      }
    }
  }
}

TEST(LbfgsKernels, CombinationsAddTheTermsInOrderInBothBuilds) {
  std::mt19937_64 rng(8);
  std::normal_distribution<double> normal;
  const Index len = 203;
  const Index at = 5;
  const auto n = static_cast<std::size_t>(len + at);
  for (const std::size_t count :
       {std::size_t{1}, std::size_t{4}, std::size_t{6}, std::size_t{9}, std::size_t{17}}) {
    std::vector<std::vector<Half>> vh(count, std::vector<Half>(n));
    std::vector<double> c(count);
    for (std::size_t i = 0; i < count; ++i) {
      c[i] = normal(rng) * std::exp2(static_cast<double>(i % 5) * 40.0 - 80.0);
      for (Half& e : vh[i])
        e = reference_half(static_cast<float>(normal(rng)));
    }
    std::vector<const Half*> ph;
    for (const auto& v : vh)
      ph.push_back(v.data());
    std::vector<double> start(static_cast<std::size_t>(len));
    for (double& e : start)
      e = normal(rng);
    // Groups of eight vectors, each summed in float with coefficients scaled by the power of two
    // of the group's largest, then added in double.
    std::vector<double> expected = start;
    for (std::size_t g = 0; g < count; g += 8) {
      const std::size_t k = std::min<std::size_t>(8, count - g);
      double largest = 0.0;
      for (std::size_t q = 0; q < k; ++q)
        largest = std::max(largest, std::abs(c[g + q]));
      const int e = std::ilogb(largest);
      for (std::size_t j = 0; j < expected.size(); ++j) {
        float t = 0.0f;
        for (std::size_t q = 0; q < k; ++q) {
          const auto cq = static_cast<float>(std::ldexp(c[g + q], -e));
          const auto a =
              static_cast<float>(reference_value(vh[g + q][j + static_cast<std::size_t>(at)]));
          t = q == 0 ? cq * a : t + cq * a;
        }
        expected[j] = expected[j] + std::ldexp(1.0, e) * static_cast<double>(t);
      }
    }
    for (const bool portable : {true, false}) {
      const KernelChoice choice(portable);
      std::vector<double> o = start;
      add_combination(len, count, ph.data(), c.data(), at, o.data());
      for (std::size_t j = 0; j < o.size(); ++j)
        ASSERT_EQ(bits(o[j]), bits(expected[j])) << count << " " << j << " " << isa();
    }
  }
}

// The float probes of the binary16 kernels: scaled by the power of two that brings the largest
// magnitude into [1, 2), NaN left out of the maximum but kept in the output, the same from both
// builds.
TEST(LbfgsKernels, FloatProbesAreScaledIntoFloatRangeInBothBuilds) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<std::vector<double>> cases{
      {},
      {0.0, -0.0, 0.0},
      {1e-300, -3e-310, 2e-305, 0.0, 1e-301, 5e-300, -7e-302},
      {1e300, -3e299, 1.0, 0.5, 1e-30, 2e300, 7.0, -1e300, 9e299},
      {nan, 3.0, -5.0, nan, 0.25, 1.0, 2.0, -4.0, 6.0},
      {1.0, -inf, 2.0, 3.0, 4.0, 5.0},
      awkward_values()};
  for (const auto& x : cases) {
    const auto n = static_cast<Index>(x.size());
    double expected_largest = 0.0;
    for (const double e : x)
      if (std::abs(e) > expected_largest) expected_largest = std::abs(e);
    const int expected_e = float_range_exponent(expected_largest);
    std::vector<float> out[2];
    for (const bool portable : {true, false}) {
      const KernelChoice choice(portable);
      EXPECT_EQ(largest_magnitude(x.data(), n), expected_largest) << isa();
      std::vector<float>& o = out[portable ? 0 : 1];
      o.assign(x.size(), 0.0f);
      EXPECT_EQ(narrow_to_float(x.data(), n, o.data()), expected_e) << isa();
      for (std::size_t j = 0; j < x.size(); ++j) {
        const auto expected = static_cast<float>(std::ldexp(x[j], -expected_e));
        if (std::isnan(x[j])) {
          EXPECT_TRUE(std::isnan(o[j]));
        } else {
          ASSERT_EQ(o[j], expected) << x[j] << " " << isa();
        }
      }
    }
    if (expected_largest > 0.0 && std::isfinite(expected_largest)) {
      EXPECT_GE(std::ldexp(expected_largest, -expected_e), 1.0);
      EXPECT_LT(std::ldexp(expected_largest, -expected_e), 2.0);
    }
  }
  EXPECT_EQ(float_range_exponent(0.0), 0);
  EXPECT_EQ(float_range_exponent(inf), 0);
  EXPECT_EQ(float_range_exponent(nan), 0);
  EXPECT_EQ(float_range_exponent(1e-320), -1000);
  EXPECT_EQ(float_range_exponent(8.0), 3);
  // Every binary16 value widens to float exactly.
  std::vector<Half> all(65536);
  for (std::uint32_t u = 0; u < 65536; ++u)
    all[u] = static_cast<Half>(u);
  for (const bool portable : {true, false}) {
    const KernelChoice choice(portable);
    std::vector<float> f(all.size());
    half_to_float(all.data(), 65536, f.data());
    for (std::uint32_t u = 0; u < 65536; ++u) {
      const double expected = reference_value(all[u]);
      if (std::isnan(expected)) {
        ASSERT_TRUE(std::isnan(f[u])) << u;
      } else {
        ASSERT_EQ(static_cast<double>(f[u]), expected) << u << " " << isa();
      }
    }
  }
}

TEST(LbfgsKernels, ForcingThePortableBuildIsReported) {
  {
    const KernelChoice choice(true);
    EXPECT_STREQ(isa(), "portable");
  }
  EXPECT_STREQ(isa(), avx2_available() ? "avx2+f16c" : "portable");
}

}  // namespace
}  // namespace shine::inner::kernels
