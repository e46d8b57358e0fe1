// hoag (Pedregosa 2016): q solves H q = ∇f by conjugate gradient to the relative tolerance ε_k,
// warm-started from the previous outer iteration's q. Cost: one Hessian-vector product (two
// passes over the training data) per CG iteration, plus one for the residual of a warm start.

#include <memory>

#include "hypergrad/strategy_impl.hpp"

namespace shine::hypergrad::detail {
namespace {

class HoagStrategy final : public Strategy {
 public:
  explicit HoagStrategy(const HypergradOptions& options) : options_(options) {}

  [[nodiscard]] Method method() const noexcept override { return Method::Hoag; }

  [[nodiscard]] HypergradResult compute(const HypergradContext& context) override {
    const Timer timer;
    HypergradResult result = begin(Method::Hoag, context, /*needs_hessian=*/true);
    const Index dim = context.w.size();
    const Vector* warm = context.previous_q;
    if (options_.cg_warm_start && warm != nullptr && warm->size() == dim && warm->allFinite()) {
      result.q = *warm;
    } else {
      if (options_.cg_warm_start && warm != nullptr) {
        note(result.summary, "previous q ignored (wrong size or not finite): CG starts at 0");
      }
      result.q = Vector::Zero(dim);
    }
    solve_cg(context, options_.max_cg_iterations, options_.cg_lbfgs_preconditioner, result);
    finish(context, timer, result);
    return result;
  }

 private:
  HypergradOptions options_;
};

}  // namespace

std::unique_ptr<Strategy> make_hoag(const HypergradOptions& options) {
  return std::make_unique<HoagStrategy>(options);
}

}  // namespace shine::hypergrad::detail
