#pragma once
// Helpers of the command-line tests: run `shine` in-process or as the real binary, temporary
// folders, and a small subsample of the shipped dataset written once per test program.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli.hpp"
#include "shine/data/libsvm_io.hpp"
#include "shine/data/split.hpp"
#include "support/paths.hpp"

namespace shine::cli::test_support {

namespace fs = std::filesystem;

/// What a command did.
struct Outcome {
  int code;
  std::string out;
  std::string err;
};

/// Runs `shine ARGS...` in-process.
inline Outcome shine(std::vector<std::string> args) {
  args.insert(args.begin(), "shine");
  std::vector<const char*> argv;
  for (const auto& a : args)
    argv.push_back(a.c_str());
  std::ostringstream out, err;
  const int code = run(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

inline std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline nlohmann::json read_json(const fs::path& path) {
  return nlohmann::json::parse(read_file(path));
}

inline std::size_t count_lines(const std::string& text) {
  std::size_t lines = 0;
  for (const char c : text)
    lines += c == '\n' ? 1 : 0;
  return lines;
}

/// The shipped dataset (6,046 e-mails × 176,112 features).
inline std::string shipped() {
  return (shine::test::source_dir() / "datasets/spamassassin/spamassassin.uni.svm.xz").string();
}

/// A fixed subsample of the shipped dataset: 900 rows (every 6th) and its 4,000 most frequent
/// features (the features are numbered by decreasing document frequency), so that each command
/// runs in a fraction of a second. Written once, next to the test program (every test runs in its
/// own process, and reading the whole shipped file each time would cost a second per test);
/// written atomically, so concurrent test processes may race safely.
inline std::string shipped_subsample() {
  static const fs::path path = [] {
    const fs::path target =
        fs::read_symlink("/proc/self/exe").parent_path() /
        ("shine_cli_subsample_v1_" + std::to_string(fs::file_size(shipped())) + ".svm");
    if (!fs::exists(target)) {
      const data::Dataset all =
          data::read_libsvm(shipped(), {.n_features = 4000, .drop_extra_features = true});
      std::vector<Index> rows;
      for (Index i = 0; i < all.rows() && rows.size() < 900; i += 6)
        rows.push_back(i);
      data::write_libsvm(data::select_rows(all, rows, "subsample"), target);
    }
    return target;
  }();
  return path.string();
}

/// A temporary folder per test, removed afterwards.
class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() /
        ("shine_cli_" +
         std::string(::testing::UnitTest::GetInstance()->current_test_info()->test_suite_name()) +
         "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
         std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path write(const std::string& name, const std::string& content) {
    const fs::path path = dir_ / name;
    std::ofstream(path) << content;
    return path;
  }
  [[nodiscard]] std::string path(const std::string& name) const { return (dir_ / name).string(); }
  /// Names of the files in the folder (temporaries included, which must never stay behind).
  [[nodiscard]] std::vector<std::string> files() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_))
      names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
  fs::path dir_;
};

/// Starts a program (argv[0] is its path) with stdout and stderr going to the given files
/// (created or truncated); returns its pid.
inline pid_t spawn(const std::vector<std::string>& args, const fs::path& out_path,
                   const fs::path& err_path) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    std::vector<char*> argv;
    for (const auto& a : args)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

/// Runs a program (argv[0] is its path) with stdout and stderr going to files, optionally sending
/// `signal` once `ready(stderr so far)` is true. Returns the exit code (128 + signal when killed)
/// and the outputs. Gives up after `timeout` (the child is then killed: code -1).
inline Outcome run_binary(const std::vector<std::string>& args, const fs::path& scratch,
                          int signal = 0, const std::function<bool(const std::string&)>& ready = {},
                          std::chrono::seconds timeout = std::chrono::seconds(60)) {
  const fs::path out_path = scratch / ".stdout";
  const fs::path err_path = scratch / ".stderr";
  const pid_t pid = spawn(args, out_path, err_path);
  const auto start = std::chrono::steady_clock::now();
  bool signalled = signal == 0;
  int status = 0;
  for (;;) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (std::chrono::steady_clock::now() - start > timeout) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      fs::remove(out_path);
      fs::remove(err_path);
      return {-1, "", "timed out"};
    }
    if (!signalled && (!ready || ready(read_file(err_path)))) {
      kill(pid, signal);
      signalled = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Outcome outcome{WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
                  read_file(out_path), read_file(err_path)};
  fs::remove(out_path);
  fs::remove(err_path);
  return outcome;
}

}  // namespace shine::cli::test_support
