// Uses an installed shine: load the shipped dataset, split it, tune lambda, check the result.
#include <cmath>
#include <cstdio>
#include <shine/shine.hpp>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: consumer DATASET\n");
    return 2;
  }
  const shine::data::Dataset all = shine::data::read_libsvm(argv[1]);
  const shine::data::Split parts = shine::data::split_dataset(all, {.seed = 3});
  shine::outer::TuneProblem problem;
  problem.train = &parts.train;
  problem.validation = &parts.validation;
  problem.test = &parts.test;
  const shine::outer::TuneResult result =
      shine::outer::tune(problem, {.method = shine::outer::TuneMethod::Shine, .max_iterations = 8});
  std::printf("lambda %.4g, validation loss %.4f, test accuracy %.4f\n", result.lambda[0],
              result.validation_loss, result.test_accuracy);
  const bool ok = result.has_result && std::isfinite(result.validation_loss) &&
                  result.test_accuracy > 0.9;
  return ok ? 0 : 1;
}
