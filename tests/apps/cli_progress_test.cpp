// The console progress line of `shine tune`.
#include <gtest/gtest.h>

#include <string>

#include "progress.hpp"

namespace shine::cli {
namespace {

outer::OuterRecord record(outer::StepOutcome step, hypergrad::Method method) {
  outer::OuterRecord r;
  r.iteration = 3;
  r.lambda = Vector::Constant(1, 0.01);
  r.validation_loss = 0.25;
  r.test_loss = 0.3;
  r.hypergradient_norm = 1.5;
  r.step = step;
  r.hypergradient_summary.method = method;
  return r;
}

bool ends_with(const std::string& text, const std::string& tail) {
  return text.size() >= tail.size() &&
         text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
}

TEST(ConsoleProgress, MarksTheStepsWhoseHypergradientCameFromConjugateGradient) {
  using outer::StepOutcome;
  using outer::TuneMethod;
  // A SHINE run: its own hypergradients, then CG ones after a bounce.
  EXPECT_TRUE(ends_with(ConsoleProgress::line(record(StepOutcome::Secant, hypergrad::Method::Shine),
                                              TuneMethod::Shine),
                        "  secant"));
  outer::OuterRecord cg = record(StepOutcome::Capped, hypergrad::Method::Hoag);
  cg.hypergradient_summary.cg_budget = 100;
  EXPECT_TRUE(ends_with(ConsoleProgress::line(cg, TuneMethod::Shine), "  capped+cg"));
  // The direct solve of few features has no CG budget.
  EXPECT_TRUE(ends_with(ConsoleProgress::line(record(StepOutcome::Tighten, hypergrad::Method::Hoag),
                                              TuneMethod::Shine),
                        "  tighten+direct"));
  // HOAG's hypergradients are always CG ones: nothing to mark.
  EXPECT_TRUE(ends_with(
      ConsoleProgress::line(record(StepOutcome::Secant, hypergrad::Method::Hoag), TuneMethod::Hoag),
      "  secant"));
  // Baselines have no step.
  EXPECT_TRUE(ends_with(
      ConsoleProgress::line(record(StepOutcome::Secant, hypergrad::Method::Hoag), TuneMethod::Grid),
      "  -"));
}

}  // namespace
}  // namespace shine::cli
