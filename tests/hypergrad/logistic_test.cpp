// Every method's hypergradient on logistic bi-level problems, against central finite differences
// of F(θ) = f(w*(θ)) computed with tight inner solves (the independent oracle).
//
// Measured when these tests were written (random problems 250+150 × 30 and SpamAssassin
// 200+200 e-mails; inner solves to 1e-10 relative, m = 30):
//   hoag (ε = 1e-12)        relative error 2e-10 … 2e-9          asserted ≤ 1e-5
//   shine-opa (F = 5)       cosine ≥ 0.9995 for k > 1; for k = 1 rel. error ≤ 6e-3 without
//                           intercept, 2e-3 … 8e-2 with one    asserted cos ≥ 0.99, and
//                                                                rel. error ≤ 0.1 (k = 1, no b)
//   shine (no OPA)          relative error 0.002 … 0.4, cosine down to 0.96 (not asserted)
//   shine-refine (ε = 1e-6) relative error ≤ 5e-4, below shine's  asserted ≤ shine's
//   jacobian-free           relative error 0.1 … 0.95 (recorded as a test property only)

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include "shine/data/sample_weights.hpp"
#include "shine/hypergrad/hypergradient.hpp"
#include "support/fd_check.hpp"
#include "support/logistic_bilevel.hpp"
#include "support/small_real_problem.hpp"

