// Tune λ on a LIBSVM file, then predict on its held-out part.
//
//   tune_from_file [FILE]      (default: the shipped SpamAssassin set)
#include <cstdio>
#include <exception>
#include <shine/shine.hpp>

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : SHINE_EXAMPLE_DATA;
  try {
    const shine::data::Dataset all = shine::data::read_libsvm(path);
    // 90 % train (the model), 5 % validation (chooses λ), 5 % test (reported only).
    const shine::data::Split parts = shine::data::split_dataset(all, {.seed = 0});

    shine::TuneOptions options;  // shine-opa, 30 outer iterations
    options.max_iterations = 15;
    const shine::Tuned tuned = shine::tune(parts.train, parts.validation, parts.test, options);
    if (!tuned.trajectory.has_result) {
      std::fprintf(stderr, "no result: %s\n", tuned.trajectory.message.c_str());
      return 4;
    }
    const shine::model::Metrics test = tuned.model.evaluate(parts.test);
    std::printf("lambda = %.4g after %zu outer iterations (%.2f s)\n", tuned.lambda,
                tuned.trajectory.records.size(), tuned.trajectory.elapsed_seconds);
    std::printf("test: log-loss %.4f, accuracy %.4f on %lld e-mails\n", test.log_loss,
                test.accuracy, static_cast<long long>(test.rows));
    return test.accuracy > 0.9 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 3;
  }
}
