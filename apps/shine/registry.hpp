#pragma once
/// @file
/// Named datasets: `datasets/registry.json` maps a name (`real-sim`, `20news`, …) to its files,
/// download addresses, checksums and expected shape, and finds local copies.
///
/// Where a file is looked for, in order: its `local` paths (relative to the registry root when
/// they start with `datasets/`, else to the shared data folder), then the download folder
/// `<download dir>/<name>/<file>` where `datasets/fetch` puts what it downloads.
/// - registry file: `$SHINE_REGISTRY`, else the source tree's `datasets/registry.json`, else the
///   installed `share/shine/datasets/registry.json`;
/// - shared data folder: `$SHINE_DATA_DIR`, else `<registry root>/../shared/data`;
/// - download folder: `$SHINE_DATASETS_DIR`, else `<registry root>/datasets/downloads`.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shine/core/types.hpp"

namespace shine::data {

/// One file of a registered dataset.
struct RegistryFile {
  std::string role;                   ///< "train" or "test".
  std::string url;                    ///< Download address; empty for local-only files.
  std::string file;                   ///< File name in the download folder.
  std::vector<std::string> local;     ///< Paths of local copies, tried in order.
  std::optional<std::string> sha256;  ///< Of the file (or of its uncompressed text), if recorded.
};

/// A registered dataset and the shape its published files have.
struct RegistryEntry {
  std::string name;                 ///< Registry key, e.g. "spamassassin".
  std::string description;          ///< What the data is: task, features, label convention.
  std::string source;               ///< Provenance and licence of the data.
  std::vector<RegistryFile> files;  ///< Its files, one per role.
  Index rows = 0;                   ///< Rows of the training file.
  Index features = 0;               ///< Feature count of the dataset.
  std::optional<Index> nnz;         ///< Non-zeros of the training file, where recorded.
  std::optional<Index> positives;   ///< +1 labels in the training file, where recorded.

  /// The file with the given role, or nullptr.
  [[nodiscard]] const RegistryFile* file(std::string_view role) const noexcept;
};

/// The registry of named datasets. Thread-safe for concurrent reads.
class Registry {
 public:
  /// Loads a registry file. Throws `std::runtime_error` naming the file when it cannot be read or
  /// is not a valid registry.
  static Registry load(const std::filesystem::path& path);

  /// Loads the default registry (see the file comment). Throws `std::runtime_error` when none
  /// is found, naming the places tried.
  static Registry load_default();

  /// The entry with this name, or nullptr.
  [[nodiscard]] const RegistryEntry* find(std::string_view name) const noexcept;

  /// Every registered name, in file order.
  [[nodiscard]] std::vector<std::string> names() const;

  /// The first existing local copy of a dataset's file with the given role, if any.
  [[nodiscard]] std::optional<std::filesystem::path> locate(const RegistryEntry& entry,
                                                            std::string_view role) const;

  /// The registry file this was loaded from.
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  /// Folder that holds `datasets/` (the repository root or the install share folder).
  [[nodiscard]] std::filesystem::path root() const;
  /// The shared data folder (see the file comment).
  [[nodiscard]] std::filesystem::path shared_data_dir() const;
  /// The download folder (see the file comment).
  [[nodiscard]] std::filesystem::path download_dir() const;

 private:
  std::filesystem::path path_;
  std::vector<RegistryEntry> entries_;
};

}  // namespace shine::data