namespace shine::hypergrad {
namespace {

using test::cosine;
using test::LogisticBilevel;
using test::relative_error;

// The hypergradient of each method at one θ, plus the oracle.
struct Measured {
  Vector finite_difference;
  Vector exact_q;  // hoag's q at ε = 1e-12: the reference for q errors
  HypergradResult hoag, shine, shine_opa, jacobian_free;
  HypergradResult refine[3];                    // ε = 1e-4, 1e-5, 1e-6: budgets 1, 3, 10
  std::function<double(const Vector&)> h_norm;  // ‖v‖_H at the plain solve's w
};

inner::LbfgsOptions method_solve_options() {
  inner::LbfgsOptions options;
  options.memory = 30;
  options.tolerance = 1e-10;
  return options;
}

Measured measure(LogisticBilevel& problem) {
  Measured m;
  m.finite_difference = problem.finite_difference_hypergradient();
  EXPECT_EQ(problem.unconverged_solves(), 0) << "the finite-difference oracle is not converged";

  const auto outer_gradient = [&](const Vector& w, Vector& g) {
    problem.outer().value_and_gradient(w, g);
  };

  // One plain solve shared by hoag, shine, shine-refine and jacobian-free; the adapter holds the
  // state at its w and is shared with the H-norm below.
  auto adapter = std::make_shared<inner::LogisticObjective>(problem.inner());
  const inner::InnerResult solved = problem.solve(*adapter, method_solve_options());
  EXPECT_EQ(solved.summary.termination, Termination::Converged) << solved.summary.brief();
  Vector g;
  problem.outer().value_and_gradient(solved.w, g);
  const auto run = [&](const HypergradOptions& options, double epsilon) {
    auto strategy = make_strategy(options);
    return strategy->compute(
        logistic_context(problem.inner(), adapter->state(), g, solved.memory, epsilon));
  };
  m.hoag = run({.method = Method::Hoag, .max_cg_iterations = 1000}, 1e-12);
  m.exact_q = m.hoag.q;
  m.shine = run({.method = Method::Shine}, 1e-6);
  m.jacobian_free = run({.method = Method::JacobianFree}, 1e-6);
  const double epsilons[3] = {1e-4, 1e-5, 1e-6};
  for (int i = 0; i < 3; ++i)
    m.refine[i] = run({.method = Method::ShineRefine}, epsilons[i]);
  m.h_norm = [adapter, &problem](const Vector& v) {
    Vector hv;
    problem.inner().hessian_vector(adapter->state(), v, hv);
    return std::sqrt(v.dot(hv));
  };

  // shine-opa with its own solve, as the outer loop would run it at outer iteration 25 of 30:
  // the reference rule then adds a pair every F = 30 − 25 = 5 inner iterations.
  auto opa = make_strategy({.method = Method::ShineOpa});
  inner::LogisticObjective opa_adapter(problem.inner());
  const inner::InnerResult opa_solved = problem.solve(
      opa_adapter, method_solve_options(),
      opa->inner_hook({.outer_gradient = outer_gradient, .outer_iteration = 25, .max_outer = 30}));
  EXPECT_EQ(opa_solved.summary.termination, Termination::Converged);
  Vector g_opa;
  problem.outer().value_and_gradient(opa_solved.w, g_opa);
  m.shine_opa = opa->compute(
      logistic_context(problem.inner(), opa_adapter.state(), g_opa, opa_solved.memory, 1e-6));
  EXPECT_EQ(m.shine_opa.summary.opa.pairs_offered, opa_solved.summary.iterations / 5 + 1);
  return m;
}

void record(const std::string& key, double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.3e", value);
  testing::Test::RecordProperty(key, text);
}

// The assertions shared by every problem. CG guarantees that refine's H-norm error of q falls with
// the budget; that its hypergradient error follows at every budget is only observed. With
// `refine_every_budget` false (a problem where one CG step does not show it) the hypergradient
// error is asserted at the largest budget only.
void check(const Measured& m, const std::string& label, bool intercept,
           bool refine_every_budget = true) {
  const Vector& fd = m.finite_difference;
  const bool groups = fd.size() > 1;
  for (const HypergradResult* r : {&m.hoag, &m.shine, &m.shine_opa, &m.jacobian_free, &m.refine[0],
                                   &m.refine[1], &m.refine[2]}) {
    EXPECT_TRUE(r->hypergradient.allFinite()) << r->summary.brief();
    EXPECT_FALSE(r->summary.fallback_fired) << r->summary.brief();
    EXPECT_EQ(r->hypergradient.size(), fd.size());
  }

  // hoag: the implicit-function hypergradient itself.
  EXPECT_EQ(m.hoag.summary.termination, Termination::Converged) << m.hoag.summary.brief();
  EXPECT_LE(relative_error(m.hoag.hypergradient, fd), 1e-5) << label;
  record(label + ".hoag.relative_error", relative_error(m.hoag.hypergradient, fd));

  // shine-opa: the right direction.
  const double opa_error = relative_error(m.shine_opa.hypergradient, fd);
  record(label + ".shine_opa.relative_error", opa_error);
  record(label + ".shine_opa.cosine", cosine(m.shine_opa.hypergradient, fd));
  EXPECT_GE(cosine(m.shine_opa.hypergradient, fd), 0.99) << label;  // k = 1: the right sign
  if (!groups && !intercept) {
    // For k = 1 the cosine says little: check the value too. With an (unpenalized) intercept the
    // value varies from 1e-6 to 0.2 with the inner trajectory (which pairs the memory keeps), so
    // only the direction is asserted there.
    EXPECT_LE(opa_error, 0.1) << label;
  }

  // shine-refine: CG can only reduce the H-norm error of the SHINE q, and more iterations
  // reduce it further; here the hypergradient error follows.
  const double shine_error = relative_error(m.shine.hypergradient, fd);
  record(label + ".shine.relative_error", shine_error);
  record(label + ".shine.cosine", cosine(m.shine.hypergradient, fd));
  double previous_h_error = m.h_norm(m.shine.q - m.exact_q);
  const int budgets[3] = {1, 3, 10};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(m.refine[i].summary.cg_budget, budgets[i]);
    const double h_error = m.h_norm(m.refine[i].q - m.exact_q);
    EXPECT_LT(h_error, previous_h_error) << label << " budget " << budgets[i];
    previous_h_error = h_error;
    if (refine_every_budget || i == 2) {
      EXPECT_LE(relative_error(m.refine[i].hypergradient, fd), shine_error * (1.0 + 1e-9))
          << label << " budget " << budgets[i];
    }
  }
  record(label + ".refine.relative_error", relative_error(m.refine[2].hypergradient, fd));

