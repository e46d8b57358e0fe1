// Feature-group files: one `FEATURE GROUP` line per listed feature (see feature_groups.hpp).
#include "shine/data/feature_groups.hpp"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "shine/data/libsvm_io.hpp"

namespace shine::data {

FeatureGroups read_feature_groups(const std::string& path, Index features) {
  std::error_code folder_error;
  if (std::filesystem::is_directory(path, folder_error)) {
    throw std::runtime_error(path + ": is a folder, not a group file");
  }
  std::ifstream in(path);
  if (!in) {
    throw std::runtime_error(path + ": cannot open the group file" +
                             (std::filesystem::exists(path) ? "" : " (no such file)"));
  }
  FeatureGroups groups;
  groups.group_of.assign(static_cast<std::size_t>(features), -1);
  std::map<std::string, std::int32_t> index_of;
  std::string line;
  std::int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::istringstream tokens(line);
    std::string feature_text, group;
    if (!(tokens >> feature_text)) continue;
    const auto column = static_cast<std::int64_t>(line.find(feature_text) + 1);
    if (!(tokens >> group)) {
      throw ParseError(path, number, column,
                       "expected 'FEATURE GROUP' (a 1-based feature index and a group "
                       "name), found only '" +
                           feature_text + "'");
    }
    std::string extra;
    if (tokens >> extra) {
      throw ParseError(path, number, column,
                       "expected 'FEATURE GROUP', found a third field '" + extra +
                           "' (group names cannot contain spaces)");
    }
    long long feature = 0;
    const auto [end, ec] =
        std::from_chars(feature_text.data(), feature_text.data() + feature_text.size(), feature);
    if (ec != std::errc() || end != feature_text.data() + feature_text.size() || feature < 1) {
      throw ParseError(path, number, column,
                       "feature '" + feature_text +
                           "' is not a positive integer: features are 1-based LIBSVM "
                           "indices");
    }
    if (feature > features) {
      ++groups.ignored;
      continue;
    }
    auto [it, inserted] =
        index_of.try_emplace(group, static_cast<std::int32_t>(groups.names.size()));
    if (inserted) groups.names.push_back(group);
    std::int32_t& slot = groups.group_of[static_cast<std::size_t>(feature - 1)];
    if (slot >= 0 && slot != it->second) {
      throw ParseError(path, number, column,
                       "feature " + feature_text + " is listed twice, in groups '" +
                           groups.names[static_cast<std::size_t>(slot)] + "' and '" + group + "'");
    }
    slot = it->second;
  }
  if (in.bad()) throw std::runtime_error(path + ": cannot read the group file");
  if (groups.names.empty()) {
    throw ParseError(path, 0, 0, "no 'FEATURE GROUP' line for the training data's features");
  }
  for (auto& group : groups.group_of) {
    if (group >= 0) continue;
    if (groups.unlisted == 0) groups.names.emplace_back("(unlisted)");
    group = static_cast<std::int32_t>(groups.names.size() - 1);
    ++groups.unlisted;
  }
  return groups;
}

}  // namespace shine::data
