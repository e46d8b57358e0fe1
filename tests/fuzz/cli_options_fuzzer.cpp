// libFuzzer target: the command line of `shine`, run in-process through shine::cli::run.
//
// Input layout: byte 0 chooses the command put in front (none, tune, fit, predict, data info,
// data convert, data split, reproduce, data); the rest is split into arguments at NUL and newline
// bytes. Each input runs in a fresh folder holding only tiny files (train.svm, test.svm,
// model.json, groups.txt; no LIBSVM file for reproduce), with a dataset registry that lists no
// dataset, so that every command fails fast or works on those files only; tune and reproduce get
// `--time-budget 0.2` and reproduce `--no-plot`, and PATH names an empty folder. Arguments
// containing '/' or ".." are not run: every relative path then stays inside that folder, and
// nothing is written anywhere else. Nor are inputs asking for more than 2^22 features (see
// asks_for_many_features).
//
// Accepted outcomes: exit codes 0, 2, 3, 4. Any other code, or an exception escaping run()
// (which promises never to throw), aborts.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "cli.hpp"

namespace {

namespace fs = std::filesystem;

fs::path g_root;  // per-process temporary folder: registry, empty PATH folder, work folder
fs::path g_work;  // the working directory of every run, emptied before each one
fs::path g_home;  // the fuzzer's own working directory, restored after each run (corpus paths)
std::string g_model;

constexpr std::string_view kTrain =
    "+1 1:0.5 2:1 4:-0.25\n-1 1:-1 3:0.5\n+1 2:0.75 3:1\n-1 1:-0.5 4:1\n+1 1:1 2:0.5\n"
    "-1 3:-1 4:0.5\n+1 1:0.25 3:0.75\n-1 2:-0.5 4:-1\n+1 1:0.75 4:0.25\n-1 1:-0.25 2:-1\n"
    "+1 2:1 3:0.5\n-1 3:-0.75 4:0.75\n+1 1:0.5 3:0.25\n-1 2:-0.25 4:-0.5\n+1 1:1 4:1\n"
    "-1 1:-0.75 3:-0.5\n+1 2:0.25 4:0.5\n-1 1:-1 2:-0.75\n+1 3:1 4:0.25\n-1 2:-1 3:-0.25\n";
constexpr std::string_view kTest = "+1 1:0.5 3:0.5\n-1 2:-0.5 4:1\n+1 1:1\n-1 3:-1\n";
constexpr std::string_view kGroups = "1 a\n2 a\n3 b\n";

constexpr const char* kCommands[][2] = {
    {nullptr, nullptr},   {"tune", nullptr},      {"fit", nullptr},
    {"predict", nullptr}, {"data", "info"},       {"data", "convert"},
    {"data", "split"},    {"reproduce", nullptr}, {"data", nullptr},
};

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "cli_options_fuzzer: %s\n", what.c_str());
  std::abort();
}

void write_file(const fs::path& path, std::string_view content) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!file) fail("cannot write " + path.string());
}

// `with_data` false leaves out the LIBSVM files (for `reproduce`, which would run for minutes).
void reset_work_folder(bool with_data = true) {
  fs::current_path(g_root);
  fs::remove_all(g_work);
  fs::create_directory(g_work);
  fs::current_path(g_work);
  if (with_data) {
    write_file("train.svm", kTrain);
    write_file("test.svm", kTest);
  }
  write_file("groups.txt", kGroups);
  if (!g_model.empty()) write_file("model.json", g_model);
}

int run(const std::vector<std::string>& args, std::string* out_text = nullptr) {
  std::vector<const char*> argv{"shine"};
  for (const auto& a : args)
    argv.push_back(a.c_str());
  std::ostringstream out;
  std::ostringstream err;
  int code = -1;
  try {
    code = shine::cli::run(static_cast<int>(argv.size()), argv.data(), out, err);
  } catch (const std::exception& e) {
    fail(std::string("an exception escaped shine::cli::run: ") + e.what());
  } catch (...) {
    fail("a non-standard exception escaped shine::cli::run");
  }
  if (code != 0 && code != 2 && code != 3 && code != 4) {
    fail("exit code " + std::to_string(code) + "; stderr:\n" + err.str());
  }
  if (code != 0 && err.str().empty()) fail("failed without a message on stderr");
  if (out_text != nullptr) *out_text = out.str();
  return code;
}

