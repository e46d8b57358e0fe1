// Names, options, the factory, the fallback guard and the handling of misuse and non-finite
// values, on tiny hand-made contexts.

#include "shine/hypergrad/hypergradient.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "shine/objective/inner_objective.hpp"
#include "support/fd_check.hpp"
#include "support/random_problems.hpp"

namespace shine::hypergrad {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr Method kAll[] = {Method::Hoag, Method::Shine, Method::ShineOpa, Method::ShineRefine,
                           Method::JacobianFree};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A context over H = diag(h) (k = 1, cross = wᵀq) with a given memory.
struct Diagonal {
  Vector h;
  Vector w;
  Vector g;
  inner::LbfgsMemory memory;
  HypergradContext context(double epsilon = 1e-8) const {
    return HypergradContext{
        w,
        g,
        memory,
        [this](const Vector& v, Vector& out) { out = h.cwiseProduct(v); },
        [](const Vector& a, const Vector& b) { return Vector::Constant(1, a.dot(b)); },
        epsilon};
  }
};

Diagonal diagonal() {
  Diagonal d;
  d.h = Vector::LinSpaced(4, 1.0, 4.0);
  d.w = Vector::Ones(4);
  d.g = Vector::LinSpaced(4, 1.0, 2.0);
  d.memory = inner::LbfgsMemory(4, 10);
  return d;
}

// ---------------------------------------------------------------------------------------------
// Names and options

TEST(HypergradNames, RoundTripAndUnknownNamesListTheValidOnes) {
  for (Method m : kAll)
    EXPECT_EQ(parse_method(to_string(m)), m);
  EXPECT_EQ(to_string(Method::ShineOpa), "shine-opa");
  EXPECT_EQ(to_string(Method::JacobianFree), "jacobian-free");
  try {
    (void)parse_method("shine_opa");
    FAIL() << "accepted an unknown name";
  } catch (const std::invalid_argument& e) {
    EXPECT_TRUE(contains(e.what(), "shine_opa")) << e.what();
    EXPECT_TRUE(contains(e.what(), "hoag, shine, shine-opa, shine-refine, jacobian-free"))
        << e.what();
  }
  EXPECT_TRUE(is_shine_variant(Method::ShineRefine));
  EXPECT_FALSE(is_shine_variant(Method::Hoag));
  EXPECT_FALSE(is_shine_variant(Method::JacobianFree));
}

TEST(HypergradOptions, DefaultsAreValidAndEveryRuleNamesItsField) {
  EXPECT_NO_THROW(HypergradOptions{}.validate());
  const auto message = [](HypergradOptions o) -> std::string {
    try {
      o.validate();
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_TRUE(
      contains(message({.max_cg_iterations = 0}), "HypergradOptions::max_cg_iterations = 0"));
  EXPECT_TRUE(contains(message({.refine_scale = 0.0}), "HypergradOptions::refine_scale = 0"));
  EXPECT_TRUE(contains(message({.refine_scale = kNaN}), "HypergradOptions::refine_scale"));
  EXPECT_TRUE(contains(message({.opa_every = -1}), "HypergradOptions::opa_every = -1"));
  EXPECT_TRUE(contains(message({.fallback_ratio = -2.0}), "HypergradOptions::fallback_ratio = -2"));
  EXPECT_TRUE(contains(message({.fallback_ratio = kInf}), "HypergradOptions::fallback_ratio"));
  EXPECT_TRUE(contains(message({.method = static_cast<Method>(42)}), "HypergradOptions::method"));
  EXPECT_THROW((void)make_strategy({.max_cg_iterations = -3}), std::invalid_argument);
}

TEST(HypergradFactory, MakesEachMethod) {
  for (Method m : kAll) {
    const auto strategy = make_strategy({.method = m});
    ASSERT_NE(strategy, nullptr);
    EXPECT_EQ(strategy->method(), m);
  }
}

// ---------------------------------------------------------------------------------------------
// The fallback guard

TEST(FallbackGuard, EachReasonIsFoundAndNamed) {
  const Vector g = Vector::Ones(4);  // ‖g‖ = 2
  EXPECT_FALSE(fallback_reason(g, g, 1.8).has_value());
  EXPECT_FALSE(fallback_reason(1.5 * g, g, 1.8).has_value());  // ‖q‖ = 3 ≤ 1.8·‖g‖ = 3.6

  Vector nan_q = g;
  nan_q[2] = kNaN;
  const auto nan_reason = fallback_reason(nan_q, g, 1.8);
  ASSERT_TRUE(nan_reason.has_value());
  EXPECT_TRUE(contains(*nan_reason, "not finite"));

  const auto negative = fallback_reason(-g, g, 1.8);
  ASSERT_TRUE(negative.has_value());
  EXPECT_TRUE(contains(*negative, "<= 0")) << *negative;
  Vector orthogonal = Vector::Zero(4);
  orthogonal << 1.0, -1.0, 1.0, -1.0;
  EXPECT_TRUE(fallback_reason(orthogonal, g, 1.8).has_value());  // qᵀg = 0 is not > 0

  const auto large = fallback_reason(4.0 * g, g, 1.8);  // ‖q‖ = 8 > 3.6
  ASSERT_TRUE(large.has_value());
  EXPECT_TRUE(contains(*large, "|q| = 8.000e+00 > 1.800e+00 |grad f| = 3.600e+00")) << *large;

  // ∇f = 0: the exact q is 0.
  EXPECT_FALSE(fallback_reason(Vector::Zero(4), Vector::Zero(4), 1.8).has_value());
  EXPECT_TRUE(fallback_reason(g, Vector::Zero(4), 1.8).has_value());
}

// A memory whose B⁻¹ is 100·I along the newest pair's direction (sᵀy/yᵀy = 100).
inner::LbfgsMemory inflated_memory() {
  inner::LbfgsMemory memory(4, 10);
  EXPECT_TRUE(memory.add_pair(Vector::Unit(4, 0), 0.01 * Vector::Unit(4, 0)));
  return memory;
}

TEST(FallbackGuard, NormRatioFiresOnEveryShineVariantWhenEnabled) {
  Diagonal d = diagonal();
  d.memory = inflated_memory();
  for (Method m : {Method::Shine, Method::ShineOpa, Method::ShineRefine}) {
    const auto off = make_strategy({.method = m});
    const HypergradResult unguarded = off->compute(d.context(1e-2));
    if (m != Method::ShineRefine) {
      EXPECT_GT(unguarded.q.norm(), 1.8 * d.g.norm());
    }
    EXPECT_FALSE(unguarded.summary.fallback_fired);

    const auto on = make_strategy({.method = m, .fallback = true});
    const HypergradResult guarded = on->compute(d.context(1e-2));
    EXPECT_TRUE(guarded.summary.fallback_fired) << to_string(m);
    EXPECT_TRUE(contains(guarded.summary.fallback_reason, "|q|"))
        << guarded.summary.fallback_reason;
    EXPECT_EQ(guarded.summary.termination,
              m == Method::ShineRefine ? guarded.summary.termination : Termination::Converged);
    EXPECT_TRUE(contains(guarded.summary.brief(), "[fallback: |q|"));
    if (m != Method::ShineRefine) {
      EXPECT_EQ(guarded.q, d.g);
      EXPECT_DOUBLE_EQ(guarded.hypergradient[0], -d.w.dot(d.g));
    } else {
      // refine starts CG from ∇f instead of the inflated SHINE q.
      EXPECT_NEAR(guarded.summary.initial_relative_residual,
                  (d.g - d.h.cwiseProduct(d.g)).norm() / d.g.norm(), 1e-12);
    }
  }
  // A higher ratio lets the same q through.
  const auto lenient =
      make_strategy({.method = Method::Shine, .fallback = true, .fallback_ratio = 1e3});
  EXPECT_FALSE(lenient->compute(d.context()).summary.fallback_fired);
}

TEST(FallbackGuard, HoagAndJacobianFreeIgnoreTheOption) {
  Diagonal d = diagonal();
  for (Method m : {Method::Hoag, Method::JacobianFree}) {
    const auto strategy = make_strategy({.method = m, .fallback = true, .fallback_ratio = 1e-3});
    EXPECT_FALSE(strategy->compute(d.context()).summary.fallback_fired) << to_string(m);
  }
}

// ---------------------------------------------------------------------------------------------
// Non-finite values and breakdowns are never returned silently

TEST(NonFinite, NanHessianProductsFallBackToTheOuterGradient) {
  Diagonal d = diagonal();
  HypergradContext context = d.context();
  context.hessian_vector = [](const Vector& v, Vector& out) {
    out = v;
    out[1] = kNaN;
  };
  for (Method m : {Method::Hoag, Method::ShineRefine}) {
    const auto strategy = make_strategy({.method = m});
    const HypergradResult r = strategy->compute(context);
    EXPECT_EQ(r.summary.termination, Termination::NumericalError) << to_string(m);
    EXPECT_TRUE(r.summary.fallback_fired);
    EXPECT_TRUE(contains(r.summary.fallback_reason, "CG")) << r.summary.fallback_reason;
    EXPECT_EQ(r.q, d.g);
    EXPECT_TRUE(r.hypergradient.allFinite());
  }
}

TEST(NonFinite, IndefiniteHessianIsABreakdownWithFallback) {
  Diagonal d = diagonal();
  d.h[0] = -1.0;
  const auto hoag = make_strategy({.method = Method::Hoag});
  const HypergradResult r = hoag->compute(d.context());
  EXPECT_EQ(r.summary.termination, Termination::NumericalError);
  EXPECT_TRUE(r.summary.fallback_fired);
  EXPECT_TRUE(contains(r.summary.fallback_reason, "p'Ap")) << r.summary.fallback_reason;
}

TEST(NonFinite, OverflowingCrossDerivativeIsReported) {
  Diagonal d = diagonal();
  HypergradContext context = d.context();
  // Finite for q = ∇f only: the safety net replaces q and succeeds.
  context.cross_derivative = [&d](const Vector& w, const Vector& q) {
    return Vector::Constant(1, q == d.g ? w.dot(q) : kInf);
  };
  const HypergradResult rescued = make_strategy({.method = Method::Hoag})->compute(context);
  EXPECT_EQ(rescued.summary.termination, Termination::NumericalError);
  EXPECT_TRUE(rescued.summary.fallback_fired);
  EXPECT_TRUE(rescued.hypergradient.allFinite());
  // Infinite for every q: reported, with the non-finite value left for the caller to reject.
  context.cross_derivative = [](const Vector&, const Vector&) { return Vector::Constant(1, kInf); };
  for (Method m : kAll) {
    const HypergradResult r = make_strategy({.method = m})->compute(context);
    EXPECT_EQ(r.summary.termination, Termination::NumericalError) << to_string(m);
    EXPECT_TRUE(contains(r.summary.message, "not finite")) << r.summary.message;
  }
}

TEST(NonFinite, NonFiniteInputsAreNumericalErrorsForEveryMethod) {
  Diagonal d = diagonal();
  d.g[3] = kNaN;
  for (Method m : kAll) {
    HypergradResult r;
    EXPECT_NO_THROW(r = make_strategy({.method = m})->compute(d.context())) << to_string(m);
    EXPECT_EQ(r.summary.termination, Termination::NumericalError) << to_string(m);
    EXPECT_TRUE(contains(r.summary.message, "w or grad f is not finite")) << r.summary.message;
  }
}

// ---------------------------------------------------------------------------------------------
// Plain behaviour on tiny contexts

TEST(HypergradMethods, EmptyMemoryMakesShineJacobianFreeAndSaysSo) {
  const Diagonal d = diagonal();
  for (Method m : {Method::Shine, Method::ShineOpa}) {
    const HypergradResult r = make_strategy({.method = m})->compute(d.context());
    EXPECT_TRUE(r.summary.empty_memory);
    EXPECT_EQ(r.summary.memory_pairs, 0);
    EXPECT_EQ(r.q, d.g);
    EXPECT_TRUE(contains(r.summary.message, "jacobian-free")) << r.summary.message;
    EXPECT_EQ(r.summary.termination, Termination::Converged);
  }
  const HypergradResult pre =
      make_strategy({.method = Method::Hoag, .cg_lbfgs_preconditioner = true})
          ->compute(d.context());
  EXPECT_TRUE(contains(pre.summary.message, "not preconditioned")) << pre.summary.message;
  EXPECT_EQ(pre.summary.termination, Termination::Converged);
}

TEST(HypergradMethods, ExactOnADiagonalHessian) {
  const Diagonal d = diagonal();
  const Vector exact_q = d.g.cwiseQuotient(d.h);
  const HypergradResult hoag = make_strategy({.method = Method::Hoag})->compute(d.context(1e-12));
  EXPECT_LE(test::relative_error(hoag.q, exact_q), 1e-11);
  EXPECT_DOUBLE_EQ(hoag.hypergradient[0], -d.w.dot(hoag.q));  // the sign convention
  EXPECT_LE(hoag.summary.cg_iterations, 4);
  EXPECT_EQ(hoag.summary.data_passes, 2 * hoag.summary.hessian_products);

  const HypergradResult jf = make_strategy({.method = Method::JacobianFree})->compute(d.context());
  EXPECT_EQ(jf.q, d.g);
  EXPECT_EQ(jf.summary.hessian_products, 0);
  EXPECT_EQ(jf.summary.relative_residual, -1.0);
  EXPECT_FALSE(jf.summary.brief().empty());
}

TEST(HypergradMethods, ZeroOuterGradientGivesAZeroHypergradient) {
  Diagonal d = diagonal();
  d.g.setZero();
  d.memory = inflated_memory();
  for (Method m : kAll) {
    const HypergradResult r = make_strategy({.method = m, .fallback = true})->compute(d.context());
    EXPECT_EQ(r.summary.termination, Termination::Converged) << to_string(m);
    EXPECT_FALSE(r.summary.fallback_fired) << to_string(m);
    EXPECT_TRUE(r.hypergradient.isZero(0.0)) << to_string(m);
  }
}

TEST(HypergradMethods, MisuseOfTheContextThrows) {
  const Diagonal d = diagonal();
  HypergradContext no_hessian = d.context();
  no_hessian.hessian_vector = nullptr;
  EXPECT_THROW((void)make_strategy({.method = Method::Hoag})->compute(no_hessian),
               std::invalid_argument);
  EXPECT_THROW((void)make_strategy({.method = Method::ShineRefine})->compute(no_hessian),
               std::invalid_argument);
  EXPECT_NO_THROW((void)make_strategy({.method = Method::Shine})->compute(no_hessian));

  HypergradContext no_cross = d.context();
  no_cross.cross_derivative = nullptr;
  EXPECT_THROW((void)make_strategy({.method = Method::Shine})->compute(no_cross),
               std::invalid_argument);

  const Vector short_gradient = Vector::Ones(3);
  const HypergradContext wrong_size{d.w, short_gradient, d.memory, d.context().hessian_vector,
                                    d.context().cross_derivative};
  try {
    (void)make_strategy({.method = Method::JacobianFree})->compute(wrong_size);
    FAIL() << "accepted a gradient of the wrong size";
  } catch (const std::invalid_argument& e) {
    EXPECT_TRUE(contains(e.what(), "HypergradContext::outer_gradient")) << e.what();
  }
  const inner::LbfgsMemory other(5, 3);
  inner::LbfgsMemory filled = other;
  ASSERT_TRUE(filled.add_pair(Vector::Ones(5), Vector::Ones(5)));
  const HypergradContext wrong_memory{d.w, d.g, filled, {}, d.context().cross_derivative};
  EXPECT_THROW((void)make_strategy({.method = Method::Shine})->compute(wrong_memory),
               std::invalid_argument);

  HypergradContext bad_tolerance = d.context();
  bad_tolerance.tolerance = 0.0;
  EXPECT_THROW((void)make_strategy({.method = Method::Hoag})->compute(bad_tolerance),
               std::invalid_argument);
}

TEST(LogisticContext, BindsTheHessianAndTheCrossDerivativeOfTheObjective) {
  const data::Dataset data = test::random_dataset(40, 6, 0.5, 3);
  const objective::InnerObjective objective(data, 0.3, objective::ObjectiveOptions{true, 1});
  const Vector w = test::random_vector(objective.dim(), 4);
  const objective::LogisticState state = objective.evaluate(w);
  const Vector g = test::random_vector(objective.dim(), 5);
  const inner::LbfgsMemory memory;
  const HypergradContext context = logistic_context(objective, state, g, memory, 1e-4);
  const Vector v = test::random_vector(objective.dim(), 6);
  Vector expected, got;
  objective.hessian_vector(state, v, expected);
  context.hessian_vector(v, got);
  EXPECT_EQ(got, expected);
  EXPECT_EQ(context.cross_derivative(w, v), objective.cross_derivative(w, v));
  EXPECT_EQ(&context.w, &state.w);
  EXPECT_EQ(context.tolerance, 1e-4);
  EXPECT_EQ(context.previous_q, nullptr);
}

}  // namespace
}  // namespace shine::hypergrad