  // jacobian-free: no accuracy claim; its error is recorded.
  record(label + ".jacobian_free.relative_error",
         relative_error(m.jacobian_free.hypergradient, fd));
  record(label + ".jacobian_free.cosine", cosine(m.jacobian_free.hypergradient, fd));
}

struct RandomCase {
  const char* name;
  Index groups;
  double theta;
  bool intercept;
};

class LogisticRandom : public testing::TestWithParam<RandomCase> {};

TEST_P(LogisticRandom, MethodsAgainstFiniteDifferences) {
  const RandomCase c = GetParam();
  const auto [train, validation] = test::random_train_validation(250, 150, 30, 5);
  LogisticBilevel problem(train, validation, c.groups, c.theta, c.intercept);
  check(measure(problem), c.name, c.intercept);
}

INSTANTIATE_TEST_SUITE_P(Cases, LogisticRandom,
                         testing::Values(RandomCase{"one_lambda_intercept", 1, -2.0, true},
                                         RandomCase{"one_lambda", 1, 1.0, false},
                                         RandomCase{"four_groups_weak", 4, -2.0, false},
                                         RandomCase{"four_groups_strong_intercept", 4, 1.0, true}),
                         [](const testing::TestParamInfo<RandomCase>& param) {
                           return std::string(param.param.name);
                         });

// Sample weights on both sets: the inner loss, its Hessian and the outer loss are weighted, and
// every method is held to the same standard against the weighted problem's finite differences.
class LogisticWeighted : public testing::TestWithParam<RandomCase> {};

TEST_P(LogisticWeighted, MethodsAgainstFiniteDifferences) {
  const RandomCase c = GetParam();
  auto [train, validation] = test::random_train_validation(250, 150, 30, 7);
  const auto weights = [](Index rows, std::uint64_t seed) {
    return Vector(test::random_vector(rows, seed).array().abs() * 1.5 + 0.05);
  };
  data::set_sample_weights(train, weights(train.rows(), 71));
  data::set_sample_weights(validation, weights(validation.rows(), 72));
  LogisticBilevel problem(train, validation, c.groups, c.theta, c.intercept);
  // One CG step from SHINE's q lowers its H-norm error here but not its hypergradient error
  // (0.0099 against 0.0094 for one_lambda): the largest budget is held to it.
  check(measure(problem), std::string("weighted.") + c.name, c.intercept,
        /*refine_every_budget=*/false);
}

INSTANTIATE_TEST_SUITE_P(Cases, LogisticWeighted,
                         testing::Values(RandomCase{"one_lambda", 1, 0.5, false},
                                         RandomCase{"three_groups_intercept", 3, -1.0, true}),
                         [](const testing::TestParamInfo<RandomCase>& param) {
                           return std::string(param.param.name);
                         });

class LogisticSpamAssassin : public testing::TestWithParam<RandomCase> {};

TEST_P(LogisticSpamAssassin, MethodsAgainstFiniteDifferences) {
  const RandomCase c = GetParam();
  // 200 + 200 e-mails of the shipped set, restricted to the words they use.
  static const test::TrainValidation data = test::small_spamassassin(200, 200, 3);
  LogisticBilevel problem(data.train, data.validation, c.groups, c.theta, c.intercept);
  check(measure(problem), std::string("spamassassin.") + c.name, c.intercept);
}

INSTANTIATE_TEST_SUITE_P(Cases, LogisticSpamAssassin,
                         testing::Values(RandomCase{"one_lambda", 1, -1.0, false},
                                         RandomCase{"one_lambda_intercept", 1, -1.0, true},
                                         RandomCase{"two_groups", 2, -2.0, false}),
                         [](const testing::TestParamInfo<RandomCase>& param) {
                           return std::string(param.param.name);
                         });

}  // namespace
}  // namespace shine::hypergrad
