#include "shine/outer/tune_options.hpp"

#include <array>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

#include "shine/outer/tune_option_table.hpp"

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

constexpr std::array<TuneMethod, kNames.size()> kMethods = [] {
  std::array<TuneMethod, kNames.size()> methods{};
  for (std::size_t i = 0; i < kNames.size(); ++i)
    methods[i] = kNames[i].first;
  return methods;
}();

}  // namespace

std::span<const TuneMethod> all_tune_methods() noexcept {
  return kMethods;
}

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

std::string_view to_string(WarmMemory warm) noexcept {
  switch (warm) {
    case WarmMemory::On:
      return "on";
    case WarmMemory::Off:
      return "off";
    default:
      return "auto";
  }
}

std::string_view to_string(InitialWeights weights) noexcept {
  return weights == InitialWeights::Gaussian ? "gaussian" : "zero";
}

bool is_hypergradient_method(TuneMethod method) noexcept {
  return method != TuneMethod::Grid && method != TuneMethod::Random;
}

void TuneOptions::validate() const {
  // Each option's own range, from the table.
  for (const TuneOptionSpec& spec : tune_option_table()) {
    const OptionValue value = spec.get(*this);
    if (!spec.admits(value))
      throw OptionError(std::string(spec.name), spec.text(value), spec.rule());
  }
  // The rules that tie options together.
  const auto text = [](double value) { return TuneOptionSpec::text(value); };
  if (!(step.upper_bound > step.lower_bound)) {
    throw OptionError("step.upper_bound", text(step.upper_bound), "must be > {step.lower_bound}");
  }
  if (!(initial_theta >= step.lower_bound && initial_theta <= step.upper_bound)) {
    throw OptionError("initial_theta", text(initial_theta),
                      "must lie within [{step.lower_bound}, {step.upper_bound}] (default "
                      "[-12, 12])");
  }
  if (!(secant.initial_radius <= secant.max_radius)) {
    throw OptionError("secant.initial_radius", text(secant.initial_radius),
                      "must be in (0, {secant.max_radius}]");
  }
  if (!(lbfgs.c2 > lbfgs.c1)) {
    throw OptionError("lbfgs.c2", text(lbfgs.c2), "must be in ({lbfgs.c1}, 1)");
  }
  const ToleranceSchedule in_force = effective_schedule();
  if (!(in_force.floor <= in_force.initial)) {
    throw OptionError("schedule.floor", text(in_force.floor), "must be in (0, {schedule.initial}]");
  }
}

inner::LbfgsOptions TuneLbfgsOptions::solver_options(int memory) const {
  inner::LbfgsOptions o;
  o.memory = memory;
  o.max_iterations = max_iterations;
  o.max_linesearch = max_linesearch;
  o.c1 = c1;
  o.c2 = c2;
  o.curvature_epsilon = curvature_epsilon;
  o.initial_hessian = initial_hessian;
  o.diagonal_scaling = diagonal_scaling;
  o.value_noise = value_noise;
  o.pair_precision = pair_precision;
  o.num_threads = num_threads;
  return o;
}

hypergrad::HypergradOptions TuneHypergradOptions::for_method(hypergrad::Method method) const {
  hypergrad::HypergradOptions o;
  o.method = method;
  o.max_cg_iterations = max_cg_iterations;
  o.cg_warm_start = cg_warm_start;
  o.cg_lbfgs_preconditioner = cg_lbfgs_preconditioner;
  o.refine_scale = refine_scale;
  o.opa_every = opa_every;
  o.opa_exact_hessian = opa_exact_hessian;
  o.fallback = fallback;
  o.fallback_ratio = fallback_ratio;
  return o;
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
