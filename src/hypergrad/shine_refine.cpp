// shine-refine: conjugate gradient on H q = ∇f started from the SHINE q = B⁻¹∇f, with the small
// budget int(refine_scale/√ε_k) (at least 1, at most max_cg_iterations) and the relative
// tolerance ε_k. CG minimizes the H-norm error ‖q − H⁻¹∇f‖_H over q₀ + Krylov space, so each
// iteration can only improve on the SHINE start in that norm; the euclidean residual, reported in
// the summary, usually drops too but is not monotone.

#include <algorithm>
#include <cmath>
#include <memory>

#include "hypergrad/strategy_impl.hpp"

namespace shine::hypergrad::detail {
namespace {

class ShineRefineStrategy final : public Strategy {
 public:
  explicit ShineRefineStrategy(const HypergradOptions& options) : options_(options) {}

  [[nodiscard]] Method method() const noexcept override { return Method::ShineRefine; }

  [[nodiscard]] HypergradResult compute(const HypergradContext& context) override {
    const Timer timer;
    HypergradResult result = begin(Method::ShineRefine, context, /*needs_hessian=*/true);
    shine_direction(context, result);
    guard(options_, context, result);
    if (!result.q.allFinite()) {
      // CG needs a finite start; the event is reported even though CG may repair it.
      result.q = context.outer_gradient;
      result.summary.fallback_fired = true;
      result.summary.fallback_reason = "the SHINE q is not finite: CG starts from grad f";
    }
    solve_cg(context, budget(context.tolerance), /*precondition=*/false, result);
    finish(context, timer, result);
    return result;
  }

 private:
  // int(refine_scale/√ε), clamped before the conversion so that a tiny ε cannot overflow it.
  [[nodiscard]] int budget(double tolerance) const {
    const double raw = options_.refine_scale / std::sqrt(tolerance);
    if (!(raw < options_.max_cg_iterations)) return options_.max_cg_iterations;
    return std::max(1, static_cast<int>(raw));
  }

  HypergradOptions options_;
};

}  // namespace

std::unique_ptr<Strategy> make_shine_refine(const HypergradOptions& options) {
  return std::make_unique<ShineRefineStrategy>(options);
}

}  // namespace shine::hypergrad::detail
