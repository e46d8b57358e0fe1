#pragma once
// Private to src/hypergrad: the factories of the five strategies and the steps they share.
//
// Every compute() follows the same outline:
//   begin()   check the context (sizes, callables), start the timer and the summary;
//   ...       the method's own q (B⁻¹∇f, CG, ∇f);
//   guard()   the optional fallback guard (SHINE variants);
//   finish()  the hypergradient −cross_derivative(w, q), with the non-finite safety net.

#include <memory>

#include "shine/core/timer.hpp"
#include "shine/hypergrad/hypergradient.hpp"

namespace shine::hypergrad::detail {

std::unique_ptr<Strategy> make_hoag(const HypergradOptions& options);
std::unique_ptr<Strategy> make_shine(const HypergradOptions& options);
std::unique_ptr<Strategy> make_shine_opa(const HypergradOptions& options);
std::unique_ptr<Strategy> make_shine_refine(const HypergradOptions& options);
std::unique_ptr<Strategy> make_jacobian_free(const HypergradOptions& options);

/// Checks the context for misuse (throws std::invalid_argument) and returns a result whose
/// summary has the method and tolerance set.
HypergradResult begin(Method method, const HypergradContext& context, bool needs_hessian);

/// result.q = B⁻¹∇f from context.memory; records the memory size and, for an empty memory, that
/// the result is the jacobian-free one.
void shine_direction(const HypergradContext& context, HypergradResult& result);

/// The optional fallback guard: when options.fallback and `fallback_reason` finds a reason,
/// q = ∇f and the summary records it (termination unchanged).
void guard(const HypergradOptions& options, const HypergradContext& context,
           HypergradResult& result);

/// Conjugate gradient on H q = ∇f from the current result.q (its size must be dim; zero for a
/// cold start), relative tolerance context.tolerance, at most `budget` iterations, optionally
/// preconditioned by context.memory. Fills the CG fields of the summary and its termination;
/// on a breakdown (NumericalError) q = ∇f and the fallback is reported.
void solve_cg(const HypergradContext& context, int budget, bool precondition,
              HypergradResult& result);

/// Appends a sentence to the summary's message.
void note(HypergradSummary& summary, const std::string& sentence);

/// The hypergradient from result.q, after replacing a non-finite q (or a q that gives a
/// non-finite hypergradient) by ∇f; sets data_passes and the wall time.
void finish(const HypergradContext& context, const Timer& timer, HypergradResult& result);

}  // namespace shine::hypergrad::detail
