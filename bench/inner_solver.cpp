// The inner solver against liblinear, against the memory-bandwidth floor, and across threads.
//
//   shine_bench_inner_solver [--datasets 20news,imdb.uni,imdb.bi] [--lambdas 1,0.01]
//                            [--threads 1,2] [--repeats 3] [--target 1e-6]
//                            [--solvers 10,30,10d,30d,30f,30h] [--liblinear liblinear-train|none]
//                            [--quick]
//   shine_bench_inner_solver --iteration-cost [--datasets 20news] [--lambdas 1] [--threads 1,2]
//                            [--solvers 30] [--iterations 150] [--repeats 3]
//   shine_bench_inner_solver --memory-cost [--dim 130107] [--threads 1] [--solvers 30,30f,30h]
//                            [--iterations 150] [--repeats 3]
//
// For each dataset (read from $SHINE_DATA_DIR, default ../shared/data) and each λ, with the
// training objective h(w) = Σ_i log(1 + exp(−y_i x_iᵀw)) + λ/2 ‖w‖² (no intercept):
//
// 1. Reference optimum h*: the smaller of a tight shine solve (‖∇h‖ ≤ 1e-8·‖∇h(0)‖) and a tight
//    liblinear solve (-e 1e-6), both evaluated by shine's objective.
// 2. shine, time to target: L-BFGS from w = 0 with a hook that stops at the first accepted
//    iterate with h(w) ≤ (1 + target)·h*; wall time of `inner::minimize` (including the first
//    evaluation), median of --repeats runs, for each thread count and each solver configuration
//    (--solvers: the memory m, with a trailing "d" for `LbfgsOptions::diagonal_scaling` and/or
//    "f" for single-precision or "h" for half-precision pairs, `LbfgsOptions::pair_precision`).
// 3. liblinear, time to target: `liblinear-train -s 0 -c C -e eps -B -1` with C = 1/λ (its
//    objective is h/λ, same minimizer) for eps = 1e-1, 1e-2, … until the model's h (computed here
//    from the model file) is within target; TRON's iterates do not depend on eps, so the largest
//    such eps gives the time to target. Solver time = the best wall time of that run minus the
//    best wall time of a run with -e 1e30 (which stops right after reading the data and the first
//    evaluation), over --repeats runs each. liblinear runs on one thread.
// 4. Per-iteration cost against the bandwidth floor: bytes of one X·d pass and one Xᵀ·r pass
//    (12 bytes per non-zero, 4 per row pointer, 8 per entry of the vectors read and written)
//    divided by the bandwidth of a 512 MiB array copy measured here (bytes read + written per
//    second), over the measured time per L-BFGS iteration; and the same against the bandwidth
//    of reading a 512 MiB array (the passes only read the matrix). Also both ratios for the
//    bare kernels (X·v and Xᵀ·v, each after evicting the caches).
// 5. OpenMP scaling: time to target and kernel time with 1 and 2 (or --threads) threads.
//
// With --iteration-cost, only the cost of one L-BFGS iteration against its two data passes: the
// best of --repeats times of X·v + Xᵀ·v (caches evicted before each), and the wall time per
// iteration of a solve from w = 0 (tolerance 0), measured between the first iterate after the
// memory is full and iteration m + 10 + --iterations (best of --repeats solves), with the
// solver's split into direction/memory work and line search over the same window. The same two
// times are also given in CPU time of the calling thread (best of the repeats): on a machine
// shared with other work they leave out the waits for a core (meaningful with one thread).
//
// With --memory-cost, no data: the memory's work per iteration alone on synthetic vectors of
// dimension --dim (default 130107, as 20news), see run_memory_cost.
//
// Skips a dataset with a message when its file is absent; exits 0.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "linalg/row_kernels.hpp"
#include "shine/core/timer.hpp"
#include "shine/data/libsvm_io.hpp"
#include "shine/inner/lbfgs_solver.hpp"
#include "shine/linalg/sparse_kernels.hpp"
#include "shine/objective/inner_objective.hpp"

