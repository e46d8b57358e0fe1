// The batched logistic terms (logistic_kernels.hpp), in a portable build and an AVX2 build chosen
// at run time.
//
// Sources and constants. exp: the argument reduction x = k ln2 + r of W. J. Cody and W. Waite,
// Software Manual for the Elementary Functions (Prentice-Hall, 1980), with ln2 split into a
// 42-bit head (k·head is exact for |k| < 2^11) and the double nearest the rest. log1p: the
// reduction of 1 + f to [√2/2, √2] and log(1 + f) = 2 atanh(f / (2 + f)), the series of J.-M.
// Muller, Elementary Functions: Algorithms and Implementation (Birkhäuser, 3rd ed., 2016). The
// polynomial coefficients are our own: Chebyshev fits (mpmath 1.3, 50 digits) of
// Q(r) = (exp(r) − 1 − r)/r² on [−ln2/2, ln2/2] (degree 9, error 1.1e-16, so r²Q errs by 1.3e-17)
// and P(z) = 2(atanh(√z)/√z − 1)/z on [0, ((√2 − 1)/(√2 + 1))²] (degree 6, error 3.1e-16, so the
// logarithm errs by less than 5e-18 relative), rounded to double.

#include "objective/logistic_kernels.hpp"

#include <atomic>

namespace shine::objective::kernels {
namespace {

using D4 = double __attribute__((vector_size(32)));
using I4 = long long __attribute__((vector_size(32)));  // comparison results
using U4 = unsigned long long __attribute__((vector_size(32)));

constexpr double kRoundShift = 0x1.8p52;  // x + 1.5·2^52 − 1.5·2^52 rounds x to an integer
constexpr double kLog2e = 0x1.71547652b82fep+0;
constexpr double kLn2Hi = 0x1.62e42fefa38p-1;    // ln2 to 42 significant bits
constexpr double kLn2Lo = 0x1.ef35793c7673p-45;  // ln2 − kLn2Hi, rounded
constexpr double kSqrt2 = 0x1.6a09e667f3bcdp+0;
constexpr double kExpFloor = -746.0;  // exp(−746) < 2^-1075: rounds to 0
constexpr int kExpQDegree = 9;
constexpr double kExpQ[kExpQDegree + 1] = {
    0x1.0000000000001p-1,  0x1.5555555555556p-3,  0x1.5555555553d63p-5,  0x1.11111111109b3p-7,
    0x1.6c16c1788bd90p-10, 0x1.a01a01a7c41d5p-13, 0x1.a019b90d2ae7ap-16, 0x1.71de0dae63bb3p-19,
    0x1.289185613a3d6p-22, 0x1.af38a9b0ec855p-26};
constexpr int kLogPDegree = 6;
constexpr double kLogP[kLogPDegree + 1] = {
    0x1.5555555555558p-1, 0x1.99999999952d7p-2, 0x1.2492492df281ap-2, 0x1.c71c62e3f11e6p-3,
    0x1.7462b51cb66b1p-3, 0x1.39fe51a7c18f9p-3, 0x1.2b5900de53b32p-3};

namespace portable {
#include "objective/logistic_kernels_body.inc"
}  // namespace portable

// GCC and Clang compile this part for AVX2 whatever the build's -march; it runs only where the
// processor reports AVX2 (best below).
#if defined(__x86_64__) && defined(__GNUC__)
#define SHINE_LOGISTIC_AVX2 1
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2")
#endif
namespace avx2 {
#include "objective/logistic_kernels_body.inc"
}  // namespace avx2
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#endif

using Kernel = void (*)(const double*, Index, double*, double*, double*) noexcept;

struct Table {
  const char* name;
  Kernel terms;
};

constexpr Table kPortable{"portable", portable::logistic_terms};
#ifdef SHINE_LOGISTIC_AVX2
constexpr Table kAvx2{"avx2", avx2::logistic_terms};
#endif

const Table* best() noexcept {
#ifdef SHINE_LOGISTIC_AVX2
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) return &kAvx2;
#endif
  return &kPortable;
}

std::atomic<const Table*>& active() noexcept {
  static std::atomic<const Table*> table{best()};
  return table;
}

}  // namespace

void logistic_terms(const double* margins, Index n, double* loss, double* sigma_neg,
                    double* curvature) noexcept {
  active().load(std::memory_order_relaxed)->terms(margins, n, loss, sigma_neg, curvature);
}

const char* isa() noexcept {
  return active().load(std::memory_order_relaxed)->name;
}

bool avx2_available() noexcept {
  return best() != &kPortable;
}

void force_portable(bool portable) noexcept {
  active().store(portable ? &kPortable : best(), std::memory_order_relaxed);
}

}  // namespace shine::objective::kernels
