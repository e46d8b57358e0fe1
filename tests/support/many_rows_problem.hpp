#pragma once
/// @file
/// A tuning problem shaped like a9a and w8a: many rows, few features.

#include "shine/data/split.hpp"
#include "shine/outer/tune_problem.hpp"
#include "support/random_problems.hpp"

namespace shine::test {

/// 4,000 noisy rows with 30 features, split 80 / 10 / 10 (train / validation, no test set). Its
/// default tuning run records a `tighten` step (a convergence announced by a solve far above the
/// final level) and solves its accurate hypergradients directly (few features).
struct ManyRowsProblem {
  data::Split split;
  outer::TuneProblem problem;
  ManyRowsProblem()
      : split(data::split_dataset(random_dataset(4000, 30, 0.05, 0, 0.2),
                                  {.train = 0.8, .validation = 0.1, .test = 0.1, .seed = 0})) {
    problem.train = &split.train;
    problem.validation = &split.validation;
  }
  // `problem` points into `split`: not copyable or movable.
  ManyRowsProblem(const ManyRowsProblem&) = delete;
  ManyRowsProblem& operator=(const ManyRowsProblem&) = delete;
};

}  // namespace shine::test
