// Tune λ on data built in code (no file): a sparse Eigen matrix and a label vector.
#include <cstdio>
#include <random>
#include <shine/shine.hpp>
#include <vector>

int main() {
  // 600 samples, 200 features, 5 % dense; labels from a hidden linear model with 10 % noise.
  const int n = 600, d = 200;
  std::mt19937 rng(42);
  std::normal_distribution<double> normal;
  std::bernoulli_distribution present(0.05), flip(0.1);
  std::vector<double> truth(d);
  for (double& t : truth)
    t = normal(rng);
  std::vector<Eigen::Triplet<double>> entries;
  std::vector<double> labels(n);
  for (int i = 0; i < n; ++i) {
    double score = 0.0;
    for (int j = 0; j < d; ++j) {
      if (!present(rng)) continue;
      const double value = normal(rng);
      entries.emplace_back(i, j, value);
      score += value * truth[static_cast<std::size_t>(j)];
    }
    const bool positive = (score > 0.0) != flip(rng);
    labels[static_cast<std::size_t>(i)] = positive ? 1.0 : 0.0;  // any two values will do
  }
  shine::SparseMatrix X(n, d);  // row-major CSR: from_eigen takes it over without a copy
  X.setFromTriplets(entries.begin(), entries.end());

  const shine::data::Dataset all = shine::data::from_eigen(std::move(X), labels, "synthetic");
  const shine::data::Split parts =
      shine::data::split_dataset(all, {.train = 0.6, .validation = 0.2, .test = 0.2});
  shine::TuneOptions options;
  options.method = shine::TuneMethod::Hoag;
  options.max_iterations = 20;
  const shine::Tuned tuned = shine::tune(parts.train, parts.validation, parts.test, options);
  const std::vector<double> predicted = tuned.model.predict_labels(parts.test);
  std::printf("lambda = %.4g, validation loss %.4f, test accuracy %.3f (labels %s)\n", tuned.lambda,
              tuned.trajectory.validation_loss, tuned.trajectory.test_accuracy,
              all.labels.to_string().c_str());
  std::printf("first test predictions: %g %g %g\n", predicted[0], predicted[1], predicted[2]);
  return tuned.trajectory.has_result && tuned.trajectory.test_accuracy > 0.6 ? 0 : 1;
}
