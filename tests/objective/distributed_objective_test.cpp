// The objectives over rows spread across ranks (threads here,
// tests/support/thread_communicator.hpp) against the same objectives over the whole dataset in one
// process: every quantity agrees to rounding, every rank holds the same bits, and a repeated run
// gives the same bits.
#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "shine/data/distributed.hpp"
#include "shine/objective/heldout_metrics.hpp"
#include "shine/objective/inner_objective.hpp"
#include "shine/objective/outer_objective.hpp"
#include "support/fd_check.hpp"
#include "support/random_problems.hpp"
#include "support/thread_communicator.hpp"

namespace shine::objective {
namespace {

using test::random_dataset;
using test::random_vector;
using test::relative_error;

// Everything the inner objective computes at one point, for comparisons.
struct Snapshot {
  double value = 0.0, loss = 0.0, gradient_norm = 0.0, slope0 = 0.0, plain_value = 0.0;
  LineValue line{};
  Vector gradient, hessian_v, moved_gradient, step, change, gradient_change, bound;
  double moved_value = 0.0;
};

Snapshot snapshot(const InnerObjective& objective, const Vector& w, const Vector& v) {
  Snapshot s;
  LogisticState state;
  objective.evaluate(w, state);
  s.value = state.value;
  s.loss = state.loss;
  s.gradient = state.gradient;
  s.gradient_norm = state.gradient_norm;
  s.plain_value = objective.value(w);
  objective.hessian_vector(state, v, s.hessian_v);
  objective.gradient_change(state, 0.1 * v, s.gradient_change);
  s.bound = objective.hessian_diagonal_bound();
  LineProbe probe;
  objective.prepare_line(state, -state.gradient, probe);
  s.slope0 = probe.slope0;
  s.line = objective.line_value(state, probe, 0.3);
  objective.move(state, -state.gradient, probe, 0.3, &s.step, &s.change);
  s.moved_value = state.value;
  s.moved_gradient = state.gradient;
  return s;
}

void expect_close(const Snapshot& a, const Snapshot& b, double tolerance) {
  EXPECT_NEAR(a.value, b.value, tolerance * std::abs(b.value));
  EXPECT_NEAR(a.loss, b.loss, tolerance * std::abs(b.loss));
  EXPECT_NEAR(a.plain_value, b.plain_value, tolerance * std::abs(b.plain_value));
  EXPECT_NEAR(a.gradient_norm, b.gradient_norm, tolerance * b.gradient_norm);
  EXPECT_NEAR(a.slope0, b.slope0, tolerance * std::abs(b.slope0));
  EXPECT_NEAR(a.line.value, b.line.value, tolerance * std::abs(b.line.value));
  EXPECT_NEAR(a.line.slope, b.line.slope, tolerance * std::abs(b.line.slope) + 1e-14);
  EXPECT_NEAR(a.moved_value, b.moved_value, tolerance * std::abs(b.moved_value));
  EXPECT_LT(relative_error(a.gradient, b.gradient), tolerance);
  EXPECT_LT(relative_error(a.hessian_v, b.hessian_v), tolerance);
  EXPECT_LT(relative_error(a.gradient_change, b.gradient_change), tolerance);
  EXPECT_LT(relative_error(a.bound, b.bound), tolerance);
  EXPECT_LT(relative_error(a.moved_gradient, b.moved_gradient), tolerance);
  EXPECT_LT(relative_error(a.step, b.step), tolerance);
  EXPECT_LT(relative_error(a.change, b.change), tolerance);
}

bool identical(const Snapshot& a, const Snapshot& b) {
  return a.value == b.value && a.loss == b.loss && a.gradient_norm == b.gradient_norm &&
         a.slope0 == b.slope0 && a.line.value == b.line.value && a.line.slope == b.line.slope &&
         a.moved_value == b.moved_value && a.gradient == b.gradient && a.hessian_v == b.hessian_v &&
         a.gradient_change == b.gradient_change && a.bound == b.bound &&
         a.moved_gradient == b.moved_gradient && a.step == b.step && a.change == b.change;
}

class DistributedInner : public testing::TestWithParam<int> {};

TEST_P(DistributedInner, AgreesWithOneProcessAndIsIdenticalOnEveryRank) {
  const int ranks = GetParam();
  const data::Dataset whole = random_dataset(301, 40, 0.2, 11);
  ObjectiveOptions options;
  options.fit_intercept = true;
  options.num_threads = 1;
  const L2Regularizer penalty =
      L2Regularizer::grouped(std::vector<std::int32_t>(40, 0), 1, Vector::Constant(1, -1.0));
  const Vector w = random_vector(41, 3, 0.3);
  const Vector v = random_vector(41, 4);
  const Snapshot reference = snapshot(InnerObjective(whole, penalty, options), w, v);

  const auto run = [&] {
    std::vector<Snapshot> by_rank(static_cast<std::size_t>(ranks));
    test::run_ranks(ranks, [&](const core::Communicator& communicator) {
      const data::DatasetPart part = data::rows_of_rank(whole, communicator);
      const InnerObjective objective(part.data, penalty, options);
      by_rank[static_cast<std::size_t>(communicator.rank())] = snapshot(objective, w, v);
    });
    return by_rank;
  };
  const std::vector<Snapshot> first = run();
  expect_close(first[0], reference, 1e-12);
  for (const Snapshot& other : first)
    EXPECT_TRUE(identical(other, first[0])) << "the ranks disagree";
  EXPECT_TRUE(identical(run()[0], first[0])) << "a second run differs";
}

TEST_P(DistributedInner, OuterObjectiveAndHeldOutMetricsAgreeWithOneProcess) {
  const int ranks = GetParam();
  data::Dataset whole = random_dataset(157, 30, 0.3, 21);
  ObjectiveOptions options;
  options.fit_intercept = true;
  options.num_threads = 1;
  const Vector w = random_vector(31, 5, 0.5);
  const OuterObjective reference(whole, options);
  Vector g_reference;
  const double f_reference = reference.value_and_gradient(w, g_reference);
  const HeldOutMetrics m_reference = evaluate_heldout(whole, w, true, 1);
  std::mutex mutex;
  test::run_ranks(ranks, [&](const core::Communicator& communicator) {
    const data::DatasetPart part = data::rows_of_rank(whole, communicator);
    const OuterObjective outer(part.data, options);
    Vector g;
    const double f = outer.value_and_gradient(w, g);
    const double value = outer.value(w);
    const HeldOutMetrics m = evaluate_heldout(part.data, w, true, 1);
    const std::lock_guard lock(mutex);
    EXPECT_NEAR(f, f_reference, 1e-12 * f_reference);
    EXPECT_NEAR(value, f_reference, 1e-12 * f_reference);
    EXPECT_LT(relative_error(g, g_reference), 1e-12);
    EXPECT_NEAR(m.mean_loss, m_reference.mean_loss, 1e-12 * m_reference.mean_loss);
    EXPECT_DOUBLE_EQ(m.accuracy, m_reference.accuracy);
    EXPECT_EQ(m.total_weight, 157.0);
    EXPECT_EQ(m.rows, 157);
    EXPECT_EQ(m.correct, m_reference.correct);
  });
}

INSTANTIATE_TEST_SUITE_P(Ranks, DistributedInner, testing::Values(1, 2, 3, 5));

TEST(DistributedInner, ARankWithoutRowsTakesPartInEverySum) {
  // More ranks than rows: ranks 0 and 2 hold none.
  const data::Dataset whole = random_dataset(2, 6, 0.8, 31);
  ObjectiveOptions options;
  options.num_threads = 1;
  const Vector w = random_vector(6, 1);
  const double reference = InnerObjective(whole, 0.0, options).evaluate(w).value;
  test::run_ranks(4, [&](const core::Communicator& communicator) {
    const data::DatasetPart part = data::rows_of_rank(whole, communicator);
    const double value = InnerObjective(part.data, 0.0, options).evaluate(w).value;
    EXPECT_NEAR(value, reference, 1e-14 * reference);
  });
}

}  // namespace
}  // namespace shine::objective
