#include "inner/lbfgs_kernels.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

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

// The binary16 rounding of (float)x by the compiler's own conversion (GCC's _Float16, rounding
// to nearest even): an implementation independent of the kernels'.
Half reference_half(float x) {
  const auto h = static_cast<_Float16>(x);
  Half out;
  std::memcpy(&out, &h, sizeof out);
  return out;
}

double reference_value(Half h) {
  _Float16 f;
  std::memcpy(&f, &h, sizeof f);
  return static_cast<double>(static_cast<float>(f));
}

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

// Five probes against seven vectors of each storage type, for several lengths: each product in
// the documented order, bit for bit, and the same bits from both builds.
TEST(LbfgsKernels, DotProductsFollowTheDocumentedOrderInBothBuilds) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal;
  for (const Index len : {Index{0}, Index{1}, Index{3}, Index{4}, Index{7}, Index{8}, Index{13},
                          Index{64}, Index{1027}}) {
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
    std::vector<const double*> pd;
    std::vector<const float*> pf;
    std::vector<const Half*> ph;
    for (std::size_t b = 0; b < 7; ++b) {
      pd.push_back(vd[b].data());
      pf.push_back(vf[b].data());
      ph.push_back(vh[b].data());
    }
    std::vector<double> results[2][3];
    for (const bool portable : {true, false}) {
      const KernelChoice choice(portable);
      for (int type = 0; type < 3; ++type) {
        std::vector<double>& out = results[portable ? 0 : 1][type];
        out.assign(35, 0.0);
        if (type == 0) dot_products(len, 5, p.data(), 7, pd.data(), out.data(), 5);
        if (type == 1) dot_products(len, 5, p.data(), 7, pf.data(), out.data(), 5);
        if (type == 2) dot_products(len, 5, p.data(), 7, ph.data(), out.data(), 5);
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
          const double expected = reference_dot(probes[a], widened, len);
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
  for (const std::size_t count : {std::size_t{1}, std::size_t{4}, std::size_t{6}, std::size_t{9}}) {
    std::vector<std::vector<Half>> vh(count, std::vector<Half>(n));
    std::vector<double> c(count);
    for (std::size_t i = 0; i < count; ++i) {
      c[i] = normal(rng);
      for (Half& e : vh[i])
        e = reference_half(static_cast<float>(normal(rng)));
    }
    std::vector<const Half*> ph;
    for (const auto& v : vh)
      ph.push_back(v.data());
    std::vector<double> start(static_cast<std::size_t>(len));
    for (double& e : start)
      e = normal(rng);
    std::vector<double> expected = start;
    for (std::size_t j = 0; j < expected.size(); ++j)
      for (std::size_t i = 0; i < count; ++i)
        expected[j] = expected[j] + c[i] * reference_value(vh[i][j + static_cast<std::size_t>(at)]);
    for (const bool portable : {true, false}) {
      const KernelChoice choice(portable);
      std::vector<double> o = start;
      add_combination(len, count, ph.data(), c.data(), at, o.data());
      for (std::size_t j = 0; j < o.size(); ++j)
        ASSERT_EQ(bits(o[j]), bits(expected[j])) << count << " " << j << " " << isa();
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
