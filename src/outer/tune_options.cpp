#include "shine/outer/tune_options.hpp"

#include <array>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

#include "shine/core/check.hpp"

namespace shine::outer {
namespace {

constexpr std::array<std::pair<TuneMethod, std::string_view>, 7> kNames{{
    {TuneMethod::Hoag, "hoag"},
    {TuneMethod::Shine, "shine"},
    {TuneMethod::ShineOpa, "shine-opa"},
    {TuneMethod::ShineRefine, "shine-refine"},
    {TuneMethod::JacobianFree, "jacobian-free"},
    {TuneMethod::Grid, "grid"},
    {TuneMethod::Random, "random"},
}};

}  // namespace

std::string_view to_string(TuneMethod method) noexcept {
  for (const auto& [value, name] : kNames) {
    if (value == method) return name;
  }
  return "shine-opa";
}

TuneMethod parse_tune_method(std::string_view name) {
  for (const auto& [value, candidate] : kNames) {
    if (candidate == name) return value;
  }
  std::string names;
  for (const auto& [value, candidate] : kNames) {
    names += (names.empty() ? "" : ", ") + std::string(candidate);
  }
  throw std::invalid_argument("unknown method '" + std::string(name) + "': use one of " + names);
}

std::string_view to_string(InnerToleranceRule rule) noexcept {
  return rule == InnerToleranceRule::Paper ? "paper" : "warm-start";
}

InnerToleranceRule parse_inner_tolerance_rule(std::string_view name) {
  if (name == "warm-start") return InnerToleranceRule::WarmStart;
  if (name == "paper") return InnerToleranceRule::Paper;
  throw std::invalid_argument("unknown inner tolerance rule '" + std::string(name) +
                              "': use warm-start or paper");
}

bool is_hypergradient_method(TuneMethod method) noexcept {
  return method != TuneMethod::Grid && method != TuneMethod::Random;
}

void TuneOptions::validate() const {
  require(max_iterations >= 1 && max_iterations <= 100000, "TuneOptions::max_iterations",
          max_iterations, "must be in [1, 100000]");
  require(candidates >= 1 && candidates <= 100000, "TuneOptions::candidates", candidates,
          "must be in [1, 100000]");
  step.validate();
  secant.validate();
  require(inner_tolerance > 0.0 && inner_tolerance < 1.0, "TuneOptions::inner_tolerance",
          inner_tolerance, "must be in (0, 1)");
  require(final_tolerance > 0.0 && final_tolerance < 1.0, "TuneOptions::final_tolerance",
          final_tolerance, "must be in (0, 1)");
  require(bounce_cg_tolerance >= 0.0 && bounce_cg_tolerance < 1.0,
          "TuneOptions::bounce_cg_tolerance", bounce_cg_tolerance, "must be in [0, 1) (0 = off)");
  require(std::isfinite(initial_theta) && initial_theta >= step.lower_bound &&
              initial_theta <= step.upper_bound,
          "TuneOptions::initial_theta", initial_theta,
          "must lie within [step.lower_bound, step.upper_bound] (default [-12, 12])");
  if (schedule) schedule->validate();
  hypergrad.validate();
  if (memory) {
    require(*memory >= 1 && *memory <= 1000, "TuneOptions::memory", *memory,
            "must be in [1, 1000]");
  }
  inner::LbfgsOptions solver = lbfgs;
  solver.memory = effective_memory();
  solver.validate();
  require(baseline_tolerance > 0.0 && baseline_tolerance < 1.0, "TuneOptions::baseline_tolerance",
          baseline_tolerance, "must be in (0, 1)");
  objective.validate();
  require(time_budget >= 0.0 && !std::isnan(time_budget), "TuneOptions::time_budget", time_budget,
          "must be >= 0 seconds (0 = no budget)");
}

ToleranceSchedule TuneOptions::effective_schedule() const {
  if (schedule) return *schedule;
  ToleranceSchedule defaults;
  defaults.rho = method == TuneMethod::Hoag ? 0.9 : 0.78;
  return defaults;
}

int TuneOptions::effective_memory() const {
  if (memory) return *memory;
  switch (method) {
    case TuneMethod::Shine:
    case TuneMethod::ShineOpa:
    case TuneMethod::ShineRefine:
    case TuneMethod::JacobianFree:
      return 30;
    default:
      return 10;
  }
}

}  // namespace shine::outer
