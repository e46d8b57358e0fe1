// `shine reproduce`: the SHINE paper's bi-level benchmark (its logistic-regression experiment) on
// one dataset: every method on every seed, raw records, a summary table and the figure.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cerrno>
#include <cmath>
#include <ctime>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "benchmark.hpp"
#include "cli.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "interrupt.hpp"
#include "shine/core/atomic_file.hpp"
#include "shine/core/timer.hpp"
#include "shine/data/split.hpp"
#include "shine/estimator.hpp"
#include "shine/linalg/sparse_kernels.hpp"
#include "shine/outer/protocol.hpp"
#include "shine/outer/tune_option_table.hpp"
#include "shine/report/trajectory.hpp"
#include "tuning.hpp"

namespace shine::cli {
namespace {

namespace po = boost::program_options;
namespace fs = std::filesystem;

const outer::TuneOptions kPaper = outer::paper_options(outer::TuneMethod::Shine, 0);

constexpr const char* kReproduceUsageRest =
    "Writes into DIR: records.csv and runs.json (every evaluation of every run), summary.csv and\n"
    "summary.md (per method, median over seeds: time to get within 1 % and 0.1 % of the best\n"
    "held-out loss, final loss, run time), curves.dat, figure.gp and figure.png / figure.svg\n"
    "(held-out loss suboptimality against wall time, median with a 10-90 % band; needs gnuplot).\n"
    "A progress bar on stderr shows the runs done and the time left. Ctrl-C stops the current\n"
    "run and still writes everything for the runs done (exit code 130).\n"
    "\n"
    "Examples:\n"
    "  shine reproduce --dataset 20news --out results/20news\n"
    "  shine reproduce --dataset imdb-uni --seeds 0-4 --methods shine-opa,hoag,grid\n"
    "  shine reproduce --dataset train.svm.xz --seeds 0,1 --max-iterations 10 --no-plot\n"
    "\n"
    "Exit codes: 0 success, 2 bad option, 3 bad input file or output folder, 4 no run gave a\n"
    "result, 130 interrupted.\n";

// `text` broken into lines of at most `width` characters, each starting with `indent`.
std::string wrapped(const std::string& text, std::size_t width, const std::string& indent) {
  std::string out, line;
  std::stringstream words(text);
  std::string word;
  while (words >> word) {
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      out += indent + line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty()) out += indent + line + "\n";
  return out;
}

// The usage, with the protocol described from `paper_options` itself.
std::string reproduce_usage() {
  return "usage: shine reproduce --dataset 20news|real-sim|NAME|FILE [--seeds 0-9] [--methods "
         "all]\n"
         "                       [--out DIR] [OPTIONS]\n"
         "\n"
         "Runs the bi-level benchmark of the SHINE paper (Ramzi et al., ICLR 2022, after HOAG) on\n"
         "one dataset, every method on every seed (train / validation = outer objective / "
         "held-out\n"
         "test, only reported), with the paper's protocol:\n" +
         wrapped(outer::describe_protocol(outer::paper_options(outer::TuneMethod::Shine, 0),
                                          outer::paper_split(0)),
                 92, "  ") +
         "\n" + kReproduceUsageRest;
}

std::vector<std::uint64_t> parse_seeds(const std::string& text) {
  std::vector<std::uint64_t> seeds;
  std::set<std::uint64_t> seen;
  std::stringstream in(text);
  std::string item;
  const auto number = [&](const std::string& piece) {
    std::size_t used = 0;
    unsigned long long value = 0;
    try {
      if (!piece.empty() && piece[0] != '-' && piece[0] != '+') value = std::stoull(piece, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != piece.size()) {
      throw UsageError("--seeds must be a list of seeds and ranges such as 0-9 or 0,3,5-7; '" +
                       piece + "' is not a seed");
    }
    return static_cast<std::uint64_t>(value);
  };
  while (std::getline(in, item, ',')) {
    const auto dash = item.find('-', 1);
    std::uint64_t first = 0, last = 0;
    if (dash == std::string::npos) {
      first = last = number(item);
    } else {
      first = number(item.substr(0, dash));
      last = number(item.substr(dash + 1));
      if (last < first) throw UsageError("--seeds: the range '" + item + "' is empty");
      if (last - first > 10000) throw UsageError("--seeds: the range '" + item + "' is too long");
    }
    for (std::uint64_t s = first;; ++s) {
      if (seen.insert(s).second) seeds.push_back(s);
      if (s == last) break;
    }
  }
  if (seeds.empty()) throw UsageError("--seeds needs at least one seed, e.g. 0-9");
  return seeds;
}

std::vector<std::string> parse_methods(const std::string& text) {
  if (text == "all") {
    std::vector<std::string> all;
    for (const outer::TuneMethod method : outer::all_tune_methods())
      all.emplace_back(outer::to_string(method));
    return all;
  }
  std::vector<std::string> methods;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    try {
      outer::parse_tune_method(item);
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--methods: ") + e.what() + ", or all");
    }
    if (std::find(methods.begin(), methods.end(), item) == methods.end()) methods.push_back(item);
  }
  if (methods.empty()) throw UsageError("--methods needs at least one method, or all");
  return methods;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown CPU";
}

std::string utc_date() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
  gmtime_r(&now, &parts);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M UTC", &parts);
  return buffer;
}

// The progress bar across methods × seeds, with the time left estimated from the runs done.
class ReproduceProgress final : public outer::Observer {
 public:
  ReproduceProgress(std::ostream& err, bool interactive, bool quiet, int total)
      : err_(err), interactive_(interactive), quiet_(quiet), total_(total) {}