// True when `args` ask a data command for more than 2^22 features (`--features N`, also written
// `--features=N` or abbreviated, as Boost accepts). The reader then allocates the N + 1 row
// pointers of the transpose, as asked: correct, and bounded by the memory check against the
// memory available, but beyond this target's -rss_limit_mb. Such inputs are not run (the
// reader's memory check has its own tests).
bool asks_for_many_features(const std::vector<std::string>& args) {
  constexpr std::string_view kName = "features";
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) continue;
    const std::size_t equals = arg.find('=');
    const std::string_view name = std::string_view(arg).substr(
        2, equals == std::string::npos ? std::string::npos : equals - 2);
    if (name.empty() || kName.substr(0, name.size()) != name) continue;
    std::string value;
    if (equals != std::string::npos) {
      value = arg.substr(equals + 1);
    } else if (i + 1 < args.size()) {
      value = args[i + 1];
    }
    // The leading number, as Boost's conversion would read it.
    char* end = nullptr;
    const long long count = std::strtoll(value.c_str(), &end, 10);
    if (end != value.c_str() && count > (1LL << 22)) return true;  // ERANGE: LLONG_MAX
  }
  return false;
}

void remove_root() {
  std::error_code ignored;
  fs::current_path(fs::temp_directory_path(), ignored);
  if (!g_root.empty()) fs::remove_all(g_root, ignored);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  std::string pattern = (fs::temp_directory_path() / "shine-cli-fuzz-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) fail("cannot create a temporary folder");
  g_root = pattern;
  g_work = g_root / "work";
  g_home = fs::current_path();
  std::atexit(remove_root);
  fs::create_directory(g_root / "bin");  // PATH: nothing to execute (no gnuplot)
  write_file(g_root / "registry.json", R"({"format": "shine-dataset-registry", "datasets": {}})");
  setenv("SHINE_REGISTRY", (g_root / "registry.json").c_str(), 1);
  setenv("SHINE_DATA_DIR", (g_root / "no-data").c_str(), 1);
  setenv("SHINE_DATASETS_DIR", (g_root / "no-downloads").c_str(), 1);
  setenv("PATH", (g_root / "bin").c_str(), 1);
  setenv("OMP_NUM_THREADS", "1", 1);
  // A real model file for `predict`, fitted once on the tiny training file.
  reset_work_folder();
  if (run({"fit", "train.svm", "--lambda", "0.1", "--model", "model.json", "--quiet"}) != 0) {
    fail("cannot fit the model used by the predict inputs");
  }
  std::ifstream model("model.json", std::ios::binary);
  std::ostringstream text;
  text << model.rdbuf();
  g_model = text.str();
  fs::current_path(g_home);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  if (size < 1) return 0;
  const auto& command = kCommands[bytes[0] % std::size(kCommands)];
  std::vector<std::string> args;
  for (const char* word : command) {
    if (word != nullptr) args.emplace_back(word);
  }
  const bool bounded_run = args.size() == 1 && (args[0] == "tune" || args[0] == "reproduce");
  if (bounded_run) {
    // Keeps every run short; a second --time-budget in the input is then a usage error.
    args.emplace_back("--time-budget");
    args.emplace_back("0.2");
  }
  if (!args.empty() && args[0] == "reproduce") args.emplace_back("--no-plot");  // no gnuplot

  std::string current;
  std::size_t given = 0;
  for (std::size_t i = 1; i <= size; ++i) {
    if (i == size || bytes[i] == '\0' || bytes[i] == '\n') {
      if (i < size || !current.empty()) {
        if (current.find('/') != std::string::npos || current.find("..") != std::string::npos) {
          return 0;  // could name a path outside the work folder
        }
        args.push_back(current);
        ++given;
      }
      current.clear();
      if (given > 64) return 0;
      continue;
    }
    current.push_back(static_cast<char>(bytes[i]));
  }

  if (asks_for_many_features(args)) return 0;

  // reproduce runs its whole protocol (10 seeds x 7 methods by default) on any dataset it can
  // read: give it none, so that it stops after checking its options.
  reset_work_folder(args.empty() || args[0] != "reproduce");
  run(args);
  fs::current_path(g_home);
  return 0;
}
