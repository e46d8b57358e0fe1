// The table of the tuning options: one row per field of TuneOptions (and of its nested option
// structs), read by TuneOptions::validate, the checkpoint fingerprint, the JSON configuration and
// the `shine tune` flags. A row is written once, below; `SHINE_FIELD(path)` gives both the row's
// name and its accessor from the same spelling of the field, so the two cannot disagree.
#include "shine/outer/tune_option_table.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdio>
#include <type_traits>
#include <utility>

namespace shine::outer {
namespace {

// The values of each enumeration an option takes; their names come from the library's own
// to_string, so that a name is written in one place. The methods are `all_tune_methods()`.
template <typename E>
struct EnumValues;
template <>
struct EnumValues<StepRule> {
  static constexpr std::array values{StepRule::Secant, StepRule::Single, StepRule::Double};
};
template <>
struct EnumValues<InnerToleranceRule> {
  static constexpr std::array values{InnerToleranceRule::WarmStart, InnerToleranceRule::Paper};
};
template <>
struct EnumValues<ScheduleKind> {
  static constexpr std::array values{ScheduleKind::Exponential, ScheduleKind::Quadratic,
                                     ScheduleKind::Cubic};
};
template <>
struct EnumValues<WarmMemory> {
  static constexpr std::array values{WarmMemory::Automatic, WarmMemory::On, WarmMemory::Off};
};
template <>
struct EnumValues<InitialWeights> {
  static constexpr std::array values{InitialWeights::Zero, InitialWeights::Gaussian};
};
template <>
struct EnumValues<inner::InitialHessian> {
  static constexpr std::array values{inner::InitialHessian::ScaledIdentity,
                                     inner::InitialHessian::Identity};
};
template <>
struct EnumValues<inner::PairPrecision> {
  static constexpr std::array values{inner::PairPrecision::Automatic, inner::PairPrecision::Double,
                                     inner::PairPrecision::Single, inner::PairPrecision::Half};
};

template <typename E>
std::string_view name_of(E value) noexcept {
  using inner::to_string;
  using outer::to_string;
  return to_string(value);
}

template <typename E>
std::span<const E> values_of() {
  if constexpr (std::is_same_v<E, TuneMethod>) {
    return all_tune_methods();
  } else {
    return EnumValues<E>::values;
  }
}

template <typename E>
std::vector<std::string_view> names_of() {
  std::vector<std::string_view> names;
  for (const E value : values_of<E>())
    names.push_back(name_of(value));
  return names;
}

template <typename E>
E enum_from(const std::string& name) {
  for (const E value : values_of<E>()) {
    if (name_of(value) == name) return value;
  }
  throw std::logic_error("tune option table: '" + name + "' is not a name of the enumeration");
}

template <typename T>
constexpr OptionKind kind_of() {
  if constexpr (std::is_same_v<T, bool>) {
    return OptionKind::Switch;
  } else if constexpr (std::is_enum_v<T>) {
    return OptionKind::Name;
  } else if constexpr (std::is_same_v<T, std::uint64_t>) {
    return OptionKind::Seed;
  } else if constexpr (std::is_integral_v<T>) {
    static_assert(std::is_same_v<T, int>, "integer options are int fields");
    return OptionKind::Integer;
  } else {
    static_assert(std::is_same_v<T, double>, "real options are double fields");
    return OptionKind::Real;
  }
}

template <typename T>
OptionValue to_value(const T& field) {
  if constexpr (std::is_same_v<T, bool>) {
    return field;
  } else if constexpr (std::is_enum_v<T>) {
    return std::string(name_of(field));
  } else if constexpr (std::is_same_v<T, std::uint64_t>) {
    return field;
  } else if constexpr (std::is_integral_v<T>) {
    return static_cast<std::int64_t>(field);
  } else {
    return field;
  }
}

template <typename T>
void from_value(const OptionValue& value, T& field) {
  if constexpr (std::is_same_v<T, bool>) {
    field = std::get<bool>(value);
  } else if constexpr (std::is_enum_v<T>) {
    field = enum_from<T>(std::get<std::string>(value));
  } else if constexpr (std::is_same_v<T, std::uint64_t>) {
    field = std::get<std::uint64_t>(value);
  } else if constexpr (std::is_integral_v<T>) {
    field =
        static_cast<T>(std::clamp<std::int64_t>(std::get<std::int64_t>(value), INT_MIN, INT_MAX));
  } else {
    field = std::get<double>(value);
  }
}

// Ranges.
constexpr double kInf = std::numeric_limits<double>::infinity();
OptionRange closed(double a, double b) {
  return {a, b, false, false};
}  // [a, b]
OptionRange open(double a, double b) {
  return {a, b, true, true};
}  // (a, b)
OptionRange open_closed(double a, double b) {
  return {a, b, true, false};
}  // (a, b]
OptionRange closed_open(double a, double b) {
  return {a, b, false, true};
}  // [a, b)
OptionRange at_least(double a) {
  return {a, kInf, false, true};
}  // >= a
OptionRange above(double a) {
  return {a, kInf, true, true};
}  // > a
OptionRange any_real() {
  return {-kInf, kInf, true, true};
}  // finite

using Predicate = std::function<bool(const TuneOptions&)>;
const Predicate kAlways = [](const TuneOptions&) { return true; };
const Predicate kNever = [](const TuneOptions&) { return false; };

// A row for a plain field reached by `access` (a generic lambda returning a reference to it).
template <typename Access>
TuneOptionSpec row(std::string_view name, Access access, std::string_view flag, OptionRange range,
                   std::string_view note, Predicate changes, std::string_view help) {
  using T = std::remove_cvref_t<decltype(access(std::declval<TuneOptions&>()))>;
  TuneOptionSpec spec;
  spec.name = name;
  spec.flag = flag;
  spec.kind = kind_of<T>();
  spec.range = range;
  spec.note = note;
  if constexpr (std::is_enum_v<T>) spec.names = names_of<T>();
  spec.changes_result = std::move(changes);
  spec.help = help;
  spec.get = [access](const TuneOptions& o) { return to_value(access(o)); };
  spec.set = [access](TuneOptions& o, const OptionValue& v) { from_value(v, access(o)); };
  return spec;
}

// The name and the accessor of a field, from one spelling of its path.
#define SHINE_FIELD(path)       \
#path, [](auto& o) -> auto& { \
    return o.path;              \
  }

// A field of the optional schedule: reads the schedule in force; writing one field sets the
// schedule from the method's default first.
template <typename Member>
TuneOptionSpec schedule_row(std::string_view name, Member member, std::string_view flag,
                            OptionRange range, std::string_view help) {
  using T = std::remove_cvref_t<decltype(std::declval<ToleranceSchedule&>().*member)>;
  TuneOptionSpec spec;
  spec.name = name;
  spec.flag = flag;
  spec.kind = kind_of<T>();
  spec.range = range;
  if constexpr (std::is_enum_v<T>) spec.names = names_of<T>();
  spec.changes_result = kAlways;
  spec.help = help;
  spec.get = [member](const TuneOptions& o) { return to_value(o.effective_schedule().*member); };
  spec.set = [member](TuneOptions& o, const OptionValue& v) {
    if (!o.schedule) o.schedule = o.effective_schedule();
    from_value(v, (*o.schedule).*member);
  };
  return spec;
}

// "a, b and c".
std::string listed(const std::vector<std::string_view>& names) {
  std::string text;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) text += i + 1 == names.size() ? " and " : ", ";
    text += names[i];
  }
  return text;
}