  void start_run(int index, const std::string& method, std::uint64_t seed, int expected) {
    index_ = index;
    method_ = method;
    seed_ = seed;
    expected_ = std::max(expected, 1);
    done_in_run_ = 0;
    run_timer_.reset();
    draw();
  }

  void on_begin(const outer::TuneInfo& info) override { info_ = info; }

  bool on_iteration(const outer::OuterRecord& /*record*/) override {
    ++done_in_run_;
    if (interactive_ && redraw_timer_.seconds() > 0.2) draw();
    return false;
  }

  void finish_run(const outer::TuneResult& result, bool finished) {
    const double seconds = run_timer_.seconds();
    if (finished) {
      auto& [sum, count] = durations_[method_];
      sum += seconds;
      ++count;
      total_done_seconds_ += seconds;
      ++runs_done_;
    }
    if (quiet_) return;
    if (interactive_) err_ << "\r\033[K";
    const double remaining = eta(0.0);
    err_ << format(
        "[%*d/%d] %-13s seed %-3llu %3zu evaluations  %9s  held-out %s   elapsed %s, "
        "left %s\n",
        width(), index_ + 1, total_, method_.c_str(), static_cast<unsigned long long>(seed_),
        result.records.size(), human_seconds(seconds).c_str(),
        std::isfinite(result.test_loss) ? format("%.6f", result.test_loss).c_str() : "-",
        human_seconds(clock_.seconds()).c_str(),
        runs_done_ >= total_ ? "0 s" : ("~" + human_seconds(remaining)).c_str());
    err_ << std::flush;
  }

  [[nodiscard]] const outer::TuneInfo& info() const noexcept { return info_; }

  /// The method of each run, in order (for the estimate of the time left).
  void set_order(std::vector<std::string> order) { order_ = std::move(order); }

 private:
  [[nodiscard]] int width() const { return static_cast<int>(std::to_string(total_).size()); }

