#include "common.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "shine/core/timer.hpp"
#include "shine/data/registry.hpp"

namespace shine::cli {

LoadedData load_dataset(const std::string& source, const data::ReadOptions& options,
                        const std::string& role) {
  LoadedData loaded;
  if (std::filesystem::exists(source)) {
    loaded.path = source;
  } else {
    const data::Registry registry = data::Registry::load_default();
    const data::RegistryEntry* entry = registry.find(source);
    if (entry == nullptr) {
      std::string names;
      for (const auto& name : registry.names())
        names += (names.empty() ? "" : ", ") + name;
      throw UsageError("'" + source + "' is neither a file nor a registered dataset (" + names +
                       ")");
    }
    const auto path = registry.locate(*entry, role);
    if (!path) {
      if (entry->file(role) == nullptr) {
        throw UsageError("dataset '" + source + "' has no " + role + " file");
      }
      throw UsageError("dataset '" + source + "' is not available locally: run 'datasets/fetch " +
                       source + "' (it downloads into " + registry.download_dir().string() + ")");
    }
    loaded.path = *path;
    loaded.registry_name = source;
  }
  data::ReadOptions read = options;
  if (read.name.empty() && !loaded.registry_name.empty()) read.name = loaded.registry_name;
  const Timer timer;
  loaded.data = data::read_libsvm(loaded.path, read, &loaded.report);
  loaded.seconds = timer.seconds();
  return loaded;
}

std::vector<double> parse_fractions(const std::string& text, const std::string& option) {
  std::vector<double> values;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    std::size_t used = 0;
    double value = 0.0;
    try {
      value = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || !std::isfinite(value)) {
      throw UsageError(option +
                       " must be three comma-separated fractions such as 0.9,0.05,0.05; '" + item +
                       "' is not a number");
    }
    values.push_back(value);
  }
  if (values.size() != 3) {
    throw UsageError(option +
                     " must be three comma-separated fractions (train,validation,test) "
                     "such as 0.9,0.05,0.05; got '" +
                     text + "'");
  }
  return values;
}

std::string with_commas(long long value) {
  const std::string digits = std::to_string(value < 0 ? -value : value);
  std::string result;
  result.reserve(digits.size() + digits.size() / 3 + 1);
  if (value < 0) result.push_back('-');
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) result.push_back(',');
    result.push_back(digits[i]);
  }
  return result;
}

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  int unit = 0;
  while (bytes >= 1000.0 && unit < 4) {
    bytes /= 1000.0;
    ++unit;
  }
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, units[unit]);
  return buffer;
}

}  // namespace shine::cli
