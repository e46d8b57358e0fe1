// Sample weights in the inner and outer objectives (Dataset::weights), checked three ways: an
// integer weight equals repeating the row, every derivative against finite differences, and unit
// weights against the unweighted code path bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "shine/data/sample_weights.hpp"
#include "shine/data/split.hpp"
#include "shine/objective/heldout_metrics.hpp"
#include "shine/objective/inner_objective.hpp"
#include "shine/objective/outer_objective.hpp"
#include "support/fd_check.hpp"
#include "support/random_problems.hpp"

namespace shine::objective {
namespace {

using test::fd_directional;
using test::fd_gradient;
using test::random_dataset;
using test::random_vector;
using test::relative_error;

// Weights 0, 1, 2 or 3 by row, and the same rows repeated that many times (unweighted).
struct WeightedAndRepeated {
  data::Dataset weighted;
  data::Dataset repeated;
};

WeightedAndRepeated weighted_and_repeated(Index rows, Index features, std::uint64_t seed) {
  const data::Dataset base = random_dataset(rows, features, 0.3, seed);
  Vector weights(rows);
  std::vector<Index> repeats;
  for (Index i = 0; i < rows; ++i) {
    const int count = static_cast<int>((i * 7 + 3) % 4);  // 3, 2, 1, 0, 3, …
    weights[i] = count;
    for (int r = 0; r < count; ++r)
      repeats.push_back(i);
  }
  WeightedAndRepeated out{base, data::select_rows(base, repeats, "repeated")};
  data::set_sample_weights(out.weighted, weights);
  return out;
}

class WeightedObjective : public testing::TestWithParam<bool> {};

TEST_P(WeightedObjective, IntegerWeightsEqualRepeatedRows) {
  const bool intercept = GetParam();
  const auto [weighted, repeated] = weighted_and_repeated(60, 15, 3);
  const ObjectiveOptions options{intercept, 1};
  const InnerObjective a(weighted, L2Regularizer::uniform(15, -1.0), options);
  const InnerObjective b(repeated, L2Regularizer::uniform(15, -1.0), options);
  const Vector w = random_vector(a.dim(), 11, 0.5);
  const Vector d = random_vector(a.dim(), 12, 0.3);
  const LogisticState sa = a.evaluate(w);
  const LogisticState sb = b.evaluate(w);
  EXPECT_NEAR(sa.value, sb.value, 1e-12 * std::abs(sb.value));
  EXPECT_LE(relative_error(sa.gradient, sb.gradient), 1e-12);
  EXPECT_NEAR(a.value(w), b.value(w), 1e-12 * std::abs(sb.value));

  Vector ha, hb, ca, cb;
  a.hessian_vector(sa, d, ha);
  b.hessian_vector(sb, d, hb);
  EXPECT_LE(relative_error(ha, hb), 1e-12);
  a.gradient_change(sa, d, ca);
  b.gradient_change(sb, d, cb);
  EXPECT_LE(relative_error(ca, cb), 1e-12);
  EXPECT_LE(relative_error(a.hessian_diagonal_bound(), b.hessian_diagonal_bound()), 1e-12);

  LineProbe pa, pb;
  a.prepare_line(sa, d, pa);
  b.prepare_line(sb, d, pb);
  for (const double alpha : {0.0, 0.3, 1.7}) {
    const LineValue la = a.line_value(sa, pa, alpha);
    const LineValue lb = b.line_value(sb, pb, alpha);
    EXPECT_NEAR(la.value, lb.value, 1e-12 * std::abs(lb.value)) << alpha;
    EXPECT_NEAR(la.slope, lb.slope, 1e-11 * (1.0 + std::abs(lb.slope))) << alpha;
  }

  const OuterObjective oa(weighted, options);
  const OuterObjective ob(repeated, options);
  Vector ga, gb;
  EXPECT_NEAR(oa.value_and_gradient(w, ga), ob.value_and_gradient(w, gb),
              1e-12 * std::abs(ob.value(w)));
  EXPECT_LE(relative_error(ga, gb), 1e-12);
  EXPECT_NEAR(oa.value(w), ob.value(w), 1e-12 * std::abs(ob.value(w)));

  // The held-out metrics are the weighted means: the repeated rows' plain means.
  const HeldOutMetrics ma = evaluate_heldout(weighted, w, intercept, 1);
  const HeldOutMetrics mb = evaluate_heldout(repeated, w, intercept, 1);
  EXPECT_NEAR(ma.mean_loss, mb.mean_loss, 1e-12 * mb.mean_loss);
  EXPECT_NEAR(ma.accuracy, mb.accuracy, 1e-12);
}

TEST_P(WeightedObjective, DerivativesMatchFiniteDifferences) {
  const bool intercept = GetParam();
  data::Dataset data = random_dataset(50, 12, 0.4, 5);
  data::set_sample_weights(data, Vector(random_vector(50, 6).array().abs() * 2.0 + 0.01));
  const InnerObjective inner(data, L2Regularizer::uniform(12, -0.5), {intercept, 1});
  const Vector w = random_vector(inner.dim(), 7, 0.4);
  const LogisticState state = inner.evaluate(w);
  const auto h = [&inner](const Vector& v) { return inner.value(v); };
  EXPECT_LE(relative_error(state.gradient, fd_gradient(h, w)), 1e-7);
  const Vector v = random_vector(inner.dim(), 8);
  Vector hv;
  inner.hessian_vector(state, v, hv);
  const auto gradient = [&inner](const Vector& x) { return inner.evaluate(x).gradient; };
  EXPECT_LE(relative_error(hv, fd_directional(gradient, w, v)), 1e-6);
  EXPECT_LE(relative_error(inner.dense_hessian(state) * v, hv), 1e-13);

  const OuterObjective outer(data, {intercept, 1});
  Vector g;
  outer.value_and_gradient(w, g);
  const auto f = [&outer](const Vector& x) { return outer.value(x); };
  EXPECT_LE(relative_error(g, fd_gradient(f, w)), 1e-7);
}

TEST_P(WeightedObjective, UnitWeightsGiveTheUnweightedResultsBitForBit) {
  const bool intercept = GetParam();
  const data::Dataset plain = random_dataset(80, 20, 0.3, 9);
  data::Dataset ones = plain;
  data::set_sample_weights(ones, Vector::Ones(plain.rows()));
  const InnerObjective a(plain, L2Regularizer::uniform(20, 0.2), {intercept, 2});
  const InnerObjective b(ones, L2Regularizer::uniform(20, 0.2), {intercept, 2});
  const Vector w = random_vector(a.dim(), 10, 0.5);
  const LogisticState sa = a.evaluate(w);
  const LogisticState sb = b.evaluate(w);
  EXPECT_EQ(sa.value, sb.value);
  EXPECT_EQ(sa.gradient, sb.gradient);
  EXPECT_EQ(a.hessian_diagonal_bound(), b.hessian_diagonal_bound());
}

TEST_P(WeightedObjective, ResultsAreIdenticalForOneTwoAndFourThreads) {
  const bool intercept = GetParam();
  data::Dataset data = random_dataset(3000, 40, 0.2, 13);
  data::set_sample_weights(data, Vector(random_vector(3000, 14).array().abs()));
  const Vector w = random_vector(intercept ? 41 : 40, 15, 0.3);
  std::vector<LogisticState> states;
  std::vector<double> outer_values;
  for (const int threads : {1, 2, 4}) {
    const InnerObjective inner(data, L2Regularizer::uniform(40, -1.0), {intercept, threads});
    states.push_back(inner.evaluate(w));
    outer_values.push_back(OuterObjective(data, {intercept, threads}).value(w));
  }
  for (std::size_t t = 1; t < states.size(); ++t) {
    EXPECT_EQ(states[t].value, states[0].value);
    EXPECT_EQ(states[t].gradient, states[0].gradient);
    EXPECT_EQ(outer_values[t], outer_values[0]);
  }
}

INSTANTIATE_TEST_SUITE_P(Intercept, WeightedObjective, testing::Bool(),
                         [](const testing::TestParamInfo<bool>& param) {
                           return param.param ? "WithIntercept" : "NoIntercept";
                         });

}  // namespace
}  // namespace shine::objective
