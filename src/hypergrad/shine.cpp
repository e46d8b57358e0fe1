// shine (Ramzi et al. 2022): q = B⁻¹∇f, the L-BFGS inverse-Hessian estimate left by the inner
// solve applied to the outer gradient. O(m·d), no pass over the data.

#include <memory>

#include "hypergrad/strategy_impl.hpp"

namespace shine::hypergrad::detail {
namespace {

class ShineStrategy final : public Strategy {
 public:
  explicit ShineStrategy(const HypergradOptions& options) : options_(options) {}

  [[nodiscard]] Method method() const noexcept override { return Method::Shine; }

  [[nodiscard]] HypergradResult compute(const HypergradContext& context) override {
    const Timer timer;
    HypergradResult result = begin(Method::Shine, context, /*needs_hessian=*/false);
    shine_direction(context, result);
    guard(options_, context, result);
    finish(context, timer, result);
    return result;
  }

 private:
  HypergradOptions options_;
};

}  // namespace

std::unique_ptr<Strategy> make_shine(const HypergradOptions& options) {
  return std::make_unique<ShineStrategy>(options);
}

}  // namespace shine::hypergrad::detail
