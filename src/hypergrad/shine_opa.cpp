// shine-opa (outer-problem awareness, Ramzi et al. 2022, §3.2): q = B⁻¹∇f as shine, but the inner
// solve is made aware of the outer problem. Every F inner iterations, before the search
// direction, the hook adds a secant pair along the direction SHINE will later invert:
//
//     d = ∇f(w_k);  e = B_k⁻¹d;  e ← e·‖s_newest‖/‖e‖;  ỹ = ∇h(w_k + e) − ∇h(w_k)  (or H e)
//     memory.add_pair(e, ỹ)       (kept only if ỹᵀe > ε‖e‖‖ỹ‖, the memory's curvature guard)
//
// so that B⁻¹ matches H⁻¹ along (nearly) the direction of ∇f at the solution. The pair also
// shapes the following inner steps, as in the reference.

#include <algorithm>
#include <cmath>
#include <memory>
#include <utility>

#include "hypergrad/strategy_impl.hpp"
#include "core/check.hpp"

namespace shine::hypergrad::detail {
namespace {

// The hook's state: the outer gradient, the frequency and the shared counters.
class OpaHook {
 public:
  OpaHook(std::function<void(const Vector&, Vector&)> outer_gradient, int every, bool exact,
          std::shared_ptr<OpaCounts> counts)
      : outer_gradient_(std::move(outer_gradient)),
        every_(every),
        exact_(exact),
        counts_(std::move(counts)) {}

  bool operator()(inner::IterationView& view) {
    if (view.iteration % every_ != 0) return false;
    const Timer timer;
    add_pair(view);
    counts_->seconds += timer.seconds();
    return false;  // never stops the solve
  }

 private:
  // Works in at most two d-vectors, released on return (the hook runs every F iterations; an
  // allocation costs far less than the two passes over the data it goes with).
  void add_pair(inner::IterationView& view) {
    inner::LbfgsMemory& memory = view.memory;
    Vector e;  // ∇f(w_k), then B_k⁻¹∇f(w_k) in place
    outer_gradient_(view.w, e);
    ++counts_->outer_gradient_evaluations;
    if (!e.allFinite() || e.isZero(0.0)) return;  // nothing to learn along a null direction

    memory.apply_inverse(e, e);
    const double e_norm = e.norm();
    if (!(e_norm > 0.0) || !std::isfinite(e_norm)) return;
    // Length of the pair: that of the newest step (a length the solver found meaningful at this
    // stage of the solve). Without any pair yet there is no such length; use the rule of the
    // solver's first step instead, at most unit length (min(1, 1/‖e‖)·e).
    const double length =
        memory.empty() ? std::min(e_norm, 1.0) : memory.s(memory.size() - 1).norm();
    e *= length / e_norm;

    Vector y;
    bool have_y = false;
    if (exact_) {
      have_y = view.objective.hessian_vector(e, y);
      if (have_y) ++counts_->hessian_products;
    }
    if (!have_y) {
      // ∇h(w_k + e) − ∇h(w_k): formed directly when the objective can, else from ∇h(w_k + e).
      if (!view.objective.gradient_change(e, y)) {
        const Vector w_plus = view.w + e;
        view.objective.evaluate_at(w_plus, &y);
        y -= view.gradient;
      }
      ++counts_->inner_gradient_evaluations;
    }
    ++counts_->pairs_offered;
    if (memory.add_pair(std::move(e), std::move(y))) ++counts_->pairs_accepted;
  }

  std::function<void(const Vector&, Vector&)> outer_gradient_;
  int every_;
  bool exact_;
  std::shared_ptr<OpaCounts> counts_;
};

class ShineOpaStrategy final : public Strategy {
 public:
  explicit ShineOpaStrategy(const HypergradOptions& options) : options_(options) {}

  [[nodiscard]] Method method() const noexcept override { return Method::ShineOpa; }

  [[nodiscard]] inner::IterationHook inner_hook(const InnerSolveContext& context) override {
    require(static_cast<bool>(context.outer_gradient), "InnerSolveContext::outer_gradient", "empty",
            "must be set for shine-opa");
    // A fresh counter per inner solve; a hook from an earlier call keeps its own.
    counts_ = std::make_shared<OpaCounts>();
    const int every = options_.opa_every > 0
                          ? options_.opa_every
                          : std::max(1, context.max_outer - context.outer_iteration);
    return OpaHook(context.outer_gradient, every, options_.opa_exact_hessian, counts_);
  }

  [[nodiscard]] HypergradResult compute(const HypergradContext& context) override {
    const Timer timer;
    HypergradResult result = begin(Method::ShineOpa, context, /*needs_hessian=*/false);
    result.summary.opa = *counts_;
    shine_direction(context, result);
    guard(options_, context, result);
    finish(context, timer, result);
    return result;
  }

 private:
  HypergradOptions options_;
  std::shared_ptr<OpaCounts> counts_ = std::make_shared<OpaCounts>();
};

}  // namespace

std::unique_ptr<Strategy> make_shine_opa(const HypergradOptions& options) {
  return std::make_unique<ShineOpaStrategy>(options);
}

}  // namespace shine::hypergrad::detail
