#pragma once
// Which build of the logistic batch kernel runs (logistic_loss.cpp), for the tests that compare
// the portable and AVX2 builds bit for bit.

namespace shine::objective::detail {

/// Runs the portable build even where AVX2 is available (true), or the best build again (false).
/// Not thread-safe against concurrent batches: for tests.
void force_portable_logistic(bool portable) noexcept;

/// Whether this processor runs the AVX2 build.
bool logistic_avx2_available() noexcept;

}  // namespace shine::objective::detail
