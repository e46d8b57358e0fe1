// LIBSVM parsing throughput and peak memory on the largest shared dataset (IMDB bigrams, train).
//
//   shine_bench_parse_libsvm [--file PATH.xz] [Google Benchmark flags]
//
// 1. Decompresses PATH.xz (default: $SHINE_DATA_DIR/imdb/imdb.bi.train.svm.xz, the data dir
//    defaulting to ../shared/data) to a temporary plain file with `xz -dc`.
// 2. Times read_libsvm on the plain file (MB/s of text, seconds per load), then on the .xz file
//    directly, with decompression on a helper thread (the default) and on the calling thread.
// 3. Measures the peak resident memory of a load in a fresh process (this program re-run with
//    --peak-memory PATH) against Dataset::memory_bytes().
// Skips with a message, and exit status 0, when the file is absent.

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "shine/data/libsvm_io.hpp"

namespace {

namespace fs = std::filesystem;
using shine::data::read_libsvm;
using shine::data::ReadOptions;
using shine::data::ReadReport;

// A field of /proc/self/status in bytes (VmRSS, VmHWM), or -1 where unavailable.
long long status_bytes(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      std::istringstream in(line.substr(field.size() + 1));
      long long kib = 0;
      in >> kib;
      return kib * 1024;
    }
  }
  return -1;
}

// Child mode: load `path` once in this fresh process and print
// "<rss before> <peak rss> <dataset bytes> <text bytes>".
int measure_peak_memory(const std::string& path) {
  const long long before = status_bytes("VmRSS");
  ReadReport report;
  const auto data = read_libsvm(path, {}, &report);
  const long long peak = status_bytes("VmHWM");
  std::cout << before << ' ' << peak << ' ' << data.memory_bytes() << ' ' << report.text_bytes
            << '\n';
  return 0;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s)
    out += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string run_and_capture(const std::string& command) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return output;
  char buffer[256];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr)
    output += buffer;
  if (pclose(pipe) != 0) output.clear();
  return output;
}

void report_peak_memory(const std::string& label, const fs::path& path) {
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  const std::string out =
      run_and_capture(shell_quote(self) + " --peak-memory " + shell_quote(path.string()));
  std::istringstream in(out);
  long long before = 0, peak = 0, dataset = 0, text = 0;
  if (!(in >> before >> peak >> dataset >> text) || dataset <= 0) {
    std::cout << label << ": peak memory not measured (no /proc/self/status?)\n";
    return;
  }
  const double mib = 1024.0 * 1024.0;
  std::printf(
      "%-6s peak RSS %7.1f MiB (%.1f MiB before loading), loaded dataset %7.1f MiB, text %.1f MiB:"
      "\n       peak growth / Dataset::memory_bytes() = %.2f   (whole-process peak / dataset = "
      "%.2f)\n",
      label.c_str(), static_cast<double>(peak) / mib, static_cast<double>(before) / mib,
      static_cast<double>(dataset) / mib, static_cast<double>(text) / mib,
      static_cast<double>(peak - before) / static_cast<double>(dataset),
      static_cast<double>(peak) / static_cast<double>(dataset));
}

void load(benchmark::State& state, const fs::path& path, const ReadOptions& options) {
  std::uint64_t text_bytes = 0;
  for (auto _ : state) {
    ReadReport report;
    auto data = read_libsvm(path, options, &report);
    benchmark::DoNotOptimize(data.X.valuePtr());
    text_bytes = report.text_bytes;
    state.counters["rows"] = static_cast<double>(data.rows());
    state.counters["nnz"] = static_cast<double>(data.nnz());
  }
  // Text bytes (uncompressed) per second, in decimal units: "text=250M/s" is 250 MB/s.
  state.counters["text"] = benchmark::Counter(static_cast<double>(text_bytes),
                                              benchmark::Counter::kIsIterationInvariantRate,
                                              benchmark::Counter::OneK::kIs1000);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args;
  fs::path file;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--peak-memory" && i + 1 < argc) return measure_peak_memory(argv[i + 1]);
    if (arg == "--file" && i + 1 < argc) {
      file = argv[++i];
      continue;
    }
    args.push_back(argv[i]);
  }
  if (file.empty()) {
    const char* env = std::getenv("SHINE_DATA_DIR");
    const fs::path data_dir =
        (env != nullptr && *env != '\0') ? fs::path(env) : fs::path(SHINE_DEFAULT_SHARED_DATA_DIR);
    file = data_dir / "imdb" / "imdb.bi.train.svm.xz";
  }
  if (!fs::exists(file)) {
    std::cout << "skipped: " << file
              << " not found (set SHINE_DATA_DIR to the folder holding imdb/, or pass --file)\n";
    return 0;
  }

  const fs::path plain = fs::temp_directory_path() /
                         ("shine-bench-" + std::to_string(::getpid()) + "-" + file.stem().string());
  const std::string command =
      "xz -dc " + shell_quote(file.string()) + " > " + shell_quote(plain.string());
  if (std::system(command.c_str()) != 0) {
    std::cout << "skipped: could not decompress " << file << " with xz (is xz installed?)\n";
    std::error_code ignored;
    fs::remove(plain, ignored);
    return 0;
  }
  std::cout << "file: " << file << " (" << fs::file_size(file) << " bytes compressed, "
            << fs::file_size(plain) << " bytes of text)\n";

  ReadOptions serial;
  serial.decompress_in_background = false;
  benchmark::RegisterBenchmark("read_libsvm/plain", load, plain, ReadOptions{})
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime()
      ->Iterations(5);
  benchmark::RegisterBenchmark("read_libsvm/xz", load, file, ReadOptions{})
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime()
      ->Iterations(3);
  benchmark::RegisterBenchmark("read_libsvm/xz_one_thread", load, file, serial)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime()
      ->Iterations(3);

  int bench_argc = static_cast<int>(args.size());
  benchmark::Initialize(&bench_argc, args.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();

  std::cout << "\nPeak resident memory of one load, each in a fresh process:\n";
  report_peak_memory("plain", plain);
  report_peak_memory("xz", file);

  std::error_code ignored;
  fs::remove(plain, ignored);
  return 0;
}
