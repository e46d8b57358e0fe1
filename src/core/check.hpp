#pragma once
/// @file
/// Validation helpers for option structs: one place that formats the error a user sees.
///
/// Every `validate()` in shine throws `std::invalid_argument` with a message naming the option,
/// the value it had and the rule it breaks, e.g. `"LbfgsOptions::memory = 0: must be >= 1"`.

#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace shine {

/// Throws `std::invalid_argument("<field> = <value>: <rule>")` unless `ok`.
template <typename T>
void require(bool ok, std::string_view field, const T& value, std::string_view rule) {
  if (ok) return;
  std::ostringstream message;
  message.precision(17);
  message << field << " = " << value << ": " << rule;
  throw std::invalid_argument(message.str());
}

}  // namespace shine
