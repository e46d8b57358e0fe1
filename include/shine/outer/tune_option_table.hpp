#pragma once
/// @file
/// The tuning options as data: one table of every field of `TuneOptions` (name, default, range,
/// help, whether it changes the computation), from which `TuneOptions::validate`, the checkpoint
/// fingerprint (`fingerprint`), the JSON configuration of a run (`report::JsonTrajectoryWriter`)
/// and the `shine tune` flags are all generated. A new option is one field in tune_options.hpp
/// and one row in src/outer/tune_option_table.cpp; tests/outer/tune_option_table_test.cpp fails
/// when a field has no row.
///
/// ```cpp
/// for (const shine::outer::TuneOptionSpec& spec : shine::outer::tune_option_table())
///   std::cout << spec.name << " = " << spec.text(spec.get(options)) << "  " << spec.rule() <<
///   '\n';
/// ```

#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "shine/outer/tune_options.hpp"

namespace shine::outer {

/// The value of one option: a switch, an integer, a seed, a real or a name (an enumeration).
using OptionValue = std::variant<bool, std::int64_t, std::uint64_t, double, std::string>;

/// What kind of value an option takes (the alternative of `OptionValue` it uses).
enum class OptionKind {
  Switch,   ///< bool
  Integer,  ///< std::int64_t (an `int` field), within `range`
  Seed,     ///< std::uint64_t, any value
  Real,     ///< double, finite, within `range`
  Name,     ///< std::string, one of `names`
};

/// A closed or open interval of numbers; ±infinity for an unbounded end.
struct OptionRange {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_open = false;  ///< true: min excluded
  bool max_open = false;  ///< true: max excluded

  /// True when `x` is finite and within the interval.
  [[nodiscard]] bool contains(double x) const noexcept;
  /// The interval as text: "[-700, 700]", "(0, 1]", ">= 0", "> 1", "<= 5", or "finite" when
  /// neither end is bounded. Messages and help that state a range use it, so that the text of a
  /// range comes from its numbers.
  [[nodiscard]] std::string text() const;
};

/// How the messages of an `OptionError` name options: as fields (`TuneOptions::lbfgs.c1`) or
/// as `shine tune` flags (`--c1`, falling back to the field for options without a flag).
enum class OptionNaming { Field, Flag };

/// One row of the table.
struct TuneOptionSpec {
  /// The field's path in `TuneOptions`, e.g. "lbfgs.c1"; also its key in the JSON configuration
  /// (nested at the dots) and in the fingerprint.
  std::string_view name;
  /// The `shine tune` flag without the dashes, e.g. "inner-tolerance"; empty when the command
  /// does not offer the option as a flag of its own.
  std::string_view flag;
  OptionKind kind = OptionKind::Real;
  OptionRange range;  ///< Integer and Real: the allowed values.
  /// Appended to the range in messages and help, e.g. "(0 = off)"; may be empty.
  std::string_view note;
  std::vector<std::string_view> names;  ///< Name: the accepted names, the canonical ones.
  /// Name: further accepted spellings, each mapped to a canonical name ({alias, name}).
  std::vector<std::pair<std::string_view, std::string_view>> aliases;
  /// Whether a different value changes the computation, for `options`: the fingerprint holds
  /// exactly these options, so a resume with another value is refused. Budgets (iterations,
  /// time, threads) do not: a resume may extend them.
  std::function<bool(const TuneOptions&)> changes_result;
  /// The default depends on `method` (the L-BFGS memory, the schedule's ρ): the value shown and
  /// used is the method's.
  bool default_depends_on_method = false;
  std::string_view help;  ///< One line, for `shine tune --help` and the documentation.

  /// The value in force in `options` (for optional fields, the method's default when unset).
  std::function<OptionValue(const TuneOptions&)> get;
  /// Stores `value` (of this row's kind) in `options`, unchecked: `TuneOptions::validate` checks.
  std::function<void(TuneOptions&, const OptionValue&)> set;

  /// The rule a value must meet, e.g. "must be in (0, 1) (0 = off)" or "must be secant, single
  /// or double".
  [[nodiscard]] std::string rule() const;
  /// True when `value` is of this row's kind and meets its rule.
  [[nodiscard]] bool admits(const OptionValue& value) const;
  /// The value written as `text` (numbers in C syntax, switches as true/false/on/off, names or
  /// aliases); throws `OptionError` (with this row's name) when it is not one, or breaks the rule.
  [[nodiscard]] OptionValue parse(std::string_view text) const;
  /// `value` as text that `parse` reads back exactly (shortest round-trip form of reals).
  [[nodiscard]] static std::string text(const OptionValue& value);
};

/// Every row, in a fixed order (method first: the setters of method-dependent options read it).
std::span<const TuneOptionSpec> tune_option_table();

/// The row named `name` (e.g. "lbfgs.c1"), or nullptr.
const TuneOptionSpec* find_tune_option(std::string_view name) noexcept;

/// The row whose `shine tune` flag is `flag` (without dashes), or nullptr.
const TuneOptionSpec* find_tune_flag(std::string_view flag) noexcept;

/// A tuning option out of its range, or inconsistent with another one: which option, its value
/// and the rule it breaks. `what()` names options as fields: "TuneOptions::lbfgs.c2 = 0.5: must
/// be in (TuneOptions::lbfgs.c1, 1)"; `describe(OptionNaming::Flag)` as `shine tune` flags.
class OptionError : public std::invalid_argument {
 public:
  /// `rule` may name other options as {name}, e.g. "must be > {step.lower_bound}".
  OptionError(std::string option, std::string value, std::string rule);

  [[nodiscard]] const std::string& option() const noexcept { return option_; }
  [[nodiscard]] const std::string& value() const noexcept { return value_; }
  /// The message with options named as fields or as flags: "--trust-radius must be in (0,
  /// --max-trust-radius], got 5" for flags.
  [[nodiscard]] std::string describe(OptionNaming naming) const;

 private:
  std::string option_;
  std::string value_;
  std::string rule_;
};

}  // namespace shine::outer
