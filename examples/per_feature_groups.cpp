// One λ per feature group: here, groups by how often a feature occurs (frequent, medium, rare
// words get their own regularization), tuned together by hypergradients.
#include <algorithm>
#include <cstdio>
#include <shine/shine.hpp>
#include <vector>

int main() {
  const shine::data::Dataset all = shine::data::read_libsvm(SHINE_EXAMPLE_DATA);
  const shine::data::Split parts = shine::data::split_dataset(all, {.seed = 2});

  // Document frequency of each feature in the training part; the shipped file numbers features
  // by decreasing frequency, so contiguous ranges are frequency bands.
  const shine::Index d = parts.train.features();
  std::vector<std::int32_t> group_of(static_cast<std::size_t>(d));
  for (shine::Index j = 0; j < d; ++j) {
    group_of[static_cast<std::size_t>(j)] = j < 1000 ? 0 : (j < 20000 ? 1 : 2);
  }

  shine::outer::TuneProblem problem;
  problem.train = &parts.train;
  problem.validation = &parts.validation;
  problem.test = &parts.test;
  problem.group_of = group_of;
  problem.groups = 3;
  shine::TuneOptions options;
  options.method = shine::TuneMethod::ShineOpa;
  options.max_iterations = 6;
  options.lbfgs.max_iterations = 200;  // cap each inner solve: a tiny λ makes this data separable
  options.step.lower_bound = -8.0;     // λ ≥ 3.4e-4
  const shine::Tuned tuned = shine::tune(problem, options);
  const shine::outer::TuneResult& r = tuned.trajectory;
  if (!r.has_result) return 1;
  const char* names[] = {"frequent (1-1000)", "medium (1001-20000)", "rare (20001-)"};
  for (int k = 0; k < 3; ++k)
    std::printf("lambda %-20s = %.4g\n", names[k], tuned.lambdas[k]);
  std::printf("validation loss %.5f, test accuracy %.4f\n", r.validation_loss, r.test_accuracy);
  return 0;
}
