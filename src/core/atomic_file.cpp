#include "shine/core/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>

namespace shine {
namespace {

std::filesystem::path temporary_beside(const std::filesystem::path& path) {
  static std::atomic<unsigned> counter{0};
  // Appended piece by piece (GCC 12 warns falsely on a chain of string operator+).
  std::string name(1, '.');
  name.append(path.filename().string());
  name.append(".tmp-");
  name.append(std::to_string(::getpid()));
  name.push_back('-');
  name.append(std::to_string(counter.fetch_add(1)));
  return path.parent_path() / name;
}

// Flushes a file's (or a folder's) data to the device, so that a rename is not recorded before
// the content it names. Best effort: a file system that cannot sync is not an error.
void sync_to_device(const std::filesystem::path& path, bool folder) {
  const int fd = ::open(path.c_str(), folder ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  if (fd < 0) return;
  (void)::fsync(fd);
  (void)::close(fd);
}

}  // namespace

AtomicFile::AtomicFile(std::filesystem::path path)
    : path_(std::move(path)), temporary_(temporary_beside(path_)) {
  if (path_.filename().empty()) {
    throw std::runtime_error(path_.string() + ": not a file name");
  }
  out_.open(temporary_, std::ios::binary | std::ios::trunc);
  if (!out_) {
    const int error = errno;
    std::string reason = error != 0 ? std::strerror(error) : "cannot create a file there";
    const auto folder =
        path_.parent_path().empty() ? std::filesystem::path(".") : path_.parent_path();
    std::error_code ec;
    if (!std::filesystem::is_directory(folder, ec)) reason = "the folder does not exist";
    throw std::runtime_error(path_.string() + ": cannot write: " + reason);
  }
}

AtomicFile::~AtomicFile() {
  if (committed_) return;
  if (out_.is_open()) out_.close();
  std::error_code ignored;
  std::filesystem::remove(temporary_, ignored);
}

void AtomicFile::commit() {
  out_.flush();
  const bool written = static_cast<bool>(out_);
  out_.close();
  if (!written || out_.fail()) {
    std::error_code ignored;
    std::filesystem::remove(temporary_, ignored);
    throw std::runtime_error(path_.string() + ": write failed (disk full or file system error)");
  }
  // The content reaches the device before the rename: after a crash of the machine (not only of
  // the process), the file is then still either the old one or the whole new one.
  sync_to_device(temporary_, false);
  std::error_code ec;
  std::filesystem::rename(temporary_, path_, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(temporary_, ignored);
    throw std::runtime_error(path_.string() + ": cannot replace the file: " + ec.message());
  }
  sync_to_device(path_.parent_path().empty() ? std::filesystem::path(".") : path_.parent_path(),
                 true);
  committed_ = true;
}

void write_file_atomically(const std::filesystem::path& path, std::string_view content) {
  AtomicFile file(path);
  file.stream().write(content.data(), static_cast<std::streamsize>(content.size()));
  file.commit();
}

}  // namespace shine
