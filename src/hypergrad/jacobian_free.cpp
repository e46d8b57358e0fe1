// jacobian-free: q = ∇f, i.e. H⁻¹ replaced by the identity. Free, and exact only when H is a
// multiple of I; the direction is right when ∇f is close to an eigenvector of H.

#include <memory>

#include "hypergrad/strategy_impl.hpp"

namespace shine::hypergrad::detail {
namespace {

class JacobianFreeStrategy final : public Strategy {
 public:
  [[nodiscard]] Method method() const noexcept override { return Method::JacobianFree; }

  [[nodiscard]] HypergradResult compute(const HypergradContext& context) override {
    const Timer timer;
    HypergradResult result = begin(Method::JacobianFree, context, /*needs_hessian=*/false);
    result.q = context.outer_gradient;
    finish(context, timer, result);
    return result;
  }
};

}  // namespace

std::unique_ptr<Strategy> make_jacobian_free(const HypergradOptions& /*options*/) {
  return std::make_unique<JacobianFreeStrategy>();
}

}  // namespace shine::hypergrad::detail
