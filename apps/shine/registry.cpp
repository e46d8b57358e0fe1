#include "registry.hpp"

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace shine::data {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::optional<Index> optional_index(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::nullopt;
  return it->get<Index>();
}

std::optional<std::string> optional_string(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::nullopt;
  return it->get<std::string>();
}

fs::path env_or(const char* variable, const fs::path& fallback) {
  const char* value = std::getenv(variable);
  return (value != nullptr && *value != '\0') ? fs::path(value) : fallback;
}

}  // namespace

const RegistryFile* RegistryEntry::file(std::string_view role) const noexcept {
  for (const auto& f : files) {
    if (f.role == role) return &f;
  }
  return nullptr;
}

Registry Registry::load(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path.string() + ": cannot open the dataset registry");
  Registry registry;
  registry.path_ = path;
  try {
    const json document = json::parse(in);
    if (document.value("format", "") != "shine-dataset-registry") {
      throw std::runtime_error("not a shine dataset registry (missing \"format\")");
    }
    for (const auto& [name, item] : document.at("datasets").items()) {
      RegistryEntry entry;
      entry.name = name;
      entry.description = item.value("description", "");
      entry.source = item.value("source", "");
      for (const auto& [role, f] : item.at("files").items()) {
        RegistryFile file;
        file.role = role;
        file.url = f.value("url", "");
        file.file = f.value("file", "");
        file.local = f.value("local", std::vector<std::string>{});
        file.sha256 = optional_string(f, "sha256");
        if (!file.sha256) file.sha256 = optional_string(f, "sha256_uncompressed");
        entry.files.push_back(std::move(file));
      }
      const json& shape = item.at("shape");
      entry.rows = shape.at("rows").get<Index>();
      entry.features = shape.at("features").get<Index>();
      entry.nnz = optional_index(shape, "nnz");
      entry.positives = optional_index(shape, "positives");
      registry.entries_.push_back(std::move(entry));
    }
  } catch (const json::exception& e) {
    throw std::runtime_error(path.string() + ": invalid dataset registry: " + e.what());
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(path.string() + ": " + e.what());
  }
  return registry;
}

Registry Registry::load_default() {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("SHINE_REGISTRY"); env != nullptr && *env != '\0') {
    candidates.emplace_back(env);
  } else {
    candidates.emplace_back(SHINE_SOURCE_REGISTRY);
    candidates.emplace_back(SHINE_INSTALLED_REGISTRY);
  }
  std::string tried;
  for (const auto& candidate : candidates) {
    if (fs::exists(candidate)) return load(candidate);
    tried += (tried.empty() ? "" : ", ") + candidate.string();
  }
  throw std::runtime_error("no dataset registry found (tried " + tried +
                           "); set SHINE_REGISTRY to the path of registry.json");
}

const RegistryEntry* Registry::find(std::string_view name) const noexcept {
  for (const auto& entry : entries_) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

std::vector<std::string> Registry::names() const {
  std::vector<std::string> names;
  for (const auto& entry : entries_)
    names.push_back(entry.name);
  return names;
}

fs::path Registry::root() const {
  return fs::absolute(path_).parent_path().parent_path();
}

fs::path Registry::shared_data_dir() const {
  return env_or("SHINE_DATA_DIR", root().parent_path() / "shared" / "data");
}

fs::path Registry::download_dir() const {
  return env_or("SHINE_DATASETS_DIR", root() / "datasets" / "downloads");
}

std::optional<fs::path> Registry::locate(const RegistryEntry& entry, std::string_view role) const {
  const RegistryFile* file = entry.file(role);
  if (file == nullptr) return std::nullopt;
  for (const auto& relative : file->local) {
    const bool in_repository = relative.rfind("datasets/", 0) == 0;
    const fs::path candidate = (in_repository ? root() : shared_data_dir()) / relative;
    if (fs::exists(candidate)) return candidate.lexically_normal();
  }
  if (!file->file.empty()) {
    const fs::path candidate = download_dir() / entry.name / file->file;
    if (fs::exists(candidate)) return candidate;
  }
  return std::nullopt;
}

}  // namespace shine::data
