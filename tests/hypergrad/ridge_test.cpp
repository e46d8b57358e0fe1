// Ridge regression as the inner problem: the hypergradient is known in closed form
// (support/ridge_problem.hpp), so every method is checked against the exact value.
//
// Measured when these tests were written (80 × 20 correlated design, m = 30 ≥ d, inner solves
// to 1e-14 (hoag) or 1e-10 relative, three seeds, one λ and four groups):
//   hoag            relative error ≤ 3e-12                       asserted ≤ 1e-8
//   shine-opa F=5   q error ≤ 1e-2, cosine ≥ 0.999999 (k = 4)    asserted q error ≤ 5e-2,
//                   while plain shine's q error is 0.17 … 0.62   cos ≥ 0.999, < ¼ of shine's
//   shine           q error 0.17 … 0.95: B⁻¹ is not H⁻¹ without conjugate (exact line-search)
//                   steps; exact (1e-10) when the pairs are H-conjugate and span R^d
//   shine-refine    never worse than shine in the H-norm of the q error (what CG minimizes); the
//                   hypergradient is one projection of q, which can be luckier for shine
//   jacobian-free   relative error ≈ 1 (recorded only)

#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include "shine/hypergrad/hypergradient.hpp"
#include "support/fd_check.hpp"
#include "support/ridge_problem.hpp"

