#pragma once
/// @file
/// How much memory this process can still allocate, as the system reports it: the reader
/// compares the memory a file needs with it before it runs out (see
/// `ReadOptions::memory_limit_bytes`).

#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>

namespace shine::data {

/// Memory this process can still allocate, from the limits the system reports. Each limit is
/// empty when it is not set or cannot be read.
struct AvailableMemory {
  /// `MemAvailable` of /proc/meminfo: memory the kernel can hand out without swapping.
  std::optional<std::uint64_t> system;
  /// The cgroup memory limit (v2 `memory.max`, v1 `memory.limit_in_bytes`, the smallest one from
  /// the process's cgroup up to the root) minus its usage, page cache not counted as usage.
  std::optional<std::uint64_t> cgroup;
  /// `RLIMIT_AS` (ulimit -v) minus the current virtual size of the process.
  std::optional<std::uint64_t> address_space;

  /// The smallest of the limits above; no limit known: the largest std::uint64_t.
  [[nodiscard]] std::uint64_t bytes() const noexcept;
  /// Which limit `bytes()` comes from, in words ("MemAvailable in /proc/meminfo", "the cgroup
  /// memory limit", "RLIMIT_AS (ulimit -v)"); "no known limit" when none is known.
  [[nodiscard]] std::string limited_by() const;
};

/// Where `available_memory` reads from; tests point it at fake files.
struct MemorySources {
  std::filesystem::path proc = "/proc";                  ///< procfs: meminfo, self/cgroup, status.
  std::filesystem::path cgroup_root = "/sys/fs/cgroup";  ///< Mount point of the cgroup hierarchy.
  bool address_space = true;  ///< Whether to include RLIMIT_AS (of this process).
};

/// Reads the limits above. Never throws: a file that is missing or unreadable leaves its limit
/// empty. Costs a few small file reads (tens of microseconds).
AvailableMemory available_memory(const MemorySources& sources = {});

}  // namespace shine::data