  // Estimated seconds left: each remaining run costs its method's mean duration so far (the mean
  // of all runs for a method not seen yet); the current run its estimate minus what it has used.
  [[nodiscard]] double eta(double current_elapsed) const {
    if (runs_done_ == 0) {
      const double fraction = static_cast<double>(done_in_run_) / expected_;
      if (fraction <= 0.0) return std::numeric_limits<double>::quiet_NaN();
      const double per_run = current_elapsed / fraction;
      return per_run * (total_ - index_) - current_elapsed;
    }
    const double mean_all = total_done_seconds_ / runs_done_;
    const auto estimate = [&](const std::string& method) {
      const auto it = durations_.find(method);
      return it == durations_.end() ? mean_all : it->second.first / it->second.second;
    };
    double left = 0.0;
    for (int r = index_ + 1; r < total_; ++r)
      left += estimate(order_[static_cast<std::size_t>(r)]);
    if (current_elapsed > 0.0) left += std::max(0.0, estimate(method_) - current_elapsed);
    return left;
  }

  void draw() {
    redraw_timer_.reset();
    if (quiet_ || !interactive_) return;
    constexpr int kBar = 28;
    const double fraction = (static_cast<double>(index_) +
                             std::min(1.0, static_cast<double>(done_in_run_) / expected_)) /
                            total_;
    const int filled = static_cast<int>(fraction * kBar);
    std::string bar(static_cast<std::size_t>(filled), '=');
    if (filled < kBar) bar += '>';
    bar.resize(kBar, ' ');
    const double left = eta(run_timer_.seconds());
    err_ << "\r\033[K[" << bar << "] "
         << format("%d/%d runs  %s seed %llu  it %d/%d  elapsed %s  left %s", index_, total_,
                   method_.c_str(), static_cast<unsigned long long>(seed_), done_in_run_, expected_,
                   human_seconds(clock_.seconds()).c_str(),
                   std::isfinite(left) ? ("~" + human_seconds(left)).c_str() : "?")
         << std::flush;
  }

  std::ostream& err_;
  bool interactive_;
  bool quiet_;
  int total_;
  int index_ = 0;
  std::string method_;
  std::uint64_t seed_ = 0;
  int expected_ = 1;
  int done_in_run_ = 0;
  int runs_done_ = 0;
  double total_done_seconds_ = 0.0;
  std::map<std::string, std::pair<double, int>> durations_;
  std::vector<std::string> order_;
  outer::TuneInfo info_;
  Timer clock_, run_timer_, redraw_timer_;
};

// Runs gnuplot on figure.gp inside `dir`, writing temporaries that are renamed on success.
// Returns an empty string on success, else what went wrong.
std::string run_gnuplot(const fs::path& dir) {
  const fs::path log = dir / ".gnuplot.log";
  const pid_t pid = fork();
  if (pid < 0) return "cannot start gnuplot (fork failed)";
  if (pid == 0) {
    if (chdir(dir.c_str()) != 0) _exit(126);
    const int fd = open(".gnuplot.log", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      close(fd);
    }
    const char* argv[] = {"gnuplot", "-e", "png_file='.figure.png.tmp'; svg_file='.figure.svg.tmp'",
                          "figure.gp", nullptr};
    execvp("gnuplot", const_cast<char* const*>(argv));
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return "cannot wait for gnuplot";
  }
  std::string output;
  {
    std::ifstream in(log);
    std::getline(in, output, '\0');
  }
  std::error_code ignored;
  fs::remove(log, ignored);
  const auto clean = [&] {
    fs::remove(dir / ".figure.png.tmp", ignored);
    fs::remove(dir / ".figure.svg.tmp", ignored);
  };
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
    clean();
    return "gnuplot is not installed (Debian: apt-get install gnuplot-nox, or run "
           "scripts/install-deps.sh); then run 'gnuplot figure.gp' in " +
           dir.string();
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !fs::exists(dir / ".figure.png.tmp")) {
    clean();
    return "gnuplot failed on " + (dir / "figure.gp").string() + ": " + output;
  }
  fs::rename(dir / ".figure.png.tmp", dir / "figure.png");
  if (fs::exists(dir / ".figure.svg.tmp")) fs::rename(dir / ".figure.svg.tmp", dir / "figure.svg");
  return {};
}

