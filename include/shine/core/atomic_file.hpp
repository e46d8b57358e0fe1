#pragma once
/// @file
/// Output files that appear whole or not at all: written to a hidden temporary beside the target,
/// then renamed over it.
///
/// A rename within one folder is atomic on POSIX file systems, so a reader (or a user after a
/// crash, an error or Ctrl-C) sees either the previous file or the complete new one, never a torn
/// prefix. Example:
///
/// @code
/// shine::AtomicFile file("model.json");
/// file.stream() << text;
/// file.commit();  // without it, the destructor removes the temporary and leaves model.json as is
/// @endcode

#include <filesystem>
#include <fstream>
#include <string_view>

namespace shine {

/// One output file being written; see the file comment. Not copyable; movable only by being
/// constructed in place.
class AtomicFile {
 public:
  /// Opens a temporary `.<name>.tmp-<pid>-<n>` in the folder of `path` (which must exist).
  /// Throws `std::runtime_error` naming `path` when it cannot be created.
  explicit AtomicFile(std::filesystem::path path);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  /// Removes the temporary unless `commit()` succeeded. Never throws.
  ~AtomicFile();

  /// The stream to write to (binary mode: bytes are written as given).
  [[nodiscard]] std::ostream& stream() noexcept { return out_; }
  /// The final path.
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

  /// Flushes and closes the temporary and renames it to the final path (replacing an existing
  /// file). Throws `std::runtime_error` naming the path when a write failed (disk full, ...) or
  /// the rename is refused; the temporary is then removed and the final path left untouched.
  void commit();

 private:
  std::filesystem::path path_;
  std::filesystem::path temporary_;
  std::ofstream out_;
  bool committed_ = false;
};

/// Writes `content` to `path` through an `AtomicFile`. Throws `std::runtime_error` naming the
/// path on failure (leaving any existing file at `path` intact).
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

}  // namespace shine
