// Uses shine from another project: load the shipped dataset, tune lambda, predict, check.
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
  shine::TuneOptions options;
  options.method = shine::TuneMethod::Shine;
  options.max_iterations = 8;
  const shine::Tuned tuned = shine::tune(parts.train, parts.validation, parts.test, options);
  const shine::model::Metrics test = tuned.model.evaluate(parts.test);
  std::printf("lambda %.4g, validation loss %.4f, test accuracy %.4f\n", tuned.lambda,
              tuned.trajectory.validation_loss, test.accuracy);
  const bool ok = tuned.trajectory.has_result && std::isfinite(tuned.lambda) && test.accuracy > 0.9;
  return ok ? 0 : 1;
}