// The method names, "a, b, c", from the list of methods.
std::string method_names() {
  std::string names;
  for (const outer::TuneMethod method : outer::all_tune_methods())
    names += (names.empty() ? "" : ", ") + std::string(outer::to_string(method));
  return names;
}

// The row of --step, restricted to HOAG's adaptive steps (the paper's): its names without the
// secant step, so that its parse and message are the table's.
outer::TuneOptionSpec adaptive_step_row() {
  outer::TuneOptionSpec row = table_row("step.rule");
  const std::string_view secant = outer::to_string(outer::StepRule::Secant);
  std::erase(row.names, secant);
  return row;
}

// "90 % of LABEL".
std::string share_of(double fraction, const std::string& label) {
  return format("%g %% of ", 100.0 * fraction) + label;
}

}  // namespace

int reproduce_command(const Arguments& args, std::ostream& out, std::ostream& err) {
  // The texts that name methods or the paper's settings, from the list of methods and the
  // protocol.
  const std::string methods_help = "comma-separated: " + method_names() + "; or all";
  const std::string iterations_help =
      "outer iterations of the hypergradient methods (the paper's loop runs " +
      std::to_string(kPaper.max_iterations) + ")";
  const std::string paper_step(outer::to_string(kPaper.step.rule));
  po::options_description options("shine reproduce options");
  options.add_options()("dataset", po::value<std::string>(),
                        "20news, real-sim, another registered name, or a LIBSVM file")(
      "seeds", po::value<std::string>()->default_value("0-9"),
      "seeds: ranges and lists, e.g. 0-9 or 0,2,5")(
      "methods", po::value<std::string>()->default_value("all"), methods_help.c_str())(
      "out", po::value<std::string>(), "output folder (default reproduce-<dataset>)")(
      "max-iterations", po::value<int>()->default_value(kPaper.max_iterations),
      iterations_help.c_str())("candidates", po::value<int>()->default_value(kPaper.candidates),
                               "values tried by grid and random search")(
      "step", po::value<std::string>()->default_value(paper_step),
      "adaptive step: double (HOAG 2017 code, used by the paper) or single (HOAG 2016)")(
      "h0",
      po::value<std::string>()->default_value(
          std::string(inner::to_string(kPaper.lbfgs.initial_hessian))),
      "initial inverse Hessian of L-BFGS: scaled_identity (gamma I) or identity (the reference "
      "code)")("threads", po::value<int>()->default_value(0),
               "threads of the sparse kernels (0: all cores)")(
      "time-budget", po::value<double>()->default_value(0.0, "0"), "seconds per run (0: no limit)")(
      "no-plot", "do not run gnuplot (the script is written)")("quiet,q", "no progress bar");
  po::variables_map vm;
  if (!parse_options(args, options, {}, vm, out, reproduce_usage().c_str())) return kSuccess;
  if (vm.count("dataset") == 0U) {
    throw UsageError("--dataset is required: 20news, real-sim, a registered name or a file");
  }
  const std::string dataset = vm["dataset"].as<std::string>();
  const std::vector<std::uint64_t> seeds = parse_seeds(vm["seeds"].as<std::string>());
  const std::vector<std::string> methods = parse_methods(vm["methods"].as<std::string>());
  const int max_iterations = vm["max-iterations"].as<int>();
  check_by_row("--max-iterations", "max_iterations", max_iterations);
  const int candidates = vm["candidates"].as<int>();
  check_by_row("--candidates", "candidates", candidates);
  const outer::TuneOptionSpec step_row = adaptive_step_row();
  const outer::TuneOptionSpec& h0_row = table_row("lbfgs.initial_hessian");
  outer::OptionValue step_value;
  outer::OptionValue h0;
  try {
    step_value = step_row.parse(vm["step"].as<std::string>());
    h0 = h0_row.parse(vm["h0"].as<std::string>());
  } catch (const outer::OptionError& e) {
    throw UsageError(e.describe(outer::OptionNaming::Flag));
  }
  const std::string step = std::get<std::string>(step_value);
  const int threads = vm["threads"].as<int>();
  check_by_row("--threads", "objective.num_threads", threads);
  const double budget = vm["time-budget"].as<double>();
  check_by_row("--time-budget", "time_budget", budget);
  // The paper's options with the flags applied; the protocol line is written from them.
  const auto with_flags = [&](outer::TuneOptions o) {
    o.max_iterations = max_iterations;
    o.candidates = candidates;
    step_row.set(o, step_value);
    h0_row.set(o, h0);
    return o;
  };
  const std::string protocol = outer::describe_protocol(
      with_flags(outer::paper_options(outer::TuneMethod::Shine, 0)), outer::paper_split(0));
  std::string label = fs::path(dataset).filename().string();
  label = label.substr(0, label.find('.'));
  const fs::path dir = vm.count("out") != 0U ? fs::path(vm["out"].as<std::string>())
                                             : fs::path("reproduce-" + label);
  const bool quiet = vm.count("quiet") != 0U;

  // The folder is made once the data has been read, so a bad --dataset leaves nothing behind.
  const LoadedData loaded = load_dataset(dataset, {});
  {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir)) {
      throw std::runtime_error("--out " + dir.string() + ": cannot create the folder" +
                               (ec ? ": " + ec.message() : std::string()));
    }
  }
  const data::Dataset& all = loaded.data;
  if (!quiet) {
    err << "reproduce on " << loaded.path.string() << ": " << with_commas(all.rows()) << " rows, "
        << with_commas(all.features()) << " features, " << with_commas(all.nnz()) << " non-zeros; "
        << seeds.size() << (seeds.size() == 1 ? " seed x " : " seeds x ") << methods.size()
        << (methods.size() == 1 ? " method" : " methods") << ", "
        << linalg::resolve_threads(threads)
        << (linalg::resolve_threads(threads) == 1 ? " thread\n" : " threads\n");
  }

  InterruptGuard interrupt;
  const bool interactive = &err == &std::cerr && isatty(STDERR_FILENO) == 1;
  const int total = static_cast<int>(seeds.size() * methods.size());
  ReproduceProgress progress(err, interactive, quiet, total);
  std::vector<std::string> order;
  for (std::size_t s = 0; s < seeds.size(); ++s)
    order.insert(order.end(), methods.begin(), methods.end());
  progress.set_order(order);

  std::vector<bench::Run> runs;
  std::vector<report::Trajectory> trajectories;
  const report::Fields header{{"dataset", label},
                              {"file", loaded.path.string()},
                              {"rows", static_cast<long long>(all.rows())},
                              {"features", static_cast<long long>(all.features())},
                              {"nnz", static_cast<long long>(all.nnz())},
                              {"protocol", "SHINE paper bi-level benchmark: " + protocol},
                              {"step", step},
                              {"machine", cpu_model()},
                              {"threads", static_cast<long long>(linalg::resolve_threads(threads))},
                              {"date", utc_date()},
                              {"command", command_line("reproduce", args)}};
  const auto write_raw = [&] {
    write_file_atomically(dir / "records.csv", bench::records_csv(label, runs));
    report::write_json_file(dir / "runs.json", report::runs_json(header, trajectories));
  };

  int index = 0;
  for (const std::uint64_t seed : seeds) {
    if (interrupt.interrupted()) break;
    const data::SplitOptions split = outer::paper_split(seed);
    const data::Split parts = data::split_dataset(all, split);
    for (const std::string& method : methods) {
      if (interrupt.interrupted()) break;
      outer::TuneOptions o =
          with_flags(outer::paper_options(outer::parse_tune_method(method), seed));
      o.objective.num_threads = threads;
      o.time_budget = budget;
      o.interrupt = interrupt.flag();
      outer::TuneProblem problem;
      problem.train = &parts.train;
      problem.validation = &parts.validation;
      problem.test = &parts.test;

      progress.start_run(index, method, seed,
                         outer::is_hypergradient_method(o.method) ? max_iterations : candidates);
      std::vector<outer::Observer*> observers{&progress};
      outer::TuneResult result = shine::tune(problem, o, observers).trajectory;
      const bool finished = result.termination != Termination::Interrupted;
      progress.finish_run(result, finished);

      report::Trajectory t;
      t.run.version = kVersion;
      t.run.command = command_line("reproduce", args);
      t.run.datasets = {
          report::DatasetDescription::of(parts.train, "train", share_of(split.train, label)),
          report::DatasetDescription::of(parts.validation, "validation",
                                         share_of(split.validation, label)),
          report::DatasetDescription::of(parts.test, "test", share_of(split.test, label))};
      t.run.labels = all.labels;
      t.run.extra = {{"seed", static_cast<long long>(seed)}, {"dataset", label}};
      t.options = o;
      t.options.interrupt = nullptr;
      t.info = progress.info();
      t.info.options = nullptr;
      result.w = Vector();
      t.result = result;
      trajectories.push_back(std::move(t));
      runs.push_back({method, seed, std::move(result), finished});
      write_raw();
      ++index;
    }
  }
  if (runs.empty()) write_raw();

  const std::vector<bench::MethodSummary> summary = bench::summarize(runs, methods);
  const std::vector<bench::Curve> curves = bench::median_curves(runs, methods);
  const std::string table = bench::summary_table(summary, static_cast<int>(seeds.size()));
  int finished_seeds = 0;
  {
    std::set<std::uint64_t> with_runs;
    for (const auto& run : runs)
      if (run.finished) with_runs.insert(run.seed);
    finished_seeds = static_cast<int>(with_runs.size());
  }
  std::string markdown =
      "# shine reproduce: " + label + "\n\n" + "- data: " + loaded.path.string() + " (" +
      with_commas(all.rows()) + " rows, " + with_commas(all.features()) + " features, " +
      with_commas(all.nnz()) + " non-zeros)\n" + "- protocol: " + protocol + "\n" +
      "- seeds: " + vm["seeds"].as<std::string>() + " (" + std::to_string(finished_seeds) +
      " with finished runs)\n" + "- machine: " + cpu_model() + ", " +
      std::to_string(linalg::resolve_threads(threads)) +
      (linalg::resolve_threads(threads) == 1 ? " thread; " : " threads; ") + utc_date() + "\n\n" +
      "Median over seeds. Time to 1 % / 0.1 %: wall time until the held-out loss of the model "
      "that tune would return (lowest validation loss so far) is within 1 % / 0.1 % of the best "
      "held-out loss any method reached on that seed; (k/n): seeds that got there.\n\n" +
      table;
  write_file_atomically(dir / "summary.md", markdown);
  write_file_atomically(dir / "summary.csv", bench::summary_csv(label, summary));
  write_file_atomically(dir / "curves.dat", bench::curves_data(curves));
  write_file_atomically(
      dir / "figure.gp",
      bench::gnuplot_script(curves, label + ": median over " + std::to_string(finished_seeds) +
                                        " seeds, band 10-90 %"));
  std::string plot_problem;
  if (vm.count("no-plot") == 0U) {
    plot_problem = curves.empty() ? "no finished run to plot" : run_gnuplot(dir);
  }

  out << table;
  out << "\nwrote " << (dir / "records.csv").string() << ", runs.json, summary.md, summary.csv, "
      << "curves.dat, figure.gp";
  if (vm.count("no-plot") == 0U && plot_problem.empty()) out << ", figure.png, figure.svg";
  out << '\n';
  if (!plot_problem.empty()) err << "shine: no figure: " << plot_problem << '\n';
  if (interrupt.interrupted()) return kInterrupted;
  if (summary.empty()) {
    err << "shine: no usable result: no run finished with a held-out loss\n";
    return kNoResult;
  }
  return kSuccess;
}

}  // namespace shine::cli
