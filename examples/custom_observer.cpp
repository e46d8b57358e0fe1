// A custom observer: log every outer iteration in your own format and stop on your own rule.
#include <cstdio>
#include <shine/shine.hpp>

namespace {

// Prints one line per evaluation and stops once the validation loss improves by less than
// 0.1 % over three evaluations in a row.
class LogAndStop final : public shine::outer::Observer {
 public:
  void on_begin(const shine::outer::TuneInfo& info) override {
    std::printf("tuning on %lld x %lld, %d threads\n", static_cast<long long>(info.train_rows),
                static_cast<long long>(info.features), info.threads);
  }
  bool on_iteration(const shine::outer::OuterRecord& r) override {
    std::printf("  it %2d  lambda %-10.4g validation %.5f  |grad| %-9.3g inner %3d it  %.2f s\n",
                r.iteration, r.lambda[0], r.validation_loss, r.hypergradient_norm,
                r.inner.iterations, r.elapsed_seconds);
    if (r.validation_loss < best_ * (1.0 - 1e-3)) {
      best_ = r.validation_loss;
      flat_ = 0;
      return false;
    }
    return ++flat_ >= 3;  // true stops the run
  }
  void on_end(const shine::outer::TuneResult& result) override {
    std::printf("%s: %s\n", std::string(shine::to_string(result.termination)).c_str(),
                result.message.c_str());
  }

 private:
  double best_ = 1e300;
  int flat_ = 0;
};

}  // namespace

int main() {
  const shine::data::Dataset all = shine::data::read_libsvm(SHINE_EXAMPLE_DATA);
  const shine::data::Split parts = shine::data::split_dataset(all, {.seed = 1});
  LogAndStop observer;
  shine::outer::Observer* observers[] = {&observer};
  shine::TuneOptions options;
  options.max_iterations = 30;
  const shine::Tuned tuned = shine::tune(parts.train, parts.validation, options, observers);
  return tuned.trajectory.has_result ? 0 : 1;
}
