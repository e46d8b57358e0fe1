#pragma once
/// @file
/// An observer that stops a run when the validation loss has stopped improving.

#include <limits>
#include <span>

#include "shine/outer/observer.hpp"

namespace shine::outer {

/// Stops when the best validation loss has not improved by more than `min_relative_improvement`
/// for `patience` consecutive evaluations.
class EarlyStopping final : public Observer {
 public:
  /// `patience` >= 1, `min_relative_improvement` >= 0; throws `std::invalid_argument` otherwise.
  explicit EarlyStopping(int patience = 5, double min_relative_improvement = 1e-4);
  /// Resets the best loss and the count, so one object can watch several runs.
  void on_begin(const TuneInfo& info) override;
  /// True once `patience` evaluations in a row have not lowered the best validation loss by
  /// more than `min_relative_improvement`·|best| (a non-finite loss never improves).
  bool on_iteration(const OuterRecord& record) override;
  /// Replays the previous evaluations, so a resumed run stops where an uninterrupted one would.
  void on_resume(std::span<const OuterRecord> previous) override;

 private:
  int patience_;
  double min_relative_improvement_;
  double best_ = std::numeric_limits<double>::infinity();
  int since_best_ = 0;
};

}  // namespace shine::outer
