#include "shine/inner/lbfgs_solver.hpp"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "shine/objective/outer_objective.hpp"
#include "support/fd_check.hpp"
#include "support/random_problems.hpp"

namespace shine::inner {
namespace {

using objective::InnerObjective;
using objective::ObjectiveOptions;
using test::random_dataset;
using test::random_vector;
using test::relative_error;

// Newton's method with the Hessian formed densely and a backtracking line search: an independent
// reference for the optimum of a small problem.
Vector newton_solve(const InnerObjective& obj) {
  Vector w = Vector::Zero(obj.dim());
  for (int it = 0; it < 100; ++it) {
    const objective::LogisticState s = obj.evaluate(w);
    if (s.gradient_norm < 1e-13) break;
    Eigen::MatrixXd H(obj.dim(), obj.dim());
    Vector column;
    for (Index j = 0; j < obj.dim(); ++j) {
      obj.hessian_vector(s, Vector::Unit(obj.dim(), j), column);
      H.col(j) = column;
    }
    const Vector step = H.ldlt().solve(-s.gradient);
    double t = 1.0;
    while (obj.value(w + t * step) > s.value + 1e-4 * t * s.gradient.dot(step) && t > 1e-10) {
      t *= 0.5;
    }
    w += t * step;
  }
  return w;
}

bool honest(Termination t) {
  return t == Termination::Converged || t == Termination::MaxIterations ||
         t == Termination::LineSearchFailed;
}

class NewtonAgreement : public testing::TestWithParam<std::tuple<bool, bool>> {};

TEST_P(NewtonAgreement, LbfgsOptimumMatchesNewtonTo1e8) {
  const auto [intercept, diagonal] = GetParam();
  const data::Dataset data = random_dataset(80, 10, 0.4, 101);
  const InnerObjective obj(data, std::log(0.5), ObjectiveOptions{intercept, 1});
  const Vector w_newton = newton_solve(obj);
  ASSERT_LT(obj.evaluate(w_newton).gradient_norm, 1e-12);

  LbfgsOptions options;
  options.tolerance = 1e-10;
  options.tolerance_mode = ToleranceMode::Absolute;
  options.diagonal_scaling = diagonal;
  const InnerResult r = minimize(obj, Vector::Zero(obj.dim()), options);
  EXPECT_EQ(r.summary.termination, Termination::Converged) << r.summary.message;
  EXPECT_LE(r.summary.final_gradient_norm, options.tolerance);
  EXPECT_LT((r.w - w_newton).lpNorm<Eigen::Infinity>(), 1e-8);
  EXPECT_LT(relative_error(r.w, w_newton), 1e-8);
  EXPECT_NEAR(r.value, obj.value(w_newton), 1e-12 * r.value);
  EXPECT_EQ(r.memory.diagonal().size(), diagonal ? obj.dim() : 0);
}

INSTANTIATE_TEST_SUITE_P(InterceptAndDiagonalScaling, NewtonAgreement,
                         testing::Combine(testing::Bool(), testing::Bool()));

TEST(Lbfgs, DiagonalScalingHelpsBadlyScaledColumns) {
  // Columns scaled over four orders of magnitude, as word counts of rare and common words.
  data::Dataset raw = random_dataset(400, 60, 0.1, 120);
  Vector scale(60);
  for (Index j = 0; j < 60; ++j)
    scale[j] = std::pow(10.0, -2.0 + 4.0 * static_cast<double>(j) / 59);
  const data::Dataset data =
      data::make_dataset(SparseMatrix(raw.X * scale.asDiagonal()), raw.y, "scaled");
  const InnerObjective obj(data, std::log(0.01));
  LbfgsOptions options;
  options.tolerance = 1e-8;
  const InnerResult plain = minimize(obj, Vector::Zero(60), options);
  options.diagonal_scaling = true;
  const InnerResult scaled = minimize(obj, Vector::Zero(60), options);
  // Without scaling the 1000 iterations may not even suffice.
  EXPECT_TRUE(honest(plain.summary.termination)) << plain.summary.message;
  ASSERT_EQ(scaled.summary.termination, Termination::Converged) << scaled.summary.message;
  EXPECT_LT(2 * scaled.summary.iterations, plain.summary.iterations);
  EXPECT_LE(scaled.value, plain.value);
}

TEST(Lbfgs, ReturnedGradientMeetsTheToleranceInBothModes) {
  const data::Dataset data = random_dataset(200, 30, 0.2, 102);
  const InnerObjective obj(data, -2.0);
  const Vector w0 = random_vector(30, 103);
  for (const auto mode : {ToleranceMode::Absolute, ToleranceMode::Relative}) {
    LbfgsOptions options;
    options.tolerance_mode = mode;
    options.tolerance = 1e-7;
    const InnerResult r = minimize(obj, w0, options);
    ASSERT_EQ(r.summary.termination, Termination::Converged) << r.summary.message;
    const double tol =
        mode == ToleranceMode::Absolute ? 1e-7 : 1e-7 * obj.evaluate(w0).gradient_norm;
    EXPECT_DOUBLE_EQ(r.summary.tolerance, tol);
    // Independent re-evaluation of the returned point.
    EXPECT_LE(obj.evaluate(r.w).gradient_norm, tol * (1 + 1e-6));
    EXPECT_LE(r.gradient.norm(), tol);
    EXPECT_GT(r.summary.iterations, 0);
    EXPECT_GE(r.summary.data_passes, 2 * r.summary.iterations);
    EXPECT_NE(r.summary.brief().find("converged"), std::string::npos);
  }
}

TEST(Lbfgs, NewestPairEndsAtTheReturnedPoint) {
  const data::Dataset data = random_dataset(100, 15, 0.3, 104);
  const InnerObjective obj(data, 0.0, ObjectiveOptions{true, 0});
  std::vector<Vector> points;
  std::vector<Vector> gradients;
  const IterationHook record = [&](IterationView& view) {
    points.push_back(view.w);
    gradients.push_back(view.gradient);
    return false;
  };
  LbfgsOptions options;
  options.tolerance = 1e-8;
  const InnerResult r = minimize(obj, Vector::Zero(obj.dim()), options, {}, record);
  ASSERT_EQ(r.summary.termination, Termination::Converged);
  ASSERT_FALSE(r.memory.empty());
  ASSERT_GE(points.size(), 2U);
  // The returned point is the last iterate the hook saw, and the newest pair is its last step.
  EXPECT_EQ(r.w, points.back());
  const Vector& s = r.memory.s(r.memory.size() - 1);
  const Vector& y = r.memory.y(r.memory.size() - 1);
  const Vector step = points.back() - points[points.size() - 2];
  EXPECT_LE((s - step).norm(), 1e-14 * points.back().norm());
  EXPECT_EQ(y, gradients.back() - gradients[gradients.size() - 2]);
  // And y is the gradient change of the objective, re-evaluated independently.
  const Vector g_prev = obj.evaluate(points[points.size() - 2]).gradient;
  EXPECT_LE((y - (r.gradient - g_prev)).norm(), 1e-12 * g_prev.norm() + 1e-12);
  EXPECT_EQ(r.memory.dim(), obj.dim());
  EXPECT_EQ(r.memory.capacity(), options.memory);
}

TEST(Lbfgs, SeparableDataEndsHonestlyForAnyLambda) {
  const data::Dataset data = test::separable_dataset(60, 10, 0.4, 105);
  for (const double theta : {-12.0, -6.0, 0.0, 12.0}) {
    const InnerObjective obj(data, theta);
    LbfgsOptions options;
    options.tolerance = 1e-6;
    const InnerResult r = minimize(obj, Vector::Zero(10), options);
    EXPECT_TRUE(honest(r.summary.termination)) << theta << ": " << r.summary.brief();
    EXPECT_TRUE(r.w.allFinite()) << theta;
    EXPECT_TRUE(std::isfinite(r.value)) << theta;
    EXPECT_LE(r.value, r.summary.initial_value) << theta;
    if (theta >= -6.0) {
      EXPECT_EQ(r.summary.termination, Termination::Converged)
          << theta << ": " << r.summary.message;
    }
  }
}

TEST(Lbfgs, WarmStartAtTheOptimumStopsImmediately) {
  const data::Dataset data = random_dataset(100, 12, 0.3, 106);
  const InnerObjective obj(data, -1.0);
  LbfgsOptions options;
  options.tolerance = 1e-9;
  options.tolerance_mode = ToleranceMode::Absolute;
  const InnerResult first = minimize(obj, Vector::Zero(12), options);
  ASSERT_EQ(first.summary.termination, Termination::Converged);
  const InnerResult again = minimize(obj, first.w, options, first.memory);
  EXPECT_EQ(again.summary.termination, Termination::Converged);
  EXPECT_EQ(again.summary.iterations, 0);
  EXPECT_EQ(again.memory.size(), first.memory.size());  // the carried pairs are kept
}

TEST(Lbfgs, WarmMemoryCarriesAcrossNeighbouringProblems) {
  const data::Dataset data = random_dataset(300, 40, 0.15, 107);
  InnerObjective obj(data, -3.0);
  LbfgsOptions options;
  options.memory = 30;
  options.tolerance = 1e-6;
  const InnerResult first = minimize(obj, Vector::Zero(40), options);
  ASSERT_EQ(first.summary.termination, Termination::Converged);
  obj.set_theta(Vector::Constant(1, -2.8));
  const InnerResult cold = minimize(obj, first.w, options);
  const InnerResult warm = minimize(obj, first.w, options, first.memory);
  EXPECT_EQ(cold.summary.termination, Termination::Converged);
  EXPECT_EQ(warm.summary.termination, Termination::Converged);
  EXPECT_LT(relative_error(cold.w, warm.w), 1e-4);
  EXPECT_GE(warm.memory.size(), cold.memory.size());
  // A memory of another dimension is misuse.
  EXPECT_THROW((void)minimize(obj, first.w, options, LbfgsMemory(7, 3)), std::invalid_argument);
}

// A memory emptied by clear() keeps its storage; a solve started from it must be the solve of a
// new memory, bit for bit (the tuner reuses the last solve's memory this way when pairs are not
// carried), in every storage precision and with the diagonal H₀.
class ClearedMemoryReuse : public testing::TestWithParam<std::tuple<PairPrecision, bool>> {};

TEST_P(ClearedMemoryReuse, SolvesAsAFreshMemoryBitForBit) {
  const auto [precision, diagonal] = GetParam();
  const data::Dataset data = random_dataset(300, 40, 0.15, 111);
  InnerObjective obj(data, -3.0);
  LbfgsOptions options;
  options.memory = 5;  // filled and wrapped by the first solve
  options.tolerance = 1e-8;
  options.pair_precision = precision;
  options.diagonal_scaling = diagonal;
  const InnerResult first = minimize(obj, Vector::Zero(40), options);
  ASSERT_GT(first.summary.iterations, options.memory);
  obj.set_theta(Vector::Constant(1, -2.5));
  const Vector start = 0.5 * first.w;
  const InnerResult fresh = minimize(obj, start, options);
  LbfgsMemory spare = first.memory;
  spare.clear();
  const std::uint64_t revision = spare.revision();
  const InnerResult reused = minimize(obj, start, options, std::move(spare));
  EXPECT_GT(reused.memory.revision(), revision);
  ASSERT_EQ(reused.summary.iterations, fresh.summary.iterations);
  EXPECT_EQ(reused.summary.function_evaluations, fresh.summary.function_evaluations);
  EXPECT_EQ(reused.value, fresh.value);
  ASSERT_EQ(reused.w.size(), fresh.w.size());
  for (Index j = 0; j < fresh.w.size(); ++j)
    ASSERT_EQ(reused.w[j], fresh.w[j]) << j;
  ASSERT_EQ(reused.memory.size(), fresh.memory.size());
  const Vector g = random_vector(40, 112);
  Vector from_reused;
  Vector from_fresh;
  reused.memory.apply_inverse(g, from_reused);
  fresh.memory.apply_inverse(g, from_fresh);
  for (Index j = 0; j < g.size(); ++j)
    ASSERT_EQ(from_reused[j], from_fresh[j]) << j;
}

INSTANTIATE_TEST_SUITE_P(Precisions, ClearedMemoryReuse,
                         testing::Combine(testing::Values(PairPrecision::Double,
                                                          PairPrecision::Single,
                                                          PairPrecision::Half),
                                          testing::Bool()));

TEST(Lbfgs, HookSeesEveryIterateAndCanStop) {
  const data::Dataset data = random_dataset(100, 12, 0.3, 108);
  const InnerObjective obj(data, -1.0);
  std::vector<int> seen;
  const IterationHook record = [&](IterationView& view) {
    seen.push_back(view.iteration);
    EXPECT_EQ(view.w.size(), 12);
    EXPECT_NEAR(view.gradient_norm, view.gradient.norm(), 1e-12 * view.gradient_norm);
    return false;
  };
  const InnerResult r = minimize(obj, Vector::Zero(12), LbfgsOptions{}, {}, record);
  ASSERT_EQ(static_cast<int>(seen.size()), r.summary.iterations + 1);
  for (std::size_t k = 0; k < seen.size(); ++k)
    EXPECT_EQ(seen[k], static_cast<int>(k));

  const IterationHook stop_at_3 = [](IterationView& view) { return view.iteration == 3; };
  const InnerResult stopped = minimize(obj, Vector::Zero(12), LbfgsOptions{}, {}, stop_at_3);
  EXPECT_EQ(stopped.summary.termination, Termination::StoppedByObserver);
  EXPECT_EQ(stopped.summary.iterations, 3);
  EXPECT_TRUE(stopped.w.allFinite());
}

TEST(Lbfgs, HookCanInsertOuterAwareSecantPairs) {
  // SHINE-OPA as a hook: along the outer gradient d, e = B⁻¹d scaled to the last step's length,
  // ỹ = H e (exact Hessian-vector product), pushed when the curvature test passes.
  const data::Dataset train = random_dataset(200, 25, 0.2, 109);
  const data::Dataset heldout = random_dataset(80, 25, 0.2, 110);
  const InnerObjective obj(train, -1.0);
  const objective::OuterObjective outer(heldout);
  int pushed = 0;
  const IterationHook opa = [&](IterationView& view) {
    if (view.iteration == 0 || view.memory.empty()) return false;
    Vector d;
    (void)outer.value_and_gradient(view.w, d);
    Vector e;
    view.memory.apply_inverse(d, e);
    const double last = view.memory.s(view.memory.size() - 1).norm();
    e *= last / e.norm();
    Vector ye;
    if (!view.objective.hessian_vector(e, ye)) return false;
    if (view.memory.add_pair(e, ye)) ++pushed;
    return false;
  };
  LbfgsOptions options;
  options.tolerance = 1e-7;
  const InnerResult r = minimize(obj, Vector::Zero(25), options, {}, opa);
  EXPECT_EQ(r.summary.termination, Termination::Converged) << r.summary.message;
  EXPECT_GT(pushed, 0);
  EXPECT_EQ(r.summary.hessian_products, pushed);
  EXPECT_LE(r.gradient.norm(), r.summary.tolerance);
}

TEST(Lbfgs, BudgetsEndWithTheirStatus) {
  const data::Dataset data = random_dataset(100, 12, 0.3, 111);
  const InnerObjective obj(data, -1.0);
  const Vector w0 = random_vector(12, 112);
  LbfgsOptions options;
  options.max_iterations = 0;
  InnerResult r = minimize(obj, w0, options);
  EXPECT_EQ(r.summary.termination, Termination::MaxIterations);
  EXPECT_EQ(r.w, w0);
  options.max_iterations = 3;
  r = minimize(obj, w0, options);
  EXPECT_EQ(r.summary.termination, Termination::MaxIterations);
  EXPECT_EQ(r.summary.iterations, 3);
  options = LbfgsOptions{};
  options.time_limit = 1e-300;
  r = minimize(obj, w0, options);
  EXPECT_EQ(r.summary.termination, Termination::TimeLimit);
  EXPECT_TRUE(r.w.allFinite());
}

TEST(Lbfgs, IdentityInitialHessianAlsoConverges) {
  const data::Dataset data = random_dataset(150, 20, 0.2, 113);
  const InnerObjective obj(data, 0.0);
  LbfgsOptions options;
  options.initial_hessian = InitialHessian::Identity;
  options.tolerance = 1e-8;
  const InnerResult r = minimize(obj, Vector::Zero(20), options);
  EXPECT_EQ(r.summary.termination, Termination::Converged) << r.summary.message;
  EXPECT_EQ(r.memory.initial_hessian(), InitialHessian::Identity);
  EXPECT_EQ(r.memory.gamma(), 1.0);
}

TEST(Lbfgs, ResultIsIdenticalForOneTwoAndFourThreads) {
  const data::Dataset data = random_dataset(3000, 300, 0.03, 114);
  for (const PairPrecision precision :
       {PairPrecision::Double, PairPrecision::Single, PairPrecision::Half}) {
    for (const bool diagonal : {false, true}) {
      Vector reference;
      for (const int threads : {1, 2, 4}) {
        const InnerObjective obj(data, -2.0, ObjectiveOptions{true, threads});
        LbfgsOptions options;
        options.tolerance = 1e-8;
        options.pair_precision = precision;
        options.diagonal_scaling = diagonal;
        options.num_threads = threads;
        const InnerResult r = minimize(obj, Vector::Zero(obj.dim()), options);
        ASSERT_EQ(r.summary.termination, Termination::Converged);
        if (threads == 1) {
          reference = r.w;
        } else {
          EXPECT_EQ(r.w, reference) << threads << " threads, " << to_string(precision);
        }
      }
    }
  }
}

// Rounded pairs change the directions, not the point the solver converges to (it stops on the
// true gradient), and cost few extra iterations.
TEST(Lbfgs, NarrowPairsConvergeToTheSameOptimum) {
  const data::Dataset data = random_dataset(2000, 400, 0.05, 115);
  const InnerObjective obj(data, -3.0);
  for (const bool diagonal : {false, true}) {
    LbfgsOptions options;
    options.memory = 30;
    options.tolerance = 1e-9;
    options.diagonal_scaling = diagonal;
    const InnerResult exact = minimize(obj, Vector::Zero(obj.dim()), options);
    ASSERT_EQ(exact.summary.termination, Termination::Converged);
    for (const PairPrecision precision : {PairPrecision::Single, PairPrecision::Half}) {
      options.pair_precision = precision;
      const InnerResult r = minimize(obj, Vector::Zero(obj.dim()), options);
      ASSERT_EQ(r.summary.termination, Termination::Converged) << r.summary.message;
      EXPECT_EQ(r.memory.pair_precision(), precision);
      EXPECT_LE(obj.evaluate(r.w).gradient_norm, r.summary.tolerance * (1 + 1e-6));
      EXPECT_LT((r.w - exact.w).norm(), 1e-6 * exact.w.norm()) << to_string(precision);
      EXPECT_LE(r.summary.iterations, exact.summary.iterations * 3 / 2 + 5)
          << to_string(precision) << " " << diagonal;
    }
  }
}

TEST(Lbfgs, RosenbrockThroughACallable) {
  CallableObjective rosenbrock(2, [](const Vector& x, Vector& g) {
    const double a = 1.0 - x[0];
    const double b = x[1] - x[0] * x[0];
    g[0] = -2.0 * a - 400.0 * x[0] * b;
    g[1] = 200.0 * b;
    return a * a + 100.0 * b * b;
  });
  LbfgsOptions options;
  options.tolerance = 1e-10;
  options.tolerance_mode = ToleranceMode::Absolute;
  const InnerResult r = minimize(rosenbrock, Vector::Constant(2, -1.2), options);
  EXPECT_EQ(r.summary.termination, Termination::Converged) << r.summary.message;
  EXPECT_NEAR(r.w[0], 1.0, 1e-8);
  EXPECT_NEAR(r.w[1], 1.0, 1e-8);
  EXPECT_EQ(r.summary.data_passes, 0);
}

TEST(Lbfgs, NonFiniteObjectivesNeverGiveNaN) {
  // NaN outside the unit ball: the line search must stay inside and the result stay finite.
  CallableObjective fenced(3, [](const Vector& x, Vector& g) {
    if (x.norm() >= 1.0) {
      g.setConstant(std::numeric_limits<double>::quiet_NaN());
      return std::numeric_limits<double>::quiet_NaN();
    }
    const Vector c = Vector::Constant(3, 0.5);
    g = 2.0 * (x - c);
    return (x - c).squaredNorm();
  });
  const InnerResult r = minimize(fenced, Vector::Zero(3), LbfgsOptions{});
  EXPECT_TRUE(r.w.allFinite());
  EXPECT_TRUE(std::isfinite(r.value));
  EXPECT_EQ(r.summary.termination, Termination::Converged) << r.summary.message;

  CallableObjective broken(2, [](const Vector&, Vector& g) {
    g.setConstant(1.0);
    return std::numeric_limits<double>::quiet_NaN();
  });
  const Vector w0 = Vector::Ones(2);
  const InnerResult bad = minimize(broken, w0, LbfgsOptions{});
  EXPECT_EQ(bad.summary.termination, Termination::NumericalError);
  EXPECT_EQ(bad.w, w0);
}

TEST(Lbfgs, LineSearchFailureIsAStatus) {
  // A gradient that lies (points uphill): no step decreases the function.
  CallableObjective liar(2, [](const Vector& x, Vector& g) {
    g = -x - Vector::Ones(2);
    return x.squaredNorm();
  });
  const InnerResult r = minimize(liar, Vector::Ones(2), LbfgsOptions{});
  EXPECT_EQ(r.summary.termination, Termination::LineSearchFailed) << r.summary.message;
  EXPECT_EQ(r.w, Vector::Ones(2));
}

TEST(LbfgsOptions, ValidationNamesFieldValueAndRule) {
  const auto message = [](const LbfgsOptions& o) {
    try {
      o.validate();
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(message(LbfgsOptions{}), "");
  LbfgsOptions o;
  o.memory = 0;
  EXPECT_EQ(message(o), "LbfgsOptions::memory = 0: must be in [1, 1000]");
  o = LbfgsOptions{};
  o.c2 = 1e-5;
  EXPECT_EQ(message(o), "LbfgsOptions::c2 = 1.0000000000000001e-05: must be in (c1, 1)");
  o = LbfgsOptions{};
  o.tolerance = -1.0;
  EXPECT_NE(message(o).find("LbfgsOptions::tolerance = -1"), std::string::npos);
  o = LbfgsOptions{};
  o.max_linesearch = 0;
  EXPECT_NE(message(o).find("max_linesearch"), std::string::npos);
  o = LbfgsOptions{};
  o.curvature_epsilon = 1.0;
  EXPECT_NE(message(o).find("curvature_epsilon"), std::string::npos);
  o = LbfgsOptions{};
  o.time_limit = 0.0;
  EXPECT_NE(message(o).find("time_limit"), std::string::npos);
  o = LbfgsOptions{};
  o.max_iterations = -1;
  EXPECT_NE(message(o).find("max_iterations"), std::string::npos);
  // minimize validates before touching the objective.
  const data::Dataset data = random_dataset(10, 3, 0.5, 115);
  const InnerObjective obj(data, 0.0);
  o.max_iterations = -1;
  EXPECT_THROW((void)minimize(obj, Vector::Zero(3), o), std::invalid_argument);
  EXPECT_THROW((void)minimize(obj, Vector::Zero(4), LbfgsOptions{}), std::invalid_argument);
  Vector nan_w0 = Vector::Zero(3);
  nan_w0[1] = std::nan("");
  EXPECT_THROW((void)minimize(obj, nan_w0, LbfgsOptions{}), std::invalid_argument);
  EXPECT_EQ(to_string(InitialHessian::Identity), "identity");
  EXPECT_EQ(to_string(ToleranceMode::Relative), "relative");
}

}  // namespace
}  // namespace shine::inner
