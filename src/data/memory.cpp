#include "data/memory.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <string_view>
#include <system_error>
#include <vector>

namespace shine::data {
namespace {

namespace fs = std::filesystem;

// cgroup v1 reports "no limit" as a huge number (PAGE_COUNTER_MAX pages, about 2^63); anything
// above 2^62 bytes is no limit in practice.
constexpr std::uint64_t kNoLimit = std::uint64_t{1} << 62;

std::optional<std::string> read_small_file(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return text.str();
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

std::optional<std::uint64_t> parse_number(std::string_view text) {
  text = trim(text);
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end == text.data()) return std::nullopt;
  return value;
}

// The number after `key` at the start of a line of `text` ("MemAvailable:   123 kB", "file 456").
std::optional<std::uint64_t> field(std::string_view text, std::string_view key) {
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(at, end - at);
    if (line.size() > key.size() && line.substr(0, key.size()) == key &&
        (line[key.size()] == ' ' || line[key.size()] == '\t')) {
      return parse_number(line.substr(key.size()));
    }
    at = end + 1;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> number_file(const fs::path& path) {
  const auto text = read_small_file(path);
  if (!text) return std::nullopt;
  return parse_number(*text);
}

// Free bytes under one cgroup level: its limit minus its usage, page cache (reclaimable) not
// counted. Empty when the level has no limit.
std::optional<std::uint64_t> level_free(const fs::path& dir, const char* limit_file,
                                        const char* usage_file, std::string_view cache_key) {
  const auto limit_text = read_small_file(dir / limit_file);
  if (!limit_text || trim(*limit_text) == "max") return std::nullopt;
  const auto limit = parse_number(*limit_text);
  if (!limit || *limit >= kNoLimit) return std::nullopt;
  std::uint64_t usage = number_file(dir / usage_file).value_or(0);
  if (const auto stat = read_small_file(dir / "memory.stat")) {
    const std::uint64_t cache = field(*stat, cache_key).value_or(0);
    usage = usage > cache ? usage - cache : 0;
  }
  return *limit > usage ? *limit - usage : 0;
}

// The smallest free amount from `dir` up to `root` (a parent's limit applies to its children).
std::optional<std::uint64_t> hierarchy_free(const fs::path& root, const std::string& relative,
                                            const char* limit_file, const char* usage_file,
                                            std::string_view cache_key) {
  std::error_code ec;
  fs::path dir = root / fs::path(relative).relative_path();
  // Inside a container the process's cgroup path often names a folder of the host's hierarchy
  // that is not mounted here: the mount point is then the process's own cgroup.
  if (!fs::is_directory(dir, ec)) dir = root;
  std::optional<std::uint64_t> best;
  for (;;) {
    if (const auto free = level_free(dir, limit_file, usage_file, cache_key)) {
      best = best ? std::min(*best, *free) : *free;
    }
    if (dir == root || !dir.has_relative_path() || dir.parent_path() == dir) break;
    const fs::path parent = dir.parent_path();
    if (parent.native().size() < root.native().size()) break;
    dir = parent;
  }
  return best;
}

std::optional<std::uint64_t> cgroup_free(const MemorySources& sources) {
  const auto text = read_small_file(sources.proc / "self" / "cgroup");
  if (!text) return std::nullopt;
  std::optional<std::string> v2_path, v1_path;
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    // "ID:CONTROLLERS:PATH"; v2 is "0::PATH".
    const auto first = line.find(':');
    const auto second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const std::string path = line.substr(second + 1);
    if (line.compare(0, first, "0") == 0 && controllers.empty()) {
      v2_path = path;
      continue;
    }
    std::istringstream names(controllers);
    std::string name;
    while (std::getline(names, name, ',')) {
      if (name == "memory") v1_path = path;
    }
  }
  std::optional<std::uint64_t> best;
  const auto keep = [&best](std::optional<std::uint64_t> free) {
    if (free) best = best ? std::min(*best, *free) : *free;
  };
  if (v2_path) {
    keep(hierarchy_free(sources.cgroup_root, *v2_path, "memory.max", "memory.current", "file"));
  }
  if (v1_path) {
    keep(hierarchy_free(sources.cgroup_root / "memory", *v1_path, "memory.limit_in_bytes",
                        "memory.usage_in_bytes", "total_cache"));
  }
  return best;
}

std::optional<std::uint64_t> address_space_free(const MemorySources& sources) {
  rlimit limit{};
  if (getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return std::nullopt;
  const auto cap = static_cast<std::uint64_t>(limit.rlim_cur);
  std::uint64_t used = 0;
  if (const auto status = read_small_file(sources.proc / "self" / "status")) {
    used = field(*status, "VmSize:").value_or(0) * 1024;
  }
  return cap > used ? cap - used : 0;
}

}  // namespace

std::uint64_t AvailableMemory::bytes() const noexcept {
  std::uint64_t least = std::numeric_limits<std::uint64_t>::max();
  for (const auto& limit : {system, cgroup, address_space}) {
    if (limit) least = std::min(least, *limit);
  }
  return least;
}

std::string AvailableMemory::limited_by() const {
  const std::uint64_t least = bytes();
  if (address_space && *address_space == least) return "RLIMIT_AS (ulimit -v)";
  if (cgroup && *cgroup == least) return "the cgroup memory limit";
  if (system && *system == least) return "MemAvailable in /proc/meminfo";
  return "no known limit";
}

AvailableMemory available_memory(const MemorySources& sources) {
  AvailableMemory memory;
  try {
    if (const auto meminfo = read_small_file(sources.proc / "meminfo")) {
      if (const auto kib = field(*meminfo, "MemAvailable:")) memory.system = *kib * 1024;
    }
    memory.cgroup = cgroup_free(sources);
    if (sources.address_space) memory.address_space = address_space_free(sources);
  } catch (const std::exception&) {
    // A limit that cannot be read is no limit: the check is a convenience, never a failure.
  }
  return memory;
}

}  // namespace shine::data
