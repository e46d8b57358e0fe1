// The option table: it lists every field of TuneOptions and of its nested option structs, and
// validation, the checkpoint fingerprint and the names all come from it.
#include "shine/outer/tune_option_table.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "shine/outer/checkpoint.hpp"
#include "shine/outer/protocol.hpp"
#include "support/aggregate_fields.hpp"
#include "support/random_problems.hpp"

namespace shine::outer {
namespace {

using test::aggregate_field_count;

std::size_t rows_under(std::string_view prefix) {
  const auto table = tune_option_table();
  return static_cast<std::size_t>(std::count_if(table.begin(), table.end(), [&](const auto& s) {
    return prefix.empty() ? s.name.find('.') == std::string_view::npos
                          : s.name.substr(0, prefix.size() + 1) == std::string(prefix) + ".";
  }));
}

TEST(TuneOptionTable, HasARowForEveryField) {
  // Fields that are deliberately not rows: the nested structs themselves (their fields are) and
  // the interrupt flag (not an option).
  constexpr std::size_t kNested = 6;  // step, secant, schedule, hypergrad, lbfgs, objective
  EXPECT_EQ(rows_under("") + kNested + 1, aggregate_field_count<TuneOptions>());
  EXPECT_EQ(rows_under("step"), aggregate_field_count<HoagStepOptions>());
  EXPECT_EQ(rows_under("secant"), aggregate_field_count<SecantStepOptions>());
  EXPECT_EQ(rows_under("schedule"), aggregate_field_count<ToleranceSchedule>());
  EXPECT_EQ(rows_under("hypergrad"), aggregate_field_count<TuneHypergradOptions>());
  EXPECT_EQ(rows_under("lbfgs"), aggregate_field_count<TuneLbfgsOptions>());
  EXPECT_EQ(rows_under("objective"), aggregate_field_count<objective::ObjectiveOptions>());
}

TEST(TuneOptionTable, NamesAndFlagsAreUniqueAndFound) {
  std::vector<std::string> names, flags;
  for (const TuneOptionSpec& spec : tune_option_table()) {
    names.emplace_back(spec.name);
    EXPECT_EQ(find_tune_option(spec.name), &spec);
    if (!spec.flag.empty()) {
      flags.emplace_back(spec.flag);
      EXPECT_EQ(find_tune_flag(spec.flag), &spec);
    }
    EXPECT_FALSE(spec.help.empty()) << spec.name;
    EXPECT_TRUE(spec.get && spec.set && spec.changes_result) << spec.name;
  }
  for (auto* list : {&names, &flags}) {
    std::sort(list->begin(), list->end());
    EXPECT_EQ(std::adjacent_find(list->begin(), list->end()), list->end());
  }
  EXPECT_EQ(find_tune_option("no.such.option"), nullptr);
  EXPECT_EQ(find_tune_flag(""), nullptr);
}

TEST(TuneOptionTable, DefaultsAreAdmittedAndEveryValueRoundTripsThroughText) {
  const TuneOptions defaults;
  EXPECT_NO_THROW(defaults.validate());
  for (const TuneOptionSpec& spec : tune_option_table()) {
    const OptionValue value = spec.get(defaults);
    EXPECT_TRUE(spec.admits(value)) << spec.name << " = " << TuneOptionSpec::text(value);
    EXPECT_EQ(spec.parse(TuneOptionSpec::text(value)), value) << spec.name;
    TuneOptions copy = defaults;
    spec.set(copy, value);
    EXPECT_EQ(spec.get(copy), value) << spec.name;
  }
}

// A value of `spec` other than its value in `options`, with which `options` still validates.
std::optional<OptionValue> alternative(const TuneOptionSpec& spec, const TuneOptions& options) {
  const OptionValue current = spec.get(options);
  std::vector<OptionValue> candidates;
  switch (spec.kind) {
    case OptionKind::Switch:
      candidates.emplace_back(!std::get<bool>(current));
      break;
    case OptionKind::Seed:
      candidates.emplace_back(std::get<std::uint64_t>(current) + 1);
      break;
    case OptionKind::Name:
      for (std::string_view name : spec.names)
        candidates.emplace_back(std::string(name));
      break;
    case OptionKind::Integer: {
      const std::int64_t n = std::get<std::int64_t>(current);
      for (std::int64_t c : {n + 1, n - 1, std::int64_t{2}})
        candidates.emplace_back(c);
      break;
    }
    case OptionKind::Real: {
      const double x = std::get<double>(current);
      for (double c : {x * 0.5, x * 1.5, x + 0.5, x - 0.5, 0.5, 2.0})
        candidates.emplace_back(c);
      break;
    }
  }
  for (const OptionValue& candidate : candidates) {
    if (candidate == current || !spec.admits(candidate)) continue;
    TuneOptions changed = options;
    spec.set(changed, candidate);
    try {
      changed.validate();
    } catch (const OptionError&) {
      continue;
    }
    return candidate;
  }
  return std::nullopt;
}

TEST(TuneOptionTable, TheFingerprintHoldsExactlyTheOptionsThatChangeTheResult) {
  const data::Split split = data::split_dataset(test::random_dataset(200, 30, 0.1, 3, 0.1),
                                                {.train = 0.6, .validation = 0.2, .test = 0.2});
  TuneProblem problem{&split.train, &split.validation, &split.test};
  for (const TuneMethod method : {TuneMethod::Shine, TuneMethod::Grid}) {
    TuneOptions options;
    options.method = method;
    const Fingerprint base = fingerprint(problem, options);
    for (const TuneOptionSpec& spec : tune_option_table()) {
      if (spec.name == "method") continue;
      const std::optional<OptionValue> other = alternative(spec, options);
      ASSERT_TRUE(other.has_value()) << spec.name;
      TuneOptions changed = options;
      spec.set(changed, *other);
      const Fingerprint after = fingerprint(problem, changed);
      const bool in_fingerprint = std::any_of(
          base.begin(), base.end(), [&](const auto& entry) { return entry.first == spec.name; });
      EXPECT_EQ(in_fingerprint, spec.changes_result(options)) << spec.name;
      EXPECT_EQ(after != base, spec.changes_result(options))
          << spec.name << " -> " << TuneOptionSpec::text(*other);
    }
  }
}

TEST(TuneOptionTable, ValidateNamesTheRowOfAValueOutOfRange) {
  for (const TuneOptionSpec& spec : tune_option_table()) {
    if (spec.kind != OptionKind::Integer && spec.kind != OptionKind::Real) continue;
    std::vector<double> outside{std::nan("")};
    if (std::isfinite(spec.range.min)) outside.push_back(spec.range.min - 1.0);
    if (std::isfinite(spec.range.max) && spec.range.max < 1e9)
      outside.push_back(spec.range.max + 1);
    if (spec.range.min_open) outside.push_back(spec.range.min);
    for (const double x : outside) {
      if (spec.kind == OptionKind::Integer && !std::isfinite(x)) continue;
      const OptionValue value = spec.kind == OptionKind::Integer
                                    ? OptionValue(static_cast<std::int64_t>(x))
                                    : OptionValue(x);
      ASSERT_FALSE(spec.admits(value)) << spec.name << " " << x;
      TuneOptions options;
      spec.set(options, value);
      try {
        options.validate();
        ADD_FAILURE() << spec.name << " = " << x << " was accepted";
      } catch (const OptionError& e) {
        EXPECT_EQ(e.option(), spec.name);
        EXPECT_NE(std::string(e.what()).find("TuneOptions::" + std::string(spec.name) + " = "),
                  std::string::npos)
            << e.what();
      }
    }
  }
}

TEST(TuneOptionTable, CrossRulesNameBothOptionsAsFieldsOrFlags) {
  TuneOptions options;
  options.secant.initial_radius = 5.0;  // above max_radius = 4
  try {
    options.validate();
    FAIL();
  } catch (const OptionError& e) {
    EXPECT_EQ(e.option(), "secant.initial_radius");
    EXPECT_STREQ(e.what(),
                 "TuneOptions::secant.initial_radius = 5: must be in (0, "
                 "TuneOptions::secant.max_radius]");
    EXPECT_EQ(e.describe(OptionNaming::Flag),
              "--trust-radius must be in (0, --max-trust-radius], got 5");
  }
  options = {};
  options.lbfgs.c2 = 1e-5;
  EXPECT_THROW(options.validate(), OptionError);
  options = {};
  options.initial_theta = 13.0;
  EXPECT_THROW(options.validate(), OptionError);
}

// The fields the outer loop sets for every solve are not part of the tuning options at all.
template <typename T>
concept HasSolveFields = requires(T t) {
  t.memory;
  t.tolerance;
};
template <typename T>
concept HasMethod = requires(T t) {
  t.method;
};
static_assert(!HasSolveFields<TuneLbfgsOptions> && HasSolveFields<inner::LbfgsOptions>);
static_assert(!HasMethod<TuneHypergradOptions> && HasMethod<hypergrad::HypergradOptions>);

TEST(TuneOptionTable, TheSolverAndStrategyOptionsCarryEveryTuningField) {
  // Every field of the solver's options is a tuning field or one of the four the loop sets: a
  // new solver field fails here until it is added (or listed).
  EXPECT_EQ(aggregate_field_count<TuneLbfgsOptions>() + 4,
            aggregate_field_count<inner::LbfgsOptions>());
  EXPECT_EQ(aggregate_field_count<TuneHypergradOptions>() + 1,
            aggregate_field_count<hypergrad::HypergradOptions>());
  // Defaults: the solver's, except diagonal scaling; the strategy's.
  const inner::LbfgsOptions plain = TuneLbfgsOptions{}.solver_options(10);
  const inner::LbfgsOptions solver;
  EXPECT_EQ(plain.max_iterations, solver.max_iterations);
  EXPECT_EQ(plain.c1, solver.c1);
  EXPECT_EQ(plain.c2, solver.c2);
  EXPECT_TRUE(plain.diagonal_scaling);
  EXPECT_FALSE(solver.diagonal_scaling);
  // Every field is carried over.
  TuneLbfgsOptions tuned;
  tuned.max_iterations = 7;
  tuned.max_linesearch = 8;
  tuned.c1 = 1e-3;
  tuned.c2 = 0.5;
  tuned.curvature_epsilon = 1e-6;
  tuned.initial_hessian = inner::InitialHessian::Identity;
  tuned.diagonal_scaling = false;
  tuned.value_noise = 0.0;
  tuned.pair_precision = inner::PairPrecision::Half;
  tuned.num_threads = 3;
  const inner::LbfgsOptions o = tuned.solver_options(17);
  EXPECT_EQ(o.memory, 17);
  EXPECT_EQ(o.max_iterations, 7);
  EXPECT_EQ(o.max_linesearch, 8);
  EXPECT_EQ(o.c1, 1e-3);
  EXPECT_EQ(o.c2, 0.5);
  EXPECT_EQ(o.curvature_epsilon, 1e-6);
  EXPECT_EQ(o.initial_hessian, inner::InitialHessian::Identity);
  EXPECT_FALSE(o.diagonal_scaling);
  EXPECT_EQ(o.value_noise, 0.0);
  EXPECT_EQ(o.pair_precision, inner::PairPrecision::Half);
  EXPECT_EQ(o.num_threads, 3);
  EXPECT_EQ(o.tolerance, solver.tolerance);
  EXPECT_EQ(o.time_limit, solver.time_limit);

  TuneHypergradOptions hg;
  hg.max_cg_iterations = 9;
  hg.cg_warm_start = false;
  hg.cg_lbfgs_preconditioner = true;
  hg.refine_scale = 0.5;
  hg.opa_every = 4;
  hg.opa_exact_hessian = true;
  hg.fallback = true;
  hg.fallback_ratio = 3.0;
  const hypergrad::HypergradOptions h = hg.for_method(hypergrad::Method::ShineRefine);
  EXPECT_EQ(h.method, hypergrad::Method::ShineRefine);
  EXPECT_EQ(h.max_cg_iterations, 9);
  EXPECT_FALSE(h.cg_warm_start);
  EXPECT_TRUE(h.cg_lbfgs_preconditioner);
  EXPECT_EQ(h.refine_scale, 0.5);
  EXPECT_EQ(h.opa_every, 4);
  EXPECT_TRUE(h.opa_exact_hessian);
  EXPECT_TRUE(h.fallback);
  EXPECT_EQ(h.fallback_ratio, 3.0);
  const hypergrad::HypergradOptions strategy;
  const hypergrad::HypergradOptions defaults = TuneHypergradOptions{}.for_method(strategy.method);
  EXPECT_EQ(defaults.max_cg_iterations, strategy.max_cg_iterations);
  EXPECT_EQ(defaults.refine_scale, strategy.refine_scale);
  EXPECT_EQ(defaults.fallback_ratio, strategy.fallback_ratio);
}

TEST(TuneOptionTable, ParseReadsTextAndRefusesWhatIsNotAValue) {
  const TuneOptionSpec& h0 = *find_tune_option("lbfgs.initial_hessian");
  EXPECT_EQ(h0.parse("scaled"), OptionValue(std::string("scaled_identity")));  // alias
  EXPECT_THROW((void)h0.parse("diagonal"), OptionError);
  const TuneOptionSpec& iterations = *find_tune_option("max_iterations");
  EXPECT_EQ(iterations.parse("12"), OptionValue(std::int64_t{12}));
  for (const char* bad : {"", "1.5", "12x", "0", "100001"})
    EXPECT_THROW((void)iterations.parse(bad), OptionError) << bad;
  const TuneOptionSpec& seed = *find_tune_option("seed");
  EXPECT_EQ(seed.parse("18446744073709551615"),
            OptionValue(std::uint64_t{18446744073709551615ULL}));
  EXPECT_THROW((void)seed.parse("-1"), OptionError);
  const TuneOptionSpec& noise = *find_tune_option("lbfgs.value_noise");
  EXPECT_THROW((void)noise.parse("nan"), OptionError);
  EXPECT_THROW((void)noise.parse("inf"), OptionError);
  const TuneOptionSpec& refit = *find_tune_option("refit");
  EXPECT_EQ(refit.parse("on"), OptionValue(true));
  EXPECT_EQ(refit.parse("false"), OptionValue(false));
  EXPECT_THROW((void)refit.parse("yes"), OptionError);
  const TuneOptionSpec& warm = *find_tune_option("warm_memory");
  EXPECT_EQ(warm.parse("on"), OptionValue(std::string("on")));
  EXPECT_EQ(warm.parse("true"), OptionValue(std::string("on")));
  EXPECT_EQ(warm.parse("auto"), OptionValue(std::string("auto")));
  EXPECT_THROW((void)warm.parse("yes"), OptionError);
}

TEST(TuneOptionTable, RangesAreWrittenAndCheckedFromTheirNumbers) {
  const OptionRange bounds = find_tune_option("step.lower_bound")->range;
  EXPECT_EQ(bounds.text(), "[-700, 700]");
  EXPECT_TRUE(bounds.contains(-700.0));
  EXPECT_TRUE(bounds.contains(700.0));
  EXPECT_FALSE(bounds.contains(700.5));
  EXPECT_FALSE(bounds.contains(std::nan("")));
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ((OptionRange{0.0, 1.0, true, false}).text(), "(0, 1]");
  EXPECT_EQ((OptionRange{0.0, inf, false, true}).text(), ">= 0");
  EXPECT_EQ((OptionRange{1.0, inf, true, true}).text(), "> 1");
  EXPECT_EQ((OptionRange{-inf, 5.0, true, false}).text(), "<= 5");
  EXPECT_EQ(OptionRange{}.text(), "finite");
  EXPECT_FALSE((OptionRange{0.0, 1.0, true, true}).contains(0.0));
  EXPECT_FALSE(OptionRange{}.contains(inf));
  // The rule of a row is its range's text; an integer's upper end at INT_MAX is not shown.
  EXPECT_EQ(find_tune_option("max_iterations")->rule(), "must be in [1, 100000]");
  EXPECT_EQ(find_tune_option("objective.num_threads")->rule(), "must be >= 0 (0 = all cores)");
  EXPECT_EQ(find_tune_option("time_budget")->rule(), "must be >= 0 seconds (0 = none)");
}

TEST(TuneOptionTable, TheMethodsAreTheListOfMethods) {
  const TuneOptionSpec& method = *find_tune_option("method");
  ASSERT_EQ(method.names.size(), all_tune_methods().size());
  for (std::size_t i = 0; i < method.names.size(); ++i) {
    EXPECT_EQ(method.names[i], to_string(all_tune_methods()[i]));
    EXPECT_NE(method.help.find(method.names[i]), std::string_view::npos) << method.names[i];
  }
}

TEST(Protocol, PaperOptionsAreThePapersSettingAndValid) {
  for (const TuneMethod method : all_tune_methods()) {
    const TuneOptions o = paper_options(method, 7);
    EXPECT_NO_THROW(o.validate()) << to_string(method);
    EXPECT_EQ(o.method, method);
    EXPECT_EQ(o.max_iterations, 29);
    EXPECT_EQ(o.candidates, 10);
    EXPECT_EQ(o.seed, 7u);
    EXPECT_EQ(o.initial_weights, InitialWeights::Gaussian);
    EXPECT_EQ(o.step.rule, StepRule::Double);
    EXPECT_EQ(o.inner_tolerance_rule, InnerToleranceRule::Paper);
    EXPECT_FALSE(o.lbfgs.diagonal_scaling);
    const bool hoag_like =
        method == TuneMethod::Hoag || method == TuneMethod::Grid || method == TuneMethod::Random;
    EXPECT_EQ(o.effective_memory(), hoag_like ? 10 : 30);
    EXPECT_DOUBLE_EQ(o.effective_schedule().rho, method == TuneMethod::Hoag ? 0.9 : 0.78);
  }
  const data::SplitOptions split = paper_split(4);
  EXPECT_EQ(split.seed, 4u);
  EXPECT_DOUBLE_EQ(split.train, 0.9);
  EXPECT_DOUBLE_EQ(split.validation, 0.05);
  const std::string text = describe_protocol(paper_options(TuneMethod::Shine, 0), split);
  for (const char* part : {"split 90/5/5", "29 outer iterations", "memory 30", "10 (hoag",
                           "rho = 0.78", "(0.9 for hoag)", "double adaptive step", "H0 = gamma I"})
    EXPECT_NE(text.find(part), std::string::npos) << part << " in " << text;
  EXPECT_EQ(all_tune_methods().size(), 7u);
  for (const TuneMethod method : all_tune_methods())
    EXPECT_EQ(parse_tune_method(to_string(method)), method);
}

}  // namespace
}  // namespace shine::outer