// The help of the method row, from the list of methods.
const std::string& method_help() {
  static const std::string help = [] {
    std::vector<std::string_view> hypergradient, baselines;
    for (const TuneMethod method : all_tune_methods())
      (is_hypergradient_method(method) ? hypergradient : baselines).push_back(to_string(method));
    return "search method: the hypergradient methods " + listed(hypergradient) +
           ", or the baselines " + listed(baselines);
  }();
  return help;
}

std::vector<TuneOptionSpec> build_table() {
  std::vector<TuneOptionSpec> t;
  // What and how long.
  t.push_back(row(SHINE_FIELD(method), "method", {}, "", kAlways, method_help()));
  t.push_back(row(SHINE_FIELD(max_iterations), "max-iterations", closed(1, 100000), "", kNever,
                  "outer iterations of a hypergradient method (one inner solve each)"));
  t.push_back(row(
      SHINE_FIELD(candidates), "candidates", closed(1, 100000), "",
      // The grid's points depend on their number; random search draws a sequence,
      // so more candidates extend it.
      [](const TuneOptions& o) { return o.method == TuneMethod::Grid; },
      "values of lambda tried by grid and random"));
  t.push_back(row(SHINE_FIELD(initial_theta), "", any_real(), "", kAlways,
                  "log of the first lambda (within the bounds)"));

  // The step.
  t.push_back(row(SHINE_FIELD(step.rule), "step", {}, "", kAlways,
                  "secant (converges and stops), or HOAG's adaptive step: single (HOAG 2016) or "
                  "double (HOAG 2017 code, SHINE paper)"));
  // lambda = exp(bound) must stay a finite, non-zero double, with room for the grid's steps;
  // the command line's --bounds and shine fit's lambda are held to the same range.
  t.push_back(row(SHINE_FIELD(step.lower_bound), "", closed(-700, 700), "(lambda = exp(bound))",
                  kAlways, "lower bound of every log(lambda), also the grid and random range"));
  t.push_back(row(SHINE_FIELD(step.upper_bound), "", closed(-700, 700), "(lambda = exp(bound))",
                  kAlways, "upper bound of every log(lambda)"));
  t.push_back(row(SHINE_FIELD(step.decrease_slack), "", open_closed(0, 1), "", kAlways,
                  "single, double: C of the sufficient-decrease test"));
  t.push_back(row(SHINE_FIELD(step.shrink), "", open_closed(0, 1), "", kAlways,
                  "single, double: L <- shrink L after a sufficient decrease"));
  t.push_back(row(SHINE_FIELD(step.grow), "", above(1), "", kAlways,
                  "single, double: L <- grow L after a rejection"));
  t.push_back(row(SHINE_FIELD(step.reject_ratio), "", above(1), "", kAlways,
                  "single, double: reject a step whose loss grew by this factor"));
  t.push_back(row(SHINE_FIELD(secant.initial_radius), "trust-radius", open_closed(0, 24), "",
                  kAlways, "secant: longest first step in log(lambda)"));
  t.push_back(row(SHINE_FIELD(secant.max_radius), "max-trust-radius", open_closed(0, 24), "",
                  kAlways, "secant: longest step in log(lambda)"));
  t.push_back(row(SHINE_FIELD(secant.theta_tolerance), "theta-tolerance", open_closed(0, 1), "",
                  kAlways, "secant: converged when a step moves log(lambda) by at most this"));
  t.push_back(row(SHINE_FIELD(secant.loss_tolerance), "loss-tolerance", closed_open(0, 1),
                  "(0 = off)", kAlways,
                  "secant: converged also when the secant model predicts that the validation "
                  "loss can fall by at most this fraction of itself"));

  // The inner solves.
  t.push_back(row(SHINE_FIELD(inner_tolerance_rule), "inner-tolerance-rule", {}, "", kAlways,
                  "inner stopping rule: warm-start (|grad| <= F |grad at the warm start|) or "
                  "paper (the SHINE/HOAG papers' epsilon_k rule)"));
  t.push_back(row(SHINE_FIELD(inner_tolerance), "inner-tolerance", open(0, 1), "", kAlways,
                  "F of the warm-start rule"));
  t.push_back(row(SHINE_FIELD(final_tolerance), "final-tolerance", open(0, 1), "", kAlways,
                  "secant: after converging on a loose solve, a last solve to |grad| <= T "
                  "min(lambda) |w|, so that the returned w is within T of the exact one, "
                  "relatively"));
  t.push_back(row(SHINE_FIELD(bounce_cg_tolerance), "bounce-cg-tolerance", closed_open(0, 1),
                  "(0 = off)", kAlways,
                  "secant: once the held-out loss rises over a step < 5x --theta-tolerance, "
                  "compute each later hypergradient by CG from the method's q to relative "
                  "residual R (0 = off)"));
  t.push_back(schedule_row("schedule.kind", &ToleranceSchedule::kind, "schedule", {},
                           "tolerance schedule: exponential, quadratic or cubic"));
  t.push_back(schedule_row("schedule.initial", &ToleranceSchedule::initial, "epsilon0",
                           open_closed(0, 1), "first tolerance epsilon_0 of the schedule"));
  t.push_back(schedule_row("schedule.rho", &ToleranceSchedule::rho, "rho", open(0, 1),
                           "decay of the exponential schedule (default 0.9 for hoag, 0.78 "
                           "otherwise)"));
  t.back().default_depends_on_method = true;
  t.push_back(schedule_row("schedule.floor", &ToleranceSchedule::floor, "", open_closed(0, 1),
                           "lower bound of every tolerance epsilon_k"));

  // The hypergradient.
  t.push_back(row(SHINE_FIELD(hypergrad.max_cg_iterations), "max-cg", closed(1, INT_MAX), "",
                  kAlways,
                  "hoag, shine-refine, CG after a bounce: most conjugate-gradient iterations per "
                  "hypergradient"));
  t.push_back(row(SHINE_FIELD(hypergrad.cg_warm_start), "", {}, "", kAlways,
                  "hoag: start CG from the previous outer iteration's q"));
  t.push_back(row(SHINE_FIELD(hypergrad.cg_lbfgs_preconditioner), "", {}, "", kAlways,
                  "hoag: precondition CG with the L-BFGS inverse estimate"));
  t.push_back(row(SHINE_FIELD(hypergrad.refine_scale), "", above(0), "", kAlways,
                  "shine-refine: CG budget int(refine_scale / sqrt(epsilon_k))"));
  t.push_back(row(SHINE_FIELD(hypergrad.opa_every), "opa-every", closed(0, INT_MAX), "", kAlways,
                  "shine-opa: extra secant pair every F inner iterations (0: the paper's rule)"));
  t.push_back(row(SHINE_FIELD(hypergrad.opa_exact_hessian), "", {}, "", kAlways,
                  "shine-opa: the extra pair from an exact Hessian product"));
  t.push_back(row(SHINE_FIELD(hypergrad.fallback), "fallback", {}, "", kAlways,
                  "shine variants: replace a suspicious inverse-Hessian estimate by the "
                  "gradient"));
  t.push_back(row(SHINE_FIELD(hypergrad.fallback_ratio), "", above(0), "", kAlways,
                  "the fallback fires when |q| > ratio |grad f|"));

  // L-BFGS.
  {
    TuneOptionSpec memory;
    memory.name = "memory";
    memory.flag = "memory";
    memory.kind = OptionKind::Integer;
    memory.range = closed(1, 1000);
    memory.changes_result = kAlways;
    memory.default_depends_on_method = true;
    memory.help =
        "L-BFGS memory (default 30 for the shine variants and jacobian-free, 10 for hoag, grid "
        "and random)";
    memory.get = [](const TuneOptions& o) {
      return OptionValue(static_cast<std::int64_t>(o.effective_memory()));
    };
    memory.set = [](TuneOptions& o, const OptionValue& v) {
      int m = 0;
      from_value(v, m);
      o.memory = m;
    };
    t.push_back(std::move(memory));
  }
  t.push_back(row(SHINE_FIELD(warm_memory), "warm-memory", {}, "", kAlways,
                  "carry the L-BFGS memory from one inner solve to the next: auto (on with "
                  "--cv, off without), on or off"));
  t.back().aliases = {{"true", "on"}, {"false", "off"}};
  t.push_back(row(SHINE_FIELD(refit), "refit", {}, "", kNever,
                  "with --cv: fit the returned model on all training rows at the lambda found "
                  "(off: the mean of the folds' models)"));
  t.push_back(row(SHINE_FIELD(fold_workers), "fold-workers", closed(0, INT_MAX), "(0 = automatic)",
                  kNever,
                  "with --cv: folds solved at once, each on its share of the threads (0: "
                  "automatic, 1: one after the other)"));
  t.push_back(row(SHINE_FIELD(lbfgs.max_iterations), "inner-max-iterations", closed(1, INT_MAX), "",
                  kAlways, "L-BFGS iterations per inner solve"));
  t.push_back(row(SHINE_FIELD(lbfgs.max_linesearch), "", closed(1, 1000), "", kAlways,
                  "most evaluations per line search"));
  t.push_back(row(SHINE_FIELD(lbfgs.c1), "", open(0, 1), "", kAlways,
                  "sufficient-decrease constant of the line search"));
  t.push_back(row(SHINE_FIELD(lbfgs.c2), "", open(0, 1), "", kAlways,
                  "curvature constant of the line search (> c1)"));
  t.push_back(row(SHINE_FIELD(lbfgs.curvature_epsilon), "", closed_open(0, 1), "", kAlways,
                  "store a pair only when s'y > epsilon |s| |y|"));
  t.push_back(row(SHINE_FIELD(lbfgs.initial_hessian), "h0", {}, "", kAlways,
                  "initial inverse Hessian of L-BFGS: scaled_identity (gamma I, or gamma Delta "
                  "with --diagonal-scaling) or identity (the reference code)"));
  t.back().aliases = {{"scaled", "scaled_identity"}};
  t.push_back(row(SHINE_FIELD(lbfgs.diagonal_scaling), "diagonal-scaling", {}, "", kAlways,
                  "L-BFGS: on starts each update from a diagonal of the Hessian (H0 = gamma "
                  "Delta), off from gamma I"));
  t.push_back(row(SHINE_FIELD(lbfgs.value_noise), "", closed(0, 1e-3), "", kAlways,
                  "relative slack of the approximate-Wolfe acceptance"));
  t.push_back(row(SHINE_FIELD(lbfgs.pair_precision), "pair-precision", {}, "", kAlways,
                  "storage of the L-BFGS pairs: auto (half from 8 MiB of double pairs, else "
                  "double), double, single or half"));
  t.push_back(row(SHINE_FIELD(lbfgs.num_threads), "", closed(0, INT_MAX), "(0 = all cores)", kNever,
                  "threads of the L-BFGS memory sweeps (0: as objective.num_threads)"));
  t.push_back(row(SHINE_FIELD(baseline_tolerance), "grid-tolerance", open(0, 1), "", kAlways,
                  "grid, random: each solve stops at |grad| <= G |grad at its warm start|"));

  // The model and the run.
  t.push_back(row(SHINE_FIELD(objective.fit_intercept), "intercept", {}, "", kAlways,
                  "fit an unregularized intercept"));
  t.push_back(row(SHINE_FIELD(objective.num_threads), "", closed(0, INT_MAX), "(0 = all cores)",
                  kNever, "threads of the passes over the data (0: all cores)"));
  t.push_back(row(SHINE_FIELD(initial_weights), "initial-weights", {}, "", kAlways,
                  "w of the first inner solve: zero or gaussian (seeded)"));
  t.push_back(
      row(SHINE_FIELD(seed), "seed", {}, "", kAlways,
          "seed of gaussian initial weights and of random search (shine tune: also of the split)"));
  t.push_back(row(SHINE_FIELD(time_budget), "time-budget", at_least(0), "seconds (0 = none)",
                  kNever, "seconds for the whole run (0: no limit)"));
  return t;
}

