#include "shine/core/status.hpp"

#include <array>
#include <utility>

namespace shine {
namespace {

constexpr std::array<std::pair<Termination, std::string_view>, 7> kNames{{
    {Termination::Converged, "converged"},
    {Termination::MaxIterations, "max_iterations"},
    {Termination::LineSearchFailed, "line_search_failed"},
    {Termination::NumericalError, "numerical_error"},
    {Termination::TimeLimit, "time_limit"},
    {Termination::Interrupted, "interrupted"},
    {Termination::StoppedByObserver, "stopped_by_observer"},
}};

}  // namespace

std::string_view to_string(Termination termination) noexcept {
  for (const auto& [value, name] : kNames) {
    if (value == termination) return name;
  }
  return "unknown";
}

std::optional<Termination> parse_termination(std::string_view name) noexcept {
  for (const auto& [value, candidate] : kNames) {
    if (candidate == name) return value;
  }
  return std::nullopt;
}

}  // namespace shine
