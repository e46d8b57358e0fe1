#pragma once
/// @file
/// The bi-level benchmark protocol of the SHINE paper (Ramzi et al., ICLR 2022, after Pedregosa's
/// HOAG, 2016) as data: the split, the options of every method, and their description. `shine
/// reproduce` runs it; a pipeline can run the same protocol on its own data:
///
/// ```cpp
/// const shine::data::Split parts = shine::data::split_dataset(data,
/// shine::outer::paper_split(seed)); shine::outer::TuneProblem problem{&parts.train,
/// &parts.validation, &parts.test}; auto result = shine::outer::tune(problem,
/// shine::outer::paper_options(TuneMethod::Hoag, seed));
/// ```

#include <cstdint>
#include <span>
#include <string>

#include "shine/data/split.hpp"
#include "shine/outer/tune_options.hpp"

namespace shine::outer {

/// The paper's split for `seed`: 90 % train, then the rest halved into the validation set (the
/// outer objective) and the held-out test set (only reported), shuffled by `seed`.
data::SplitOptions paper_split(std::uint64_t seed);

/// The paper's options for `method` and `seed`: w₀ ~ N(0, I) seeded by `seed`, λ₀ = 1, 29 outer
/// iterations (grid and random: 10 values of log λ in [−12, 12]), HOAG 2017's double adaptive
/// step, the papers' inner tolerance formula (`InnerToleranceRule::Paper`), the exponential
/// tolerance schedule from 1e-3 with ρ = 0.78 (0.9 for hoag), L-BFGS memory 30 for the SHINE
/// variants and jacobian-free and 10 for hoag, grid and random, H₀ = γI (no diagonal scaling).
/// Everything else is `TuneOptions`' default.
TuneOptions paper_options(TuneMethod method, std::uint64_t seed);

/// One line describing the protocol that `options` (the paper's options, possibly with the
/// iterations, candidates, step or H₀ changed) runs for every method, from the values in force,
/// e.g. "split 90/5/5 seeded per seed; w0 ~ N(0, I) seeded per seed; lambda0 = 1; 29 outer
/// iterations (...)".
std::string describe_protocol(const TuneOptions& options, const data::SplitOptions& split);

}  // namespace shine::outer