#undef SHINE_FIELD

std::string number_text(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", value);
  return buffer;
}

// "{name}" in a rule, replaced by the option's name as `naming` says.
std::string display_name(std::string_view option, OptionNaming naming) {
  if (naming == OptionNaming::Flag) {
    const TuneOptionSpec* spec = find_tune_option(option);
    if (spec != nullptr && !spec->flag.empty()) return "--" + std::string(spec->flag);
  }
  return "TuneOptions::" + std::string(option);
}

std::string expand(const std::string& rule, OptionNaming naming) {
  std::string out;
  std::size_t at = 0;
  while (at < rule.size()) {
    const std::size_t open_brace = rule.find('{', at);
    const std::size_t close_brace =
        open_brace == std::string::npos ? std::string::npos : rule.find('}', open_brace);
    if (close_brace == std::string::npos) {
      out.append(rule, at, std::string::npos);
      break;
    }
    out.append(rule, at, open_brace - at);
    out += display_name(std::string_view(rule).substr(open_brace + 1, close_brace - open_brace - 1),
                        naming);
    at = close_brace + 1;
  }
  return out;
}

}  // namespace

std::span<const TuneOptionSpec> tune_option_table() {
  static const std::vector<TuneOptionSpec> table = build_table();
  return table;
}

const TuneOptionSpec* find_tune_option(std::string_view name) noexcept {
  for (const TuneOptionSpec& spec : tune_option_table()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

const TuneOptionSpec* find_tune_flag(std::string_view flag) noexcept {
  if (flag.empty()) return nullptr;
  for (const TuneOptionSpec& spec : tune_option_table()) {
    if (spec.flag == flag) return &spec;
  }
  return nullptr;
}

std::string TuneOptionSpec::rule() const {
  std::string text;
  switch (kind) {
    case OptionKind::Switch:
      text = "must be on or off";
      break;
    case OptionKind::Seed:
      text = "must be a whole number from 0 to 18446744073709551615";
      break;
    case OptionKind::Name: {
      text = "must be ";
      for (std::size_t i = 0; i < names.size(); ++i) {
        if (i > 0) text += i + 1 == names.size() ? " or " : ", ";
        text += names[i];
      }
      break;
    }
    case OptionKind::Integer:
    case OptionKind::Real: {
      // An integer's upper end at INT_MAX is the type's, not a rule: not shown.
      OptionRange shown = range;
      if (kind == OptionKind::Integer && shown.max >= static_cast<double>(INT_MAX))
        shown.max = kInf;
      const bool interval = std::isfinite(shown.min) && std::isfinite(shown.max);
      text = (interval ? "must be in " : "must be ") + shown.text();
      break;
    }
  }
  if (!note.empty()) text += " " + std::string(note);
  return text;
}

bool OptionRange::contains(double x) const noexcept {
  if (!std::isfinite(x)) return false;
  if (min_open ? !(x > min) : !(x >= min)) return false;
  if (max_open ? !(x < max) : !(x <= max)) return false;
  return true;
}

std::string OptionRange::text() const {
  const bool has_min = std::isfinite(min);
  const bool has_max = std::isfinite(max);
  if (has_min && has_max) {
    return (min_open ? "(" : "[") + number_text(min) + ", " + number_text(max) +
           (max_open ? ")" : "]");
  }
  if (has_min) return (min_open ? "> " : ">= ") + number_text(min);
  if (has_max) return (max_open ? "< " : "<= ") + number_text(max);
  return "finite";
}

bool TuneOptionSpec::admits(const OptionValue& value) const {
  const auto in_range = [this](double x) { return range.contains(x); };
  switch (kind) {
    case OptionKind::Switch:
      return std::holds_alternative<bool>(value);
    case OptionKind::Seed:
      return std::holds_alternative<std::uint64_t>(value);
    case OptionKind::Name: {
      const std::string* given = std::get_if<std::string>(&value);
      return given != nullptr && std::find(names.begin(), names.end(), *given) != names.end();
    }
    case OptionKind::Integer: {
      const std::int64_t* n = std::get_if<std::int64_t>(&value);
      return n != nullptr && *n >= INT_MIN && *n <= INT_MAX && in_range(static_cast<double>(*n));
    }
    case OptionKind::Real: {
      const double* x = std::get_if<double>(&value);
      return x != nullptr && in_range(*x);
    }
  }
  return false;
}

OptionValue TuneOptionSpec::parse(std::string_view text) const {
  const auto fail = [&](bool quote) {
    throw OptionError(std::string(name), quote ? "'" + std::string(text) + "'" : std::string(text),
                      rule());
  };
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  OptionValue value;
  switch (kind) {
    case OptionKind::Switch:
      if (text == "true" || text == "on" || text == "1") {
        value = true;
      } else if (text == "false" || text == "off" || text == "0") {
        value = false;
      } else {
        fail(true);
      }
      break;
    case OptionKind::Seed: {
      std::uint64_t seed = 0;
      const auto [stop, ec] = std::from_chars(begin, end, seed);
      if (text.empty() || ec != std::errc() || stop != end) fail(true);
      value = seed;
      break;
    }
    case OptionKind::Integer: {
      std::int64_t n = 0;
      const auto [stop, ec] = std::from_chars(begin, end, n);
      if (text.empty() || ec != std::errc() || stop != end) fail(true);
      value = n;
      break;
    }
    case OptionKind::Real: {
      double x = 0.0;
      const auto [stop, ec] = std::from_chars(begin, end, x);
      if (text.empty() || ec != std::errc() || stop != end) fail(true);
      value = x;
      break;
    }
    case OptionKind::Name: {
      std::string name_text(text);
      for (const auto& [alias, canonical] : aliases) {
        if (alias == text) name_text = std::string(canonical);
      }
      value = name_text;
      break;
    }
  }
  if (!admits(value)) fail(kind == OptionKind::Name);
  return value;
}

std::string TuneOptionSpec::text(const OptionValue& value) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
          return v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, std::string>) {
          return v;
        } else if constexpr (std::is_same_v<T, double>) {
          if (std::isnan(v)) return "nan";
          if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
          char buffer[64];
          const auto [stop, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
          return ec == std::errc() ? std::string(buffer, stop) : number_text(v);
        } else {
          return std::to_string(v);
        }
      },
      value);
}

OptionError::OptionError(std::string option, std::string value, std::string rule)
    : std::invalid_argument("TuneOptions::" + option + " = " + value + ": " +
                            expand(rule, OptionNaming::Field)),
      option_(std::move(option)),
      value_(std::move(value)),
      rule_(std::move(rule)) {}

std::string OptionError::describe(OptionNaming naming) const {
  if (naming == OptionNaming::Field) return what();
  const TuneOptionSpec* spec = find_tune_option(option_);
  if (spec == nullptr || spec->flag.empty()) {
    return "TuneOptions::" + option_ + " = " + value_ + ": " + expand(rule_, naming);
  }
  return "--" + std::string(spec->flag) + " " + expand(rule_, naming) + ", got " + value_;
}

}  // namespace shine::outer
