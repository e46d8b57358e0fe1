// The shared message helpers of the LIBSVM reader and writer (see libsvm_common.hpp).

#include "data/libsvm_common.hpp"

#include <array>
#include <charconv>
#include <cstdio>
#include <iterator>
#include <string>
#include <string_view>

namespace shine::data::detail {
namespace {

// Longest excerpt of the input quoted in an error message.
constexpr std::size_t kMaxQuoted = 40;

}  // namespace

std::string quote(std::string_view text) {
  if (text.size() > kMaxQuoted) return std::string(text.substr(0, kMaxQuoted)) + "...";
  return std::string(text);
}

std::string format_number(double value) {
  std::array<char, 32> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  return std::string(buffer.data(), result.ptr);
}

std::string format_bytes(std::uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " bytes";
  const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(bytes) / 1024.0;
  std::size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < std::size(units)) {
    value /= 1024.0;
    ++unit;
  }
  std::array<char, 32> buffer{};
  std::snprintf(buffer.data(), buffer.size(), "%.1f %s", value, units[unit]);
  return buffer.data();
}

std::string with_commas(std::uint64_t value) {
  const std::string digits = std::to_string(value);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

}  // namespace shine::data::detail
