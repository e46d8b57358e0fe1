// The shine-opa hook: when it fires, the pair it adds, what it counts, and how it fails.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "shine/hypergrad/hypergradient.hpp"
#include "support/fd_check.hpp"
#include "support/logistic_bilevel.hpp"
#include "support/ridge_problem.hpp"

namespace shine::hypergrad {
namespace {

using test::RidgeProblem;

inner::CallableObjective ridge_objective(const RidgeProblem& p) {
  return inner::CallableObjective(
      p.dim(), [&p](const Vector& w, Vector& g) { return p.inner_value(w, g); },
      [&p](const Vector& /*w*/, const Vector& v, Vector& out) { p.hessian_vector(v, out); });
}

InnerSolveContext solve_context(const RidgeProblem& p, int outer_iteration, int max_outer) {
  InnerSolveContext c;
  c.outer_gradient = [&p](const Vector& w, Vector& g) { p.outer_value(w, g); };
  c.outer_iteration = outer_iteration;
  c.max_outer = max_outer;
  return c;
}

// Runs one inner solve with the strategy's hook; returns the iterations and the OPA counts.
std::pair<int, OpaCounts> run(Strategy& strategy, const RidgeProblem& p,
                              const InnerSolveContext& context) {
  inner::CallableObjective objective = ridge_objective(p);
  inner::LbfgsOptions options;
  options.memory = 30;
  options.tolerance = 1e-8;
  const inner::InnerResult solved =
      inner::minimize(objective, Vector::Zero(p.dim()), options, {}, strategy.inner_hook(context));
  EXPECT_EQ(solved.summary.termination, Termination::Converged);
  Vector g;
  p.outer_value(solved.w, g);
  const HypergradResult r = strategy.compute(
      HypergradContext{solved.w,
                       g,
                       solved.memory,
                       {},
                       [&p](const Vector& w, const Vector& q) { return p.cross_derivative(w, q); },
                       1e-6});
  return {solved.summary.iterations, r.summary.opa};
}

TEST(ShineOpaHook, ReferenceRuleFiresEveryMaxOuterMinusOuterIterations) {
  const RidgeProblem p = test::make_ridge_problem(80, 20, 60, 1, 7);
  auto strategy = make_strategy({.method = Method::ShineOpa});
  // The hook runs at k = 0 … iterations (the last iterate included) and fires when k % F == 0.
  for (const auto& [outer, every] : {std::pair{0, 30}, {20, 10}, {27, 3}, {29, 1}, {35, 1}}) {
    const auto [iterations, counts] = run(*strategy, p, solve_context(p, outer, 30));
    EXPECT_EQ(counts.pairs_offered, iterations / every + 1) << "outer iteration " << outer;
    EXPECT_EQ(counts.pairs_accepted, counts.pairs_offered);  // h is strictly convex
    EXPECT_EQ(counts.outer_gradient_evaluations, counts.pairs_offered);
    EXPECT_EQ(counts.inner_gradient_evaluations, counts.pairs_offered);  // ∇h(w + e)
    EXPECT_EQ(counts.hessian_products, 0);
    EXPECT_GE(counts.seconds, 0.0);
  }
}

TEST(ShineOpaHook, ConstantFrequencyAndExactHessianOptions) {
  const RidgeProblem p = test::make_ridge_problem(80, 20, 60, 1, 8);
  auto every4 = make_strategy({.method = Method::ShineOpa, .opa_every = 4});
  const auto [iterations, counts] = run(*every4, p, solve_context(p, 0, 30));
  EXPECT_EQ(counts.pairs_offered, iterations / 4 + 1);

  auto exact =
      make_strategy({.method = Method::ShineOpa, .opa_every = 4, .opa_exact_hessian = true});
  const auto [exact_iterations, exact_counts] = run(*exact, p, solve_context(p, 0, 30));
  EXPECT_EQ(exact_counts.hessian_products, exact_counts.pairs_offered);
  EXPECT_EQ(exact_counts.inner_gradient_evaluations, 0);
  EXPECT_EQ(exact_counts.pairs_offered, exact_iterations / 4 + 1);
}

TEST(ShineOpaHook, CountsStartAgainWithEveryHookAndOtherMethodsReportNone) {
  const RidgeProblem p = test::make_ridge_problem(40, 10, 30, 1, 9);
  auto strategy = make_strategy({.method = Method::ShineOpa, .opa_every = 1});
  const auto [iterations, first] = run(*strategy, p, solve_context(p, 0, 30));
  const auto [iterations2, second] = run(*strategy, p, solve_context(p, 1, 30));
  EXPECT_EQ(first.pairs_offered, iterations + 1);
  EXPECT_EQ(second.pairs_offered, iterations2 + 1);  // not accumulated

  auto shine = make_strategy({.method = Method::Shine});
  EXPECT_FALSE(static_cast<bool>(shine->inner_hook(solve_context(p, 0, 30))));
  auto hoag = make_strategy({.method = Method::Hoag});
  EXPECT_FALSE(static_cast<bool>(hoag->inner_hook(solve_context(p, 0, 30))));
}

// Calls a hook once by hand at w with the given memory.
struct HandCall {
  inner::LbfgsMemory memory;
  bool stop = true;
};

HandCall call_hook(const inner::IterationHook& hook, inner::SmoothObjective& objective,
                   const Vector& w, inner::LbfgsMemory memory, int iteration = 0) {
  objective.set_point(w);
  HandCall call{std::move(memory)};
  inner::IterationView view{iteration,
                            w,
                            objective.value(),
                            objective.gradient(),
                            objective.gradient_norm(),
                            0.0,
                            0.0,
                            false,
                            0.0,
                            call.memory,
                            objective};
  call.stop = hook(view);
  return call;
}

TEST(ShineOpaHook, PairIsAlongTheInverseEstimateOfTheOuterGradientScaledToTheNewestStep) {
  const RidgeProblem p = test::make_ridge_problem(40, 10, 30, 1, 10);
  inner::CallableObjective objective = ridge_objective(p);
  const Vector w = test::random_vector(p.dim(), 11);
  Vector d;
  p.outer_value(w, d);
  const Eigen::MatrixXd H = p.hessian();

  // A memory with two exact pairs; the newest s has norm 0.3.
  inner::LbfgsMemory memory(p.dim(), 10);
  const Vector s1 = test::random_vector(p.dim(), 12);
  const Vector s2 = 0.3 * test::random_vector(p.dim(), 13).normalized();
  ASSERT_TRUE(memory.add_pair(s1, H * s1));
  ASSERT_TRUE(memory.add_pair(s2, H * s2));
  Vector direction;
  memory.apply_inverse(d, direction);

  auto strategy = make_strategy({.method = Method::ShineOpa, .opa_every = 1});
  const HandCall call =
      call_hook(strategy->inner_hook(solve_context(p, 0, 30)), objective, w, memory);
  EXPECT_FALSE(call.stop);
  ASSERT_EQ(call.memory.size(), 3);
  const Vector& e = call.memory.s(2);
  const Vector& y = call.memory.y(2);
  EXPECT_NEAR(e.norm(), 0.3, 1e-12);
  EXPECT_LE(test::relative_error(e.normalized(), direction.normalized()), 1e-12);  // along B⁻¹d
  // For a quadratic the gradient difference is exactly H e.
  EXPECT_LE(test::relative_error(y, H * e), 1e-9);
}

// On the logistic objective the hook forms ∇h(w + e) − ∇h(w) from the stored margins
// (`SmoothObjective::gradient_change`): each pair must equal the difference of two full
// evaluations, and cost what `evaluate_at` would (one inner gradient, two passes).
TEST(ShineOpaHook, LogisticPairsAreTheDifferenceOfTwoFullGradients) {
  const auto [train, validation] = test::random_train_validation(150, 60, 20, 5);
  test::LogisticBilevel problem(train, validation, 1, -1.0, true);
  auto strategy = make_strategy({.method = Method::ShineOpa, .opa_every = 2});
  InnerSolveContext context;
  context.outer_gradient = [&problem](const Vector& w, Vector& g) {
    problem.outer().value_and_gradient(w, g);
  };
  inner::IterationHook opa = strategy->inner_hook(context);
  int checked = 0;
  std::int64_t passes_in_hook = 0;
  inner::LogisticObjective adapter(problem.inner());
  const double scale = problem.inner().evaluate(Vector::Zero(problem.dim())).gradient_norm;
  const inner::IterationHook hook = [&](inner::IterationView& view) {
    const std::uint64_t revision = view.memory.revision();
    const std::int64_t passes = adapter.counts().data_passes;
    const bool stop = opa(view);
    passes_in_hook += adapter.counts().data_passes - passes;
    if (view.memory.revision() != revision) {
      const int newest = view.memory.size() - 1;
      const Vector& e = view.memory.s(newest);
      const Vector gradient_at = problem.inner().evaluate(view.w + e).gradient;
      const Vector reference = gradient_at - view.gradient;
      // The reference subtracts two full gradients, each a sum of terms of the size of ∇h(0)
      // (λw against Xᵀr): its rounding is relative to that size, not to the small difference.
      const double tolerance = 1e-13 * scale + 1e-10 * reference.norm();
      EXPECT_LT((view.memory.y(newest) - reference).norm(), tolerance) << view.iteration;
      ++checked;
    }
    return stop;
  };
  inner::LbfgsOptions options;
  options.memory = 30;
  options.tolerance = 1e-8;
  const inner::InnerResult solved = problem.solve(adapter, options, hook);
  EXPECT_EQ(solved.summary.termination, Termination::Converged) << solved.summary.brief();
  Vector g;
  problem.outer().value_and_gradient(solved.w, g);
  const HypergradResult result =
      strategy->compute(logistic_context(problem.inner(), adapter.state(), g, solved.memory, 1e-6));
  const OpaCounts& counts = result.summary.opa;
  EXPECT_GT(checked, 2);
  EXPECT_EQ(checked, counts.pairs_accepted);
  EXPECT_EQ(counts.inner_gradient_evaluations, counts.pairs_offered);
  EXPECT_EQ(passes_in_hook, 2 * counts.inner_gradient_evaluations);  // the outer ∇f is not h's
}

TEST(ShineOpaHook, EmptyMemoryUsesAtMostUnitLength) {
  const RidgeProblem p = test::make_ridge_problem(40, 10, 30, 1, 14);
  inner::CallableObjective objective = ridge_objective(p);
  auto strategy = make_strategy({.method = Method::ShineOpa, .opa_every = 1});
  const Vector w = Vector::Zero(p.dim());
  Vector d;
  p.outer_value(w, d);
  ASSERT_GT(d.norm(), 1.0);
  const HandCall call = call_hook(strategy->inner_hook(solve_context(p, 0, 30)), objective, w,
                                  inner::LbfgsMemory(p.dim(), 5));
  ASSERT_EQ(call.memory.size(), 1);
  EXPECT_NEAR(call.memory.s(0).norm(), 1.0, 1e-12);                          // min(‖d‖, 1)
  EXPECT_LE(test::relative_error(call.memory.s(0), d.normalized()), 1e-12);  // B⁻¹ = I
}

TEST(ShineOpaHook, CurvatureGuardRejectsAPairOfANonConvexObjective) {
  // h(w) = −½‖w‖²: ỹ = −e, so ỹᵀe < 0 and the memory refuses the pair.
  inner::CallableObjective concave(4, [](const Vector& w, Vector& g) {
    g = -w;
    return -0.5 * w.squaredNorm();
  });
  InnerSolveContext context;
  context.outer_gradient = [](const Vector& /*w*/, Vector& g) { g = Vector::Ones(4); };
  auto strategy = make_strategy({.method = Method::ShineOpa, .opa_every = 1});
  const inner::IterationHook hook = strategy->inner_hook(context);
  const HandCall call = call_hook(hook, concave, Vector::Ones(4), inner::LbfgsMemory(4, 5));
  EXPECT_EQ(call.memory.size(), 0);
  Vector g = Vector::Ones(4);
  Vector w = Vector::Ones(4);
  const inner::LbfgsMemory empty(4, 5);
  const HypergradResult r = strategy->compute(HypergradContext{
      w,
      g,
      empty,
      {},
      [](const Vector& a, const Vector& b) { return Vector::Constant(1, a.dot(b)); },
      1e-3});
  EXPECT_EQ(r.summary.opa.pairs_offered, 1);
  EXPECT_EQ(r.summary.opa.pairs_accepted, 0);
}

TEST(ShineOpaHook, ZeroOuterGradientAddsNothing) {
  inner::CallableObjective bowl(3, [](const Vector& w, Vector& g) {
    g = w;
    return 0.5 * w.squaredNorm();
  });
  InnerSolveContext context;
  context.outer_gradient = [](const Vector& /*w*/, Vector& g) { g = Vector::Zero(3); };
  auto strategy = make_strategy({.method = Method::ShineOpa, .opa_every = 1});
  const HandCall call =
      call_hook(strategy->inner_hook(context), bowl, Vector::Ones(3), inner::LbfgsMemory(3, 5));
  EXPECT_EQ(call.memory.size(), 0);
}

TEST(ShineOpaHook, MissingOuterGradientIsMisuse) {
  auto strategy = make_strategy({.method = Method::ShineOpa});
  try {
    (void)strategy->inner_hook(InnerSolveContext{});
    FAIL() << "an empty outer_gradient was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("InnerSolveContext::outer_gradient"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace shine::hypergrad
