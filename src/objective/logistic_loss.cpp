// The logistic loss's scalar functions and its batch kernel (logistic_loss.hpp), on the
// library's own exponential and logarithm (logistic_kernel_body.inc): one portable build and one
// AVX2 build that round alike, chosen once by the processor. The scalar functions run the
// portable kernel on one lane, so every caller, batched or not, gets the same bits for the same
// margin on every machine.
#include "shine/objective/logistic_loss.hpp"

#include <atomic>
#include <cstdint>

#include "objective/logistic_dispatch.hpp"

namespace shine::objective {
namespace {

namespace portable {
using D4 = double __attribute__((vector_size(32)));
using I4 = std::int64_t __attribute__((vector_size(32)));
#include "objective/logistic_kernel_body.inc"
}  // namespace portable

#if defined(__x86_64__) && defined(__GNUC__)
#define SHINE_LOGISTIC_AVX2 1
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2")
#endif
namespace avx2 {
using D4 = double __attribute__((vector_size(32)));
using I4 = std::int64_t __attribute__((vector_size(32)));
#include "objective/logistic_kernel_body.inc"
}  // namespace avx2
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#endif

using Batch = void (*)(const double*, Index, double*, double*, double*);

Batch best_batch() noexcept {
#ifdef SHINE_LOGISTIC_AVX2
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) return avx2::logistic_terms_batch;
#endif
  return portable::logistic_terms_batch;
}

std::atomic<Batch>& active_batch() noexcept {
  static std::atomic<Batch> batch{best_batch()};
  return batch;
}

LogisticTerms one(double m) noexcept {
  portable::D4 loss;
  portable::D4 sigma_neg;
  portable::D4 curvature;
  portable::logistic_terms4(portable::splat(m), loss, sigma_neg, curvature);
  return {loss[0], sigma_neg[0], curvature[0]};
}

}  // namespace

LogisticTerms logistic_terms(double m) noexcept {
  return one(m);
}

void logistic_terms(const double* m, Index n, double* loss, double* sigma_neg,
                    double* curvature) noexcept {
  active_batch().load(std::memory_order_relaxed)(m, n, loss, sigma_neg, curvature);
}

double softplus(double t) noexcept {
  return one(-t).loss;
}

double sigmoid(double t) noexcept {
  return one(-t).sigma_neg;
}

namespace detail {

void force_portable_logistic(bool portable) noexcept {
  active_batch().store(portable ? portable::logistic_terms_batch : best_batch(),
                       std::memory_order_relaxed);
}

bool logistic_avx2_available() noexcept {
  return best_batch() != portable::logistic_terms_batch;
}

}  // namespace detail
}  // namespace shine::objective