namespace shine::hypergrad {
namespace {

using test::relative_error;
using test::RidgeProblem;

std::string scientific(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.3e", value);
  return text;
}

double cosine(const Vector& a, const Vector& b) {
  return a.dot(b) / (a.norm() * b.norm());
}

// An inner solve of a ridge problem and the context to differentiate at its w.
struct RidgeRun {
  inner::InnerResult solved;
  Vector outer_gradient;
};

RidgeRun solve(const RidgeProblem& p, double tolerance, const inner::IterationHook& hook = {}) {
  inner::CallableObjective objective(
      p.dim(), [&p](const Vector& w, Vector& g) { return p.inner_value(w, g); },
      [&p](const Vector& /*w*/, const Vector& v, Vector& out) { p.hessian_vector(v, out); });
  inner::LbfgsOptions options;
  options.memory = 30;
  options.tolerance = tolerance;
  RidgeRun run;
  run.solved = inner::minimize(objective, Vector::Zero(p.dim()), options, {}, hook);
  EXPECT_EQ(run.solved.summary.termination, Termination::Converged) << run.solved.summary.brief();
  p.outer_value(run.solved.w, run.outer_gradient);
  return run;
}

HypergradContext context(const RidgeProblem& p, const RidgeRun& run, double epsilon,
                         const Vector* previous_q = nullptr) {
  return HypergradContext{
      run.solved.w,
      run.outer_gradient,
      run.solved.memory,
      [&p](const Vector& v, Vector& out) { p.hessian_vector(v, out); },
      [&p](const Vector& w, const Vector& q) { return p.cross_derivative(w, q); },
      epsilon,
      previous_q};
}

InnerSolveContext solve_context(const RidgeProblem& p, int outer_iteration, int max_outer) {
  InnerSolveContext c;
  c.outer_gradient = [&p](const Vector& w, Vector& g) { p.outer_value(w, g); };
  c.outer_iteration = outer_iteration;
  c.max_outer = max_outer;
  return c;
}

class RidgeCase : public testing::TestWithParam<std::tuple<Index, std::uint64_t>> {
 protected:
  [[nodiscard]] RidgeProblem problem() const {
    return test::make_ridge_problem(80, 20, 60, std::get<0>(GetParam()), std::get<1>(GetParam()));
  }
};

TEST_P(RidgeCase, HoagMatchesTheClosedFormTo1e8) {
  const RidgeProblem p = problem();
  const RidgeRun run = solve(p, 1e-14);
  auto hoag = make_strategy({.method = Method::Hoag, .max_cg_iterations = 1000});
  const HypergradResult r = hoag->compute(context(p, run, 1e-13));
  EXPECT_EQ(r.summary.termination, Termination::Converged) << r.summary.brief();
  EXPECT_LE(r.summary.relative_residual, 1e-13);
  EXPECT_EQ(r.summary.hessian_products, r.summary.cg_iterations);  // cold start: 1 Hv per it
  EXPECT_EQ(r.summary.data_passes, 2 * r.summary.hessian_products);
  const double error = relative_error(r.hypergradient, p.exact_hypergradient());
  RecordProperty("hoag_relative_error", scientific(error));
  EXPECT_LE(error, 1e-8);
}

TEST_P(RidgeCase, ShineOpaApproachesTheClosedFormWhereShineAloneDoesNot) {
  const RidgeProblem p = problem();
  const Vector exact = p.exact_hypergradient();

  auto shine = make_strategy({.method = Method::Shine});
  const RidgeRun plain = solve(p, 1e-10);
  const HypergradResult rs = shine->compute(context(p, plain, 1e-6));
  const double shine_q_error = relative_error(rs.q, p.exact_q(plain.solved.w));

  // Outer iteration 25 of 30: the reference rule adds a pair every 30 − 25 = 5 inner iterations.
  auto opa = make_strategy({.method = Method::ShineOpa});
  const RidgeRun aware = solve(p, 1e-10, opa->inner_hook(solve_context(p, 25, 30)));
  const HypergradResult ro = opa->compute(context(p, aware, 1e-6));
  const double opa_q_error = relative_error(ro.q, p.exact_q(aware.solved.w));
  EXPECT_EQ(ro.summary.opa.pairs_offered, aware.solved.summary.iterations / 5 + 1);
  EXPECT_EQ(ro.summary.opa.pairs_accepted, ro.summary.opa.pairs_offered);  // H is definite

  RecordProperty("shine_q_error", scientific(shine_q_error));
  RecordProperty("shine_opa_q_error", scientific(opa_q_error));
  RecordProperty("shine_opa_relative_error", scientific(relative_error(ro.hypergradient, exact)));
  EXPECT_LE(opa_q_error, 5e-2);
  EXPECT_LT(opa_q_error, 0.25 * shine_q_error);
  if (exact.size() > 1) {
    EXPECT_GE(cosine(ro.hypergradient, exact), 0.999);
  } else {
    EXPECT_LE(relative_error(ro.hypergradient, exact), 0.1);
  }
}

TEST_P(RidgeCase, RefineNeverWorseThanShineInTheHNorm) {
  const RidgeProblem p = problem();
  const RidgeRun run = solve(p, 1e-10);
  const Vector exact_q = p.exact_q(run.solved.w);
  const Eigen::MatrixXd H = p.hessian();
  const auto h_error = [&](const Vector& q) {
    const Vector e = q - exact_q;
    return std::sqrt(e.dot(H * e));
  };
  auto shine = make_strategy({.method = Method::Shine});
  const HypergradResult rs = shine->compute(context(p, run, 1e-6));
  double previous = h_error(rs.q);
  const Vector exact = p.exact_hypergradient();
  RecordProperty("shine_relative_error", scientific(relative_error(rs.hypergradient, exact)));
  for (double epsilon : {1e-4, 1e-5, 1e-6, 1e-8}) {
    auto refine = make_strategy({.method = Method::ShineRefine});
    const HypergradResult rr = refine->compute(context(p, run, epsilon));
    EXPECT_LT(h_error(rr.q), previous) << "epsilon " << epsilon;
    previous = h_error(rr.q);
    RecordProperty("refine_relative_error_budget_" + std::to_string(rr.summary.cg_budget),
                   scientific(relative_error(rr.hypergradient, exact)));
    // It started from the SHINE q: its initial residual is that of B⁻¹∇f.
    const Vector residual = run.outer_gradient - H * rs.q;
    EXPECT_NEAR(rr.summary.initial_relative_residual, residual.norm() / run.outer_gradient.norm(),
                1e-10);
  }
  auto jf = make_strategy({.method = Method::JacobianFree});
  RecordProperty(
      "jacobian_free_relative_error",
      scientific(relative_error(jf->compute(context(p, run, 1e-6)).hypergradient, exact)));
}

INSTANTIATE_TEST_SUITE_P(Seeds, RidgeCase,
                         testing::Combine(testing::Values(Index{1}, Index{4}),
                                          testing::Values(std::uint64_t{7}, std::uint64_t{8},
                                                          std::uint64_t{9})));

// Sample weights in both losses (h = ½ Σ c_i r_i² + …, f = ½ Σ c'_i r'_i²): the weighted closed
// form is first checked by central differences of F(θ) = f(w*(θ)) with exact solves, then hoag,
// shine and shine-refine run on the weighted Hessian against it.
TEST(Ridge, WeightedSamplesMatchTheWeightedClosedForm) {
  const RidgeProblem p = test::make_ridge_problem(80, 20, 60, 3, 11, 0.0, /*weighted=*/true);
  const Vector exact = p.exact_hypergradient();
  Vector fd(p.groups());
  const double h = 1e-5;
  for (Index k = 0; k < p.groups(); ++k) {
    RidgeProblem plus = p;
    RidgeProblem minus = p;
    plus.theta[k] += h;
    minus.theta[k] -= h;
    Vector unused;
    fd[k] = (plus.outer_value(plus.exact_solution(), unused) -
             minus.outer_value(minus.exact_solution(), unused)) /
            (2.0 * h);
  }
  EXPECT_LE(relative_error(fd, exact), 1e-6);
  // The weights change the answer: without them the hypergradient is another vector.
  RidgeProblem unweighted = p;
  unweighted.c.setOnes();
  unweighted.c_val.setOnes();
  EXPECT_GT(relative_error(unweighted.exact_hypergradient(), exact), 1e-2);

  const RidgeRun run = solve(p, 1e-14);
  auto hoag = make_strategy({.method = Method::Hoag, .max_cg_iterations = 1000});
  const HypergradResult r = hoag->compute(context(p, run, 1e-13));
  EXPECT_LE(relative_error(r.hypergradient, exact), 1e-8);
  auto shine = make_strategy({.method = Method::Shine});
  auto refine = make_strategy({.method = Method::ShineRefine});
  const HypergradResult rs = shine->compute(context(p, run, 1e-6));
  const HypergradResult rr = refine->compute(context(p, run, 1e-6));
  EXPECT_TRUE(rs.hypergradient.allFinite());
  EXPECT_LE(relative_error(rr.hypergradient, exact),
            relative_error(rs.hypergradient, exact) * (1.0 + 1e-9));
}

TEST(Ridge, ShineIsExactWhenTheMemoryHoldsConjugatePairsSpanningTheSpace) {
  // With pairs (s_i, H s_i) along H-conjugate directions (here the eigenvectors of H) BFGS keeps
  // every secant equation (hereditary property), so d pairs give B⁻¹ = H⁻¹ exactly.
  const RidgeProblem p = test::make_ridge_problem(60, 12, 40, 3, 21);
  const Eigen::MatrixXd H = p.hessian();
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(H);
  RidgeRun run;
  run.solved.w = p.exact_solution();
  run.solved.memory = inner::LbfgsMemory(p.dim(), 30);
  for (Index i = 0; i < p.dim(); ++i) {
    const Vector s = eigen.eigenvectors().col(i);
    ASSERT_TRUE(run.solved.memory.add_pair(s, H * s));
  }
  p.outer_value(run.solved.w, run.outer_gradient);
  auto shine = make_strategy({.method = Method::Shine, .fallback = true});
  const HypergradResult r = shine->compute(context(p, run, 1e-6));
  EXPECT_LE(relative_error(r.hypergradient, p.exact_hypergradient()), 1e-10);
  EXPECT_EQ(r.summary.memory_pairs, p.dim());
  EXPECT_FALSE(r.summary.fallback_fired) << r.summary.fallback_reason;
  EXPECT_EQ(r.summary.hessian_products, 0);  // no pass over the data
}

TEST(Ridge, HoagWarmStartAndPreconditionerSaveIterations) {
  const RidgeProblem p = test::make_ridge_problem(80, 20, 60, 1, 7);
  const RidgeRun run = solve(p, 1e-10);
  auto hoag = make_strategy({.method = Method::Hoag, .max_cg_iterations = 1000});
  const HypergradResult cold = hoag->compute(context(p, run, 1e-10));
  ASSERT_EQ(cold.summary.termination, Termination::Converged);

  // Warm start from a nearby q (the previous outer iteration's, in the outer loop).
  const Vector nearby = cold.q + 1e-5 * cold.q.norm() * Vector::Ones(p.dim()) / std::sqrt(20.0);
  const HypergradResult warm = hoag->compute(context(p, run, 1e-10, &nearby));
  EXPECT_EQ(warm.summary.termination, Termination::Converged);
  EXPECT_LT(warm.summary.cg_iterations, cold.summary.cg_iterations);
  EXPECT_EQ(warm.summary.hessian_products, warm.summary.cg_iterations + 1);
  EXPECT_LT(warm.summary.initial_relative_residual, 1e-2);
  EXPECT_LE(relative_error(warm.hypergradient, cold.hypergradient), 1e-8);

  // Without cg_warm_start the previous q is ignored.
  auto no_warm =
      make_strategy({.method = Method::Hoag, .max_cg_iterations = 1000, .cg_warm_start = false});
  const HypergradResult ignored = no_warm->compute(context(p, run, 1e-10, &nearby));
  EXPECT_EQ(ignored.summary.cg_iterations, cold.summary.cg_iterations);

  // A previous q of the wrong size is ignored, and said so.
  const Vector wrong = Vector::Ones(3);
  const HypergradResult bad = hoag->compute(context(p, run, 1e-10, &wrong));
  EXPECT_EQ(bad.summary.cg_iterations, cold.summary.cg_iterations);
  EXPECT_NE(bad.summary.message.find("previous q ignored"), std::string::npos);

  // B⁻¹ of the inner solve as preconditioner.
  auto preconditioned = make_strategy({.method = Method::Hoag,
                                       .max_cg_iterations = 1000,
                                       .cg_warm_start = false,
                                       .cg_lbfgs_preconditioner = true});
  const HypergradResult pre = preconditioned->compute(context(p, run, 1e-10));
  EXPECT_EQ(pre.summary.termination, Termination::Converged);
  EXPECT_LT(pre.summary.cg_iterations, cold.summary.cg_iterations);
  EXPECT_EQ(pre.summary.memory_pairs, run.solved.memory.size());
  EXPECT_LE(relative_error(pre.hypergradient, cold.hypergradient), 1e-7);
}

TEST(Ridge, HoagBudgetGivesMaxIterationsAndAFiniteEstimate) {
  const RidgeProblem p = test::make_ridge_problem(80, 20, 60, 1, 8);
  const RidgeRun run = solve(p, 1e-10);
  auto hoag = make_strategy({.method = Method::Hoag, .max_cg_iterations = 3});
  const HypergradResult r = hoag->compute(context(p, run, 1e-12));
  EXPECT_EQ(r.summary.termination, Termination::MaxIterations);
  EXPECT_EQ(r.summary.cg_iterations, 3);
  EXPECT_EQ(r.summary.cg_budget, 3);
  EXPECT_TRUE(r.hypergradient.allFinite());
  EXPECT_FALSE(r.summary.fallback_fired);
  EXPECT_NE(r.summary.message.find("max_iterations"), std::string::npos) << r.summary.message;
}

TEST(Ridge, RefineBudgetFollowsTheOuterTolerance) {
  const RidgeProblem p = test::make_ridge_problem(80, 20, 60, 1, 9);
  const RidgeRun run = solve(p, 1e-10);
  // int(0.01/√ε): ε = 1e-2 → 0 → at least 1; 1e-6 → 10; 1e-8 → 100 → capped by max_cg = 40.
  const std::pair<double, int> cases[] = {{1e-2, 1}, {1e-4, 1}, {1e-6, 10}, {1e-8, 40}};
  for (const auto& [epsilon, budget] : cases) {
    auto refine = make_strategy({.method = Method::ShineRefine, .max_cg_iterations = 40});
    const HypergradResult r = refine->compute(context(p, run, epsilon));
    EXPECT_EQ(r.summary.cg_budget, budget) << "epsilon " << epsilon;
    EXPECT_LE(r.summary.cg_iterations, budget);
  }
  auto scaled = make_strategy({.method = Method::ShineRefine, .refine_scale = 0.05});
  EXPECT_EQ(scaled->compute(context(p, run, 1e-6)).summary.cg_budget, 50);  // 0.05/1e-3
}

}  // namespace
}  // namespace shine::hypergrad
