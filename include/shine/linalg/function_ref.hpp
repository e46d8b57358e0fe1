#pragma once
/// @file
/// A non-owning reference to a callable, for callbacks that are invoked while the caller waits.
///
/// `std::function` may allocate and always copies its target; the kernels and the line search only
/// need to *call* a lambda that outlives the call, so they take a `FunctionRef`: two pointers,
/// no allocation, no copy of the target.

#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

namespace shine::linalg {

template <typename Signature>
class FunctionRef;

/// Non-owning, copyable reference to any callable with signature `R(Args...)`.
///
/// The referenced callable must outlive every call through the `FunctionRef` (bind it to a
/// temporary only as a function argument, never store it). Calling is as thread-safe as calling
/// the target itself.
template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
 public:
  /// Refers to `callable` (a lambda, a function object or a function).
  template <typename Callable>
  requires(!std::is_same_v<std::remove_cvref_t<Callable>, FunctionRef> &&
           std::is_invocable_r_v<R, Callable&, Args...>) FunctionRef(Callable&& callable)
  noexcept  // NOLINT(google-explicit-constructor)
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(callable)))),
        invoke_([](void* object, Args... args) -> R {
          using Target = std::remove_reference_t<Callable>;
          return std::invoke(*static_cast<Target*>(object), std::forward<Args>(args)...);
        }) {}

  /// Calls the referenced callable.
  R operator()(Args... args) const { return invoke_(object_, std::forward<Args>(args)...); }

 private:
  void* object_;
  R (*invoke_)(void*, Args...);
};

}  // namespace shine::linalg
