#include "common.hpp"

#include <charconv>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <ostream>
#include <sstream>
#include <string_view>

#include "registry.hpp"
#include "shine/core/timer.hpp"
#include "shine/data/distributed.hpp"

namespace shine::cli {

namespace po = boost::program_options;

namespace {

// Boost.Program_options builds its error messages by replacing the placeholders below with the
// option's name and value until none is left; an argument that itself contains a placeholder
// makes that replacement loop forever. Such an argument is reported here instead.
void refuse_parser_placeholders(const Arguments& args) {
  static constexpr std::string_view kPlaceholders[] = {"%canonical_option%", "%option%",
                                                       "%original_token%", "%prefix%", "%value%"};
  for (const auto& arg : args) {
    for (const auto placeholder : kPlaceholders) {
      if (arg.find(placeholder) != std::string::npos) {
        throw UsageError("the argument '" + arg + "' is not valid here, and it contains '" +
                         std::string(placeholder) +
                         "', which the option parser cannot quote in its message (see --help)");
      }
    }
  }
}

}  // namespace

bool parse_options(const Arguments& args, po::options_description& options,
                   const std::vector<std::string>& positional, po::variables_map& vm,
                   std::ostream& out, const char* usage) {
  options.add_options()("help,h", "show this help");
  po::options_description hidden;
  po::positional_options_description positions;
  for (const auto& name : positional) {
    hidden.add_options()(name.c_str(), po::value<std::string>());
    positions.add(name.c_str(), 1);
  }
  po::options_description all;
  all.add(options).add(hidden);
  try {
    po::store(po::command_line_parser(args).options(all).positional(positions).run(), vm);
    po::notify(vm);
  } catch (const po::too_many_positional_options_error&) {
    std::string expected;
    for (const auto& name : positional)
      expected += " " + name;
    throw UsageError("too many arguments: expected" +
                     (expected.empty() ? std::string(" none") : expected) + " (see --help)");
  } catch (const po::error& e) {
    refuse_parser_placeholders(args);  // before what(), which would never return
    throw UsageError(std::string(e.what()) + " (see --help)");
  }
  if (vm.count("help") != 0U) {
    out << usage << '\n' << options;
    return false;
  }
  for (const auto& name : positional) {
    if (vm.count(name) == 0U) throw UsageError("missing " + name + " (see --help)");
  }
  return true;
}

void check_output_path(const std::string& path, const std::string& option) {
  if (path.empty()) throw UsageError(option + " needs a file name");
  const std::filesystem::path p(path);
  std::error_code ec;
  if (std::filesystem::is_directory(p, ec)) {
    throw UsageError(option + " " + path + ": is a folder; give a file name");
  }
  const std::filesystem::path folder = p.parent_path().empty() ? "." : p.parent_path();
  if (!std::filesystem::is_directory(folder, ec)) {
    throw UsageError(option + " " + path + ": the folder " + folder.string() +
                     " does not exist; create it first");
  }
}

double positive_option(const po::variables_map& vm, const char* name) {
  const double value = vm[name].as<double>();
  if (!(std::isfinite(value) && value > 0.0)) {
    throw UsageError(std::string("--") + name + " must be > 0, got " + format("%g", value));
  }
  return value;
}

std::string command_line(const char* command, const Arguments& args) {
  std::string line = std::string("shine ") + command;
  for (const auto& arg : args) {
    const bool quote = arg.empty() || arg.find_first_of(" \t'\"$") != std::string::npos;
    line += quote ? " '" + arg + "'" : " " + arg;
  }
  return line;
}

namespace {
const core::Communicator* g_process_group = nullptr;
}  // namespace

const core::Communicator* process_group() noexcept {
  return g_process_group;
}

void set_process_group(const core::Communicator* group) noexcept {
  g_process_group = group;
}

LoadedData load_dataset(const std::string& source, const data::ReadOptions& options,
                        const std::string& role, const core::Communicator* group) {
  LoadedData loaded;
  // A folder of the same name as a registered dataset (say, an output folder `20news`) does not
  // hide the registry entry.
  std::error_code ec;
  const bool is_folder = std::filesystem::is_directory(source, ec);
  if (std::filesystem::exists(source, ec) &&
      !(is_folder && data::Registry::load_default().find(source) != nullptr)) {
    if (is_folder) throw std::runtime_error("'" + source + "' is a folder, not a LIBSVM file");
    loaded.path = source;
  } else {
    const data::Registry registry = data::Registry::load_default();
    const data::RegistryEntry* entry = registry.find(source);
    if (entry == nullptr) {
      std::string names;
      for (const auto& name : registry.names())
        names += (names.empty() ? "" : ", ") + name;
      // A file that cannot be read is an input error (exit code 3), as a malformed one is.
      throw std::runtime_error("'" + source + "' is neither a file nor a registered dataset (" +
                               names + ")");
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
  if (group != nullptr) {
    data::DatasetPart part = data::read_libsvm_part(loaded.path, *group, read, &loaded.report);
    loaded.data = std::move(part.data);
    loaded.first_row = part.first_row;
    loaded.total_rows = part.total_rows;
  } else {
    loaded.data = data::read_libsvm(loaded.path, read, &loaded.report);
    loaded.total_rows = loaded.data.rows();
  }
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
  const char* names[] = {"train", "validation", "test"};
  for (int i = 0; i < 3; ++i) {
    const bool ok =
        i == 0 ? values[0] > 0.0 && values[0] <= 1.0 : values[i] >= 0.0 && values[i] < 1.0;
    if (!ok) {
      throw UsageError(option + ": the " + names[i] + " fraction must be in " +
                       (i == 0 ? "(0, 1]" : "[0, 1)") + ", got " + format("%g", values[i]));
    }
  }
  const double sum = values[0] + values[1] + values[2];
  if (std::abs(sum - 1.0) > 1e-9) {
    throw UsageError(option + ": the fractions must sum to 1, got " +
                     format("%g + %g + %g = %g", values[0], values[1], values[2], sum));
  }
  return values;
}

std::uint64_t parse_seed(const std::string& text, const std::string& option) {
  std::uint64_t seed = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seed);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    throw UsageError(option + " must be a whole number from 0 to 18446744073709551615, got '" +
                     text + "'");
  }
  return seed;
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

std::string human_seconds(double seconds) {
  if (!std::isfinite(seconds)) return "-";
  if (seconds < 10.0) return format("%.2f s", seconds);
  if (seconds < 60.0) return format("%.1f s", seconds);
  const auto total = static_cast<long long>(std::llround(seconds));
  if (total < 3600) return format("%lld min %02lld s", total / 60, total % 60);
  return format("%lld h %02lld min", total / 3600, (total % 3600) / 60);
}

std::string format(const char* pattern, ...) {
  va_list args;
  va_start(args, pattern);
  va_list copy;
  va_copy(copy, args);
  const int size = std::vsnprintf(nullptr, 0, pattern, copy);
  va_end(copy);
  std::string result(size > 0 ? static_cast<std::size_t>(size) : 0U, '\0');
  if (size > 0) std::vsnprintf(result.data(), result.size() + 1, pattern, args);
  va_end(args);
  return result;
}

}  // namespace shine::cli