namespace {

namespace fs = std::filesystem;
using shine::Index;
using shine::Timer;
using shine::Vector;

// One solver configuration: L-BFGS memory m, whether H₀ uses the diagonal scaling, and the
// storage of the pairs.
struct SolverConfig {
  int memory = 10;
  bool diagonal = false;
  shine::inner::PairPrecision precision = shine::inner::PairPrecision::Double;
  [[nodiscard]] std::string label() const {
    std::string out = "m=" + std::to_string(memory) + (diagonal ? " diag" : "");
    if (precision == shine::inner::PairPrecision::Single) out += " float";
    if (precision == shine::inner::PairPrecision::Half) out += " half";
    return out;
  }
};

// "10", "10d" (m = 10 with diagonal scaling), "10f" (single-precision pairs), "10h" (half-
// precision pairs), "10df", "10dh".
SolverConfig parse_solver(std::string s) {
  SolverConfig c;
  while (!s.empty() && (s.back() == 'd' || s.back() == 'f' || s.back() == 'h')) {
    if (s.back() == 'd') c.diagonal = true;
    if (s.back() == 'f') c.precision = shine::inner::PairPrecision::Single;
    if (s.back() == 'h') c.precision = shine::inner::PairPrecision::Half;
    s.pop_back();
  }
  c.memory = std::stoi(s);
  return c;
}

struct Config {
  std::vector<std::string> datasets{"20news", "imdb.uni", "imdb.bi"};
  std::vector<double> lambdas{1.0, 0.01};
  std::vector<int> threads{1, 2};
  int repeats = 3;
  double target = 1e-6;
  std::vector<SolverConfig> solvers{{10, false}, {30, false}, {10, true}, {30, true}};
  std::string liblinear = "liblinear-train";
  bool iteration_cost = false;
  int iterations = 150;
  bool memory_cost = false;
  Index dim = 130107;  // --memory-cost: d of 20news
};

struct DatasetFile {
  std::string name;
  std::string relative;
};

const std::vector<DatasetFile> kFiles{{"20news", "20news-sklearn/20news.svm.xz"},
                                      {"imdb.uni", "imdb/imdb.uni.train.svm.xz"},
                                      {"imdb.bi", "imdb/imdb.bi.train.svm.xz"}};

fs::path data_dir() {
  if (const char* env = std::getenv("SHINE_DATA_DIR"); env != nullptr && *env != '\0') return env;
  return SHINE_DEFAULT_SHARED_DATA_DIR;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (const char c : s)
    out += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown";
}

std::string today() {
  const std::time_t now = std::time(nullptr);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  return buffer;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Bandwidth {
  double copy = 0.0;  // bytes read + bytes written per second, 512 MiB array copy
  double read = 0.0;  // bytes read per second, sum over a 512 MiB array
};

// Copy and read bandwidth of 512 MiB arrays, best of 5 after a warm-up, on `threads` threads
// (through the library's own parallel loop, as the kernels).
Bandwidth measure_bandwidth(int threads) {
  const std::size_t n = std::size_t{1} << 26;
  std::vector<double> a(n, 1.0);
  std::vector<double> b(n, 2.0);
  const auto chunks = shine::linalg::RowChunks::uniform(static_cast<Index>(n), Index{1} << 16);
  double best_copy = 1e30;
  double best_read = 1e30;
  for (int rep = 0; rep < 6; ++rep) {
    Timer t;
    shine::linalg::for_each_chunk(chunks, threads, [&](Index, Index begin, Index end) {
      std::memcpy(b.data() + begin, a.data() + begin,
                  static_cast<std::size_t>(end - begin) * sizeof(double));
    });
    const double copy = t.seconds();
    t.reset();
    const auto sum = shine::linalg::sum_over_chunks<1>(
        chunks, threads, [&](Index begin, Index end, std::array<double, 1>& acc) {
          // Two partial sums and a software prefetch 2 KiB ahead, as the kernels do.
          const double* p = b.data();
          double s0 = 0.0;
          double s1 = 0.0;
          for (Index i = begin; i + 1 < end; i += 2) {
            if ((i & 7) == 0) __builtin_prefetch(p + std::min<Index>(i + 256, end - 1));
            s0 += p[i];
            s1 += p[i + 1];
          }
          acc[0] += s0 + s1;
        });
    const double read = t.seconds();
    if (sum[0] != static_cast<double>(n)) std::abort();
    if (rep == 0) continue;
    best_copy = std::min(best_copy, copy);
    best_read = std::min(best_read, read);
  }
  const double bytes = static_cast<double>(n * sizeof(double));
  return {2.0 * bytes / best_copy, bytes / best_read};
}

// Bytes moved by one pass y = A·x over CSR A: values and column indices, row pointers, the
// vector read (at least once) and the vector written.
double pass_bytes(const shine::SparseMatrix& A) {
  return 12.0 * static_cast<double>(A.nonZeros()) + 4.0 * static_cast<double>(A.rows() + 1) +
         8.0 * static_cast<double>(A.rows() + A.cols());
}

struct KernelTimes {
  double forward = 0.0;      // X·v
  double backward = 0.0;     // Xᵀ·v
  double forward_cpu = 0.0;  // the same in CPU time of the calling thread
  double backward_cpu = 0.0;
};

// X·v and Xᵀ·v, each after evicting the caches (a 256 MiB copy), best of 10: the cost of a pass
// that streams the matrix from memory, as in the solver, where the memory sweeps in between
// leave little of X in cache.
// CPU time of the calling thread, in seconds: on a shared machine it leaves out the time the
// thread waits for a core (with one thread the solver's work all runs on the calling thread).
double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

KernelTimes kernel_times(const shine::data::Dataset& data, int threads) {
  Vector x = Vector::Constant(data.features(), 0.01);
  Vector r = Vector::Constant(data.rows(), 0.5);
  Vector y(data.rows());
  Vector g(data.features());
  const std::size_t n = std::size_t{1} << 25;
  std::vector<double> a(n, 1.0);
  std::vector<double> b(n, 2.0);
  const auto evict = [&] { std::memcpy(b.data(), a.data(), n * sizeof(double)); };
  KernelTimes best{1e30, 1e30, 1e30, 1e30};
  for (int rep = 0; rep < 11; ++rep) {
    evict();
    Timer t;
    double cpu = thread_cpu_seconds();
    shine::linalg::multiply(data.X, x, y, threads);
    const double forward = t.seconds();
    const double forward_cpu = thread_cpu_seconds() - cpu;
    evict();
    t.reset();
    cpu = thread_cpu_seconds();
    shine::linalg::multiply(data.Xt, r, g, threads);
    const double backward = t.seconds();
    const double backward_cpu = thread_cpu_seconds() - cpu;
    if (rep == 0) continue;
    best.forward = std::min(best.forward, forward);
    best.backward = std::min(best.backward, backward);
    best.forward_cpu = std::min(best.forward_cpu, forward_cpu);
    best.backward_cpu = std::min(best.backward_cpu, backward_cpu);
  }
  return best;
}

struct ShineRun {
  double seconds = 0.0;
  int iterations = 0;
  Index passes = 0;
  double value = 0.0;
  bool reached = false;
  std::string brief;
};

// One L-BFGS solve from 0 that stops at the first iterate with h ≤ goal (goal = -inf: run to the
// tolerance).
ShineRun run_shine(const shine::objective::InnerObjective& objective, double goal,
                   const shine::inner::LbfgsOptions& options) {
  bool reached = false;
  const shine::inner::IterationHook stop_at_goal = [&](shine::inner::IterationView& view) {
    reached = view.value <= goal;
    return reached;
  };
  const auto result =
      shine::inner::minimize(objective, Vector::Zero(objective.dim()), options, {}, stop_at_goal);
  ShineRun run;
  run.seconds = result.summary.total_seconds;
  run.iterations = result.summary.iterations;
  run.passes = result.summary.data_passes;
  run.value = result.value;
  run.reached = reached;
  run.brief = result.summary.brief();
  return run;
}

// Runs a command, returns its wall time in seconds (negative when it failed).
double timed_system(const std::string& command) {
  const Timer t;
  const int status = std::system(command.c_str());
  const double seconds = t.seconds();
  return status == 0 ? seconds : -1.0;
}

// Reads a two-class liblinear model and returns w oriented so that w·x > 0 means the dataset's
// +1 class. Empty on failure.
Vector read_liblinear_model(const fs::path& path, const shine::data::Dataset& data) {
  std::ifstream in(path);
  std::string key;
  double first_label = 0.0;
  Index features = -1;
  while (in >> key) {
    if (key == "label") {
      in >> first_label;
      std::string rest;
      std::getline(in, rest);
    } else if (key == "nr_feature") {
      in >> features;
    } else if (key == "w") {
      break;
    } else {
      std::string rest;
      std::getline(in, rest);
    }
  }
  if (features < 0 || features > data.features()) return {};
  Vector w = Vector::Zero(data.features());
  for (Index j = 0; j < features; ++j) {
    if (!(in >> w[j])) return {};
  }
  // liblinear's first label is its positive side.
  if (first_label != data.labels.positive) w = -w;
  return w;
}

struct LiblinearResult {
  bool available = false;
  double eps = 0.0;       // largest eps reaching the target (0 if none)
  double seconds = -1.0;  // solver time to target
  double overhead = 0.0;  // read + first evaluation + model write
  double tight_value = 0.0;
  std::string note;
};

class Liblinear {
 public:
  Liblinear(std::string binary, fs::path text, fs::path work)
      : binary_(std::move(binary)), text_(std::move(text)), work_(std::move(work)) {}

  // Wall time of one training run and the objective h of its model.
  std::pair<double, double> run(double lambda, double eps,
                                const shine::objective::InnerObjective& objective) const {
    const fs::path model = work_ / "model";
    char c_arg[64];
    char e_arg[64];
    std::snprintf(c_arg, sizeof c_arg, "%.17g", 1.0 / lambda);
    std::snprintf(e_arg, sizeof e_arg, "%.17g", eps);
    const std::string command = shell_quote(binary_) + " -q -s 0 -c " + c_arg + " -e " + e_arg +
                                " -B -1 " + shell_quote(text_.string()) + " " +
                                shell_quote(model.string()) + " > /dev/null 2>&1";
    const double seconds = timed_system(command);
    if (seconds < 0.0) return {-1.0, 0.0};
    const Vector w = read_liblinear_model(model, objective.data());
    if (w.size() == 0) return {-1.0, 0.0};
    return {seconds, objective.value(w)};
  }

 private:
  std::string binary_;
  fs::path text_;
  fs::path work_;
};

void print_machine(const Config& config, int argc, char** argv) {
  std::string command;
  for (int i = 0; i < argc; ++i) {
    if (i > 0) command += ' ';
    command += argv[i];
  }
  std::printf("# shine inner-solver benchmark\n");
  std::printf("command: %s\n", command.c_str());
  std::printf("machine: %s, %ld online cores, OpenMP %s (max threads %d)\n", cpu_model().c_str(),
              sysconf(_SC_NPROCESSORS_ONLN), shine::linalg::parallel_enabled() ? "on" : "off",
              shine::linalg::resolve_threads(0));
  std::printf("date: %s\n", today().c_str());
  std::printf("data: %s; target: h <= (1 + %.0e) h*; repeats %d\n", data_dir().c_str(),
              config.target, config.repeats);
}

// Per-iteration cost of L-BFGS against its two data passes (--iteration-cost).
void run_iteration_cost(const Config& config, const shine::data::Dataset& data) {
  std::printf(
      "\n| m | threads | lambda | X·v + Xᵀ·v ms | ms/iteration | ratio | direction+memory "
      "ms/it | line search ms/it | line probes/it | CPU: X·v + Xᵀ·v ms | ms/iteration | ratio "
      "|\n|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const SolverConfig& c : config.solvers) {
    for (const int threads : config.threads) {
      double passes = 1e30;
      double passes_cpu = 1e30;
      for (int r = 0; r < std::max(1, config.repeats); ++r) {
        const KernelTimes k = kernel_times(data, threads);
        passes = std::min(passes, k.forward + k.backward);
        passes_cpu = std::min(passes_cpu, k.forward_cpu + k.backward_cpu);
      }
      for (const double lambda : config.lambdas) {
        const shine::objective::InnerObjective objective(
            data, std::log(lambda), shine::objective::ObjectiveOptions{false, threads});
        shine::inner::LbfgsOptions options;
        options.memory = c.memory;
        options.diagonal_scaling = c.diagonal;
        options.pair_precision = c.precision;
        options.tolerance = 0.0;
        options.num_threads = threads;
        const int first = c.memory + 10;
        const int last = first + config.iterations;
        options.max_iterations = last;
        double best = 1e30;
        double best_cpu = 1e30;
        double best_direction = 0.0;
        double best_search = 0.0;
        double probes = 0.0;
        for (int r = 0; r < config.repeats; ++r) {
          double start = 0.0;
          double end = 0.0;
          double start_cpu = 0.0;
          double end_cpu = 0.0;
          shine::inner::InnerSummary at_start;
          const shine::inner::IterationHook hook = [&](shine::inner::IterationView& view) {
            if (view.iteration == first) {
              start = view.seconds;
              start_cpu = thread_cpu_seconds();
            }
            if (view.iteration == last) {
              end = view.seconds;
              end_cpu = thread_cpu_seconds();
            }
            return false;
          };
          // Two solves: the first with a hook that stops at `first` gives the summary there.
          const auto head = shine::inner::minimize(
              objective, Vector::Zero(objective.dim()), options, {},
              [&](shine::inner::IterationView& view) { return view.iteration == first; });
          at_start = head.summary;
          const auto result =
              shine::inner::minimize(objective, Vector::Zero(objective.dim()), options, {}, hook);
          if (result.summary.iterations < last || end <= start) {
            std::printf("| %d | %d | %g | stopped after %d iterations (%s) |\n", c.memory, threads,
                        lambda, result.summary.iterations, result.summary.brief().c_str());
            break;
          }
          const double per = (end - start) / config.iterations;
          best_cpu = std::min(best_cpu, (end_cpu - start_cpu) / config.iterations);
          if (per < best) {
            best = per;
            best_direction =
                (result.summary.direction_seconds - at_start.direction_seconds) / config.iterations;
            best_search = (result.summary.line_search_seconds - at_start.line_search_seconds) /
                          config.iterations;
            probes = static_cast<double>(result.summary.line_search_evaluations -
                                         at_start.line_search_evaluations) /
                     config.iterations;
          }
        }
        if (best >= 1e30) continue;
        std::printf(
            "| %s | %d | %g | %.2f | %.2f | %.2fx | %.2f | %.2f | %.2f | %.2f | %.2f | %.2fx |\n",
            c.label().c_str(), threads, lambda, 1e3 * passes, 1e3 * best, best / passes,
            1e3 * best_direction, 1e3 * best_search, probes, 1e3 * passes_cpu, 1e3 * best_cpu,
            best_cpu / passes_cpu);
        std::fflush(stdout);
      }
    }
  }
}

// The memory's share of one L-BFGS iteration alone (--memory-cost): a memory of dimension --dim
// filled with m pairs, then --iterations times what the solver does per iteration, add_pair with
// the new gradient as probe and apply_inverse with the resulting projection, on synthetic vectors
// (entries spanning six orders of magnitude, y = s∘h with h in [0.1, 10], so every pair is
// accepted). Thread CPU time and wall time per iteration, best of --repeats; bytes of the stored
// vectors read per iteration (two sweeps over the 2m stored vectors).
void run_memory_cost(const Config& config) {
  std::printf(
      "\n| m | threads | pairs | H0 | stored bytes read per iteration MB | CPU ms/iteration | wall "
      "ms/iteration |\n|---|---|---|---|---|---|---|\n");
  const Index d = config.dim;
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  const auto random_vector = [&] {
    Vector v(d);
    for (Index j = 0; j < d; ++j)
      v[j] = unit(rng) * std::pow(10.0, 3.0 * unit(rng));
    return v;
  };
  Vector h(d);
  Vector delta(d);
  for (Index j = 0; j < d; ++j) {
    h[j] = std::pow(10.0, unit(rng));
    delta[j] = std::pow(10.0, unit(rng));
  }
  constexpr int kPool = 8;
  std::vector<Vector> pool_s;
  std::vector<Vector> pool_g;
  for (int k = 0; k < kPool; ++k) {
    pool_s.push_back(random_vector());
    pool_g.push_back(random_vector());
  }
  for (const SolverConfig& c : config.solvers) {
    for (const int threads : config.threads) {
      double best_cpu = 1e30;
      double best_wall = 1e30;
      for (int r = 0; r < config.repeats; ++r) {
        shine::inner::LbfgsMemory memory(d, c.memory, shine::inner::InitialHessian::ScaledIdentity,
                                         1e-10, c.precision);
        memory.set_num_threads(threads);
        if (c.diagonal) memory.set_diagonal(delta);
        shine::inner::LbfgsProjection projection;
        Vector direction(d);
        double cpu = 0.0;
        double wall = 0.0;
        for (int k = 0; k < c.memory + config.iterations; ++k) {
          Vector s = pool_s[static_cast<std::size_t>(k % kPool)];
          Vector y = s.cwiseProduct(h);
          const Vector& g = pool_g[static_cast<std::size_t>((k + 3) % kPool)];
          const double cpu_start = thread_cpu_seconds();
          const Timer timer;
          memory.add_pair(std::move(s), std::move(y), g, projection);
          memory.apply_inverse(g, direction, -1.0, &projection);
          if (k >= c.memory) {
            wall += timer.seconds();
            cpu += thread_cpu_seconds() - cpu_start;
          }
        }
        best_cpu = std::min(best_cpu, cpu / config.iterations);
        best_wall = std::min(best_wall, wall / config.iterations);
      }
      const double entry_bytes = c.precision == shine::inner::PairPrecision::Double   ? 8.0
                                 : c.precision == shine::inner::PairPrecision::Single ? 4.0
                                                                                      : 2.0;
      const double bytes = 2.0 * 2.0 * c.memory * static_cast<double>(d) * entry_bytes;
      std::printf("| %d | %d | %s | %s | %.1f | %.2f | %.2f |\n", c.memory, threads,
                  std::string(shine::inner::to_string(c.precision)).c_str(),
                  c.diagonal ? "gamma Delta" : "gamma I", bytes / 1e6, 1e3 * best_cpu,
                  1e3 * best_wall);
      std::fflush(stdout);
    }
  }
}

int run(const Config& config, int argc, char** argv) {
  print_machine(config, argc, argv);
  if (config.memory_cost) {
    run_memory_cost(config);
    return 0;
  }
  std::vector<double> bandwidth;  // copy bandwidth: the floor of the targets
  std::vector<double> read_bandwidth;
  for (const int t : config.threads) {
    const Bandwidth bw = measure_bandwidth(t);
    bandwidth.push_back(bw.copy);
    read_bandwidth.push_back(bw.read);
    std::printf(
        "bandwidth, 512 MiB arrays, %d thread%s: copy %.2f GB/s (read + write), read "
        "%.2f GB/s\n",
        t, t == 1 ? "" : "s", bw.copy / 1e9, bw.read / 1e9);
  }
  const bool use_liblinear =
      config.liblinear != "none" &&
      std::system((shell_quote(config.liblinear) + " > /dev/null 2>&1 < /dev/null").c_str()) != 127;
  if (!use_liblinear) std::printf("liblinear: not run (%s)\n", config.liblinear.c_str());

  const fs::path work =
      fs::temp_directory_path() / ("shine-bench-inner-" + std::to_string(getpid()));
  fs::create_directories(work);

  for (const auto& name : config.datasets) {
    const auto file = std::find_if(kFiles.begin(), kFiles.end(),
                                   [&](const DatasetFile& f) { return f.name == name; });
    if (file == kFiles.end()) {
      std::printf("\n## %s: unknown dataset name, skipped\n", name.c_str());
      continue;
    }
    const fs::path path = data_dir() / file->relative;
    if (!fs::exists(path)) {
      std::printf("\n## %s: %s not found, skipped (set SHINE_DATA_DIR)\n", name.c_str(),
                  path.c_str());
      continue;
    }
    Timer load_timer;
    const shine::data::Dataset data = shine::data::read_libsvm(path);
    std::printf("\n## %s: %lld x %lld, %lld non-zeros (read in %.2f s)\n", name.c_str(),
                static_cast<long long>(data.rows()), static_cast<long long>(data.features()),
                static_cast<long long>(data.nnz()), load_timer.seconds());
    const double bytes_per_iteration = pass_bytes(data.X) + pass_bytes(data.Xt);
    if (config.iteration_cost) {
      run_iteration_cost(config, data);
      continue;
    }

    std::printf("\nkernels (X·v and Xᵀ·v from memory: caches evicted before each, best of 10):\n");
    std::printf(
        "| threads | X·v ms | Xᵀ·v ms | GB/s | %% of copy bandwidth | %% of read bandwidth |"
        " speed-up |\n");
    std::printf("|---|---|---|---|---|---|---|\n");
    double kernel_one = 0.0;
    for (std::size_t t = 0; t < config.threads.size(); ++t) {
      const KernelTimes k = kernel_times(data, config.threads[t]);
      const double total = k.forward + k.backward;
      if (t == 0) kernel_one = total;
      std::printf("| %d | %.2f | %.2f | %.2f | %.0f %% | %.0f %% | %.2fx |\n", config.threads[t],
                  1e3 * k.forward, 1e3 * k.backward, bytes_per_iteration / total / 1e9,
                  100.0 * bytes_per_iteration / bandwidth[t] / total,
                  100.0 * bytes_per_iteration / read_bandwidth[t] / total, kernel_one / total);
    }

    fs::path text;
    if (use_liblinear) {
      text = work / (name + ".svm");
      if (std::system(("xz -dc " + shell_quote(path.string()) + " > " + shell_quote(text.string()))
                          .c_str()) != 0) {
        shine::data::write_libsvm(data, text);
      }
    }
    const Liblinear liblinear(config.liblinear, text, work);

    for (const double lambda : config.lambdas) {
      const shine::objective::InnerObjective reference_objective(data, std::log(lambda));
      // 1. Reference optimum.
      shine::inner::LbfgsOptions tight;
      tight.memory = 30;
      tight.diagonal_scaling = true;
      tight.tolerance = 1e-8;
      tight.max_iterations = 20000;
      const ShineRun best_shine =
          run_shine(reference_objective, -std::numeric_limits<double>::infinity(), tight);
      double h_star = best_shine.value;
      double h_liblinear = std::numeric_limits<double>::quiet_NaN();
      if (use_liblinear) {
        const auto [seconds, value] = liblinear.run(lambda, 1e-6, reference_objective);
        if (seconds >= 0.0) {
          h_liblinear = value;
          h_star = std::min(h_star, value);
        }
      }
      const double goal = h_star * (1.0 + config.target);
      std::printf("\n### %s, lambda = %g (C = %g)\n", name.c_str(), lambda, 1.0 / lambda);
      std::printf("h* = %.12g (shine tight: %.12g, %s; liblinear -e 1e-6: %.12g)\n", h_star,
                  best_shine.value, best_shine.brief.c_str(), h_liblinear);

      // 2. shine time to target.
      std::printf(
          "\n| solver | threads | time to target s | iterations | passes | ms/iteration |"
          " floor ms/iteration | %% of floor | %% of read floor |\n"
          "|---|---|---|---|---|---|---|---|---|\n");
      // shine_times[c][t]: median time to target with configuration c and thread count t.
      std::vector<std::vector<double>> shine_times;
      for (const SolverConfig& c : config.solvers) {
        shine::inner::LbfgsOptions options;
        options.memory = c.memory;
        options.diagonal_scaling = c.diagonal;
        options.pair_precision = c.precision;
        options.tolerance = 0.0;
        options.max_iterations = 20000;
        std::vector<double> row;
        for (std::size_t t = 0; t < config.threads.size(); ++t) {
          options.num_threads = config.threads[t];
          const shine::objective::InnerObjective objective(
              data, std::log(lambda), shine::objective::ObjectiveOptions{false, config.threads[t]});
          std::vector<double> times;
          ShineRun last;
          for (int r = 0; r < config.repeats; ++r) {
            last = run_shine(objective, goal, options);
            times.push_back(last.seconds);
          }
          const double seconds = median(times);
          row.push_back(seconds);
          const double per_iteration = seconds / std::max(1, last.iterations);
          const double floor = bytes_per_iteration / bandwidth[t];
          const double read_floor = bytes_per_iteration / read_bandwidth[t];
          std::printf("| shine %s | %d | %.3f%s | %d | %lld | %.2f | %.2f | %.0f %% | %.0f %% |\n",
                      c.label().c_str(), config.threads[t], seconds,
                      last.reached ? "" : " (not reached)", last.iterations,
                      static_cast<long long>(last.passes), 1e3 * per_iteration, 1e3 * floor,
                      100.0 * floor / per_iteration, 100.0 * read_floor / per_iteration);
        }
        shine_times.push_back(row);
      }

      // 3. liblinear time to target.
      if (use_liblinear) {
        double eps_found = 0.0;
        for (double eps = 1e-1; eps >= 1e-7; eps /= 10.0) {
          const auto [seconds, value] = liblinear.run(lambda, eps, reference_objective);
          if (seconds >= 0.0 && value <= goal) {
            eps_found = eps;
            break;
          }
        }
        if (eps_found == 0.0) {
          std::printf("| liblinear TRON | 1 | not reached with eps >= 1e-7 | | | | | | |\n");
        } else {
          std::vector<double> full;
          std::vector<double> overhead;
          for (int r = 0; r < config.repeats; ++r) {
            full.push_back(liblinear.run(lambda, eps_found, reference_objective).first);
            overhead.push_back(liblinear.run(lambda, 1e30, reference_objective).first);
          }
          const double full_best = *std::min_element(full.begin(), full.end());
          const double overhead_best = *std::min_element(overhead.begin(), overhead.end());
          const double solver = full_best - overhead_best;
          std::printf("| liblinear TRON (-e %g) | 1 | %.3f | | | | | | |\n", eps_found, solver);
          std::printf(
              "\n(liblinear: wall time %.3f s minus %.3f s for reading the file, the first "
              "evaluation and writing the model)\n",
              full_best, overhead_best);
          for (std::size_t c = 0; c < config.solvers.size(); ++c) {
            for (std::size_t t = 0; t < config.threads.size(); ++t) {
              std::printf("shine %s / liblinear time, %d thread%s: %.2f\n",
                          config.solvers[c].label().c_str(), config.threads[t],
                          config.threads[t] == 1 ? "" : "s", shine_times[c][t] / solver);
            }
          }
        }
      }
      for (std::size_t c = 0; c < config.solvers.size(); ++c) {
        for (std::size_t t = 1; t < config.threads.size(); ++t) {
          std::printf("shine %s speed-up %d -> %d threads: %.2fx\n",
                      config.solvers[c].label().c_str(), config.threads[0], config.threads[t],
                      shine_times[c][0] / shine_times[c][t]);
        }
      }
    }
    if (!text.empty()) fs::remove(text);
  }
  fs::remove_all(work);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Config config;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--datasets") {
      config.datasets = split(value());
    } else if (arg == "--lambdas") {
      config.lambdas.clear();
      for (const auto& s : split(value()))
        config.lambdas.push_back(std::stod(s));
    } else if (arg == "--threads") {
      config.threads.clear();
      for (const auto& s : split(value()))
        config.threads.push_back(std::stoi(s));
    } else if (arg == "--repeats") {
      config.repeats = std::max(1, std::stoi(value()));
    } else if (arg == "--target") {
      config.target = std::stod(value());
    } else if (arg == "--solvers") {
      config.solvers.clear();
      for (const auto& s : split(value()))
        config.solvers.push_back(parse_solver(s));
    } else if (arg == "--liblinear") {
      config.liblinear = value();
    } else if (arg == "--iteration-cost") {
      config.iteration_cost = true;
    } else if (arg == "--memory-cost") {
      config.memory_cost = true;
    } else if (arg == "--dim") {
      config.dim = std::max<Index>(1, std::stoll(value()));
    } else if (arg == "--iterations") {
      config.iterations = std::max(1, std::stoi(value()));
    } else if (arg == "--quick") {
      config.datasets = {"20news"};
      config.repeats = 1;
    } else {
      std::fprintf(
          stderr,
          "usage: %s [--datasets a,b] [--lambdas 1,0.01] [--threads 1,2] [--repeats N]"
          " [--target 1e-6] [--solvers 10,30,10d,30d,30f,30h] [--liblinear PATH|none] [--quick]"
          " [--iteration-cost [--iterations N]] [--memory-cost [--dim D] [--iterations N]]\n",
          argv[0]);
      return arg == "--help" ? 0 : 2;
    }
  }
  return run(config, argc, argv);
}
