#pragma once
// The logistic loss terms of many samples at once: the per-sample work of every data pass of the
// inner and outer objectives, the held-out metrics and the model's probabilities.
//
// The scalar functions of logistic_loss.hpp call the C library's exp and log1p once per sample;
// on data with few non-zeros per row (a9a, w8a) those calls are a fifth of a tuning run, and on
// 20news a tenth of an L-BFGS iteration. The kernels here compute the same quantities four
// samples at a time with their own exp and log1p (logistic_kernels.cpp): about three times
// faster with AVX2, within a few units in the last place of the scalar functions (the tests
// check loss, σ(−m) and curvature against them and against long double), and independent of the
// C library: the same bits on every machine.
//
// Every margin is processed by the same sequence of IEEE operations whatever its position in the
// array (a short tail is padded to four lanes), so a sample's terms do not depend on how the rows
// are split into chunks or threads. A portable build and an AVX2 build exist, chosen at run time;
// they perform the same operations (no fused multiply-add) and give identical results.

#include <algorithm>

#include "shine/core/types.hpp"
#include "shine/objective/logistic_loss.hpp"

namespace shine::objective::kernels {

/// For i < n, with m = margins[i]: loss[i] = log(1 + exp(−m)), sigma_neg[i] = σ(−m) and
/// curvature[i] = σ(m)σ(−m), as logistic_terms(m) defines them (overflow-safe; ±∞ give the limits,
/// NaN propagates). No output may be null; outputs must not overlap `margins`.
void logistic_terms(const double* margins, Index n, double* loss, double* sigma_neg,
                    double* curvature) noexcept;

/// Rows per block of for_each_logistic_terms.
inline constexpr Index kTermsBlock = 256;

/// For the rows i of [begin, end) in increasing order: the terms at margin_at(i), handed to
/// visit(i, terms). The margins are computed for a block of rows first (margin_at(i) in increasing
/// i), then the block's terms by logistic_terms, then visited; margin_at may store what it
/// computes, visit may read what margin_at stored.
template <typename MarginAt, typename Visit>
inline void for_each_logistic_terms(Index begin, Index end, MarginAt&& margin_at, Visit&& visit) {
  double m[kTermsBlock];
  double loss[kTermsBlock];
  double sigma_neg[kTermsBlock];
  double curvature[kTermsBlock];
  for (Index b = begin; b < end; b += kTermsBlock) {
    const Index len = std::min(kTermsBlock, end - b);
    for (Index k = 0; k < len; ++k)
      m[k] = margin_at(b + k);
    logistic_terms(m, len, loss, sigma_neg, curvature);
    for (Index k = 0; k < len; ++k)
      visit(b + k, LogisticTerms{loss[k], sigma_neg[k], curvature[k]});
  }
}

/// The instruction set of the kernels in use: "avx2" or "portable".
const char* isa() noexcept;
/// Whether the AVX2 kernels can run on this processor.
bool avx2_available() noexcept;
/// Selects the kernels: the portable ones when `portable` is true, else the fastest available
/// (the default). For tests; not thread-safe with running passes.
void force_portable(bool portable) noexcept;

}  // namespace shine::objective::kernels
