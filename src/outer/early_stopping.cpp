// The patience rule on the validation loss (see early_stopping.hpp).
#include "shine/outer/early_stopping.hpp"

#include <cmath>

#include "core/check.hpp"

namespace shine::outer {

EarlyStopping::EarlyStopping(int patience, double min_relative_improvement)
    : patience_(patience), min_relative_improvement_(min_relative_improvement) {
  require(patience >= 1, "EarlyStopping::patience", patience, "must be >= 1");
  require(min_relative_improvement >= 0.0, "EarlyStopping::min_relative_improvement",
          min_relative_improvement, "must be >= 0");
}

void EarlyStopping::on_begin(const TuneInfo& /*info*/) {
  best_ = std::numeric_limits<double>::infinity();
  since_best_ = 0;
}

void EarlyStopping::on_resume(std::span<const OuterRecord> previous) {
  for (const OuterRecord& record : previous)
    on_iteration(record);
}

bool EarlyStopping::on_iteration(const OuterRecord& record) {
  const double loss = record.validation_loss;
  const bool improved =
      std::isfinite(loss) &&
      (!std::isfinite(best_) || loss < best_ - min_relative_improvement_ * std::abs(best_));
  if (improved) {
    best_ = loss;
    since_best_ = 0;
    return false;
  }
  return ++since_best_ >= patience_;
}

}  // namespace shine::outer
