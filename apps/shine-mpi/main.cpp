// shine-mpi: `shine tune` on rows spread over the processes of `mpirun -np P shine-mpi tune ...`.
// Every process reads its rows of the data and runs the same tuning; process 0 prints and writes
// the files. A process that ends with an error the others do not share (they would wait for it in
// a collective) ends the whole group with its exit code.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "cli.hpp"
#include "common.hpp"
#include "shine/core/mpi_environment.hpp"

namespace {

// How long a process that failed waits for the others to end too before it ends the group.
constexpr double kEndingTimeoutSeconds = 10.0;

constexpr const char* kUsage =
    "usage: mpirun -np P shine-mpi tune TRAIN [shine tune options]\n"
    "\n"
    "Runs 'shine tune' on P processes, each holding about 1/P of the rows: every process reads\n"
    "its share of the bytes of each LIBSVM file (plain text; decompress .xz/.gz/.bz2 files\n"
    "first), the losses and gradients are summed over the processes in a fixed order, and\n"
    "process 0 prints the progress and the summary and writes --json, --model and --liblinear.\n"
    "The result is the same bits for the same P, and agrees with one process to rounding.\n"
    "--checkpoint is written by process 0; --resume needs the same P as the run that made it.\n";

// Prints `text` (a process's buffered error output) with the rank in front of each line.
void print_with_rank(const std::string& text, int rank) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty()) std::cerr << "shine-mpi: rank " << rank << ": " << line << '\n';
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<shine::core::MpiEnvironment> mpi;
  try {
    mpi.emplace(&argc, &argv);
  } catch (const std::exception& e) {
    std::cerr << "shine-mpi: " << e.what() << '\n';
    return shine::cli::kInputError;
  }
  const shine::core::Communicator& world = mpi->world();
  const int rank = world.rank();
  if (argc < 2 || std::string_view(argv[1]) != "tune") {
    if (rank == 0) {
      const bool help =
          argc >= 2 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h");
      (help ? std::cout : std::cerr) << kUsage;
      if (!help) std::cerr << "shine-mpi: only the 'tune' command runs on several processes\n";
    }
    const bool help =
        argc >= 2 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h");
    return help ? shine::cli::kSuccess : shine::cli::kUsageError;
  }
  shine::cli::set_process_group(&world);
  // Process 0 speaks; the others keep their error output in case they fail alone.
  std::ostringstream quiet_out, quiet_err;
  std::ostream& out = rank == 0 ? std::cout : quiet_out;
  std::ostream& err = rank == 0 ? std::cerr : quiet_err;
  const int code = shine::cli::run(argc, argv, out, err);
  std::cout.flush();
  if (std::getenv("SHINE_MPI_STATS") != nullptr && code == shine::cli::kSuccess) {
    // What each process sent: the collectives' counts, their bytes and the time spent in them.
    const shine::core::CommunicationStats stats = world.stats();
    const std::vector<shine::core::CommunicationStats> all =
        shine::core::gather_values(world, stats);
    if (rank == 0) {
      for (std::size_t r = 0; r < all.size(); ++r) {
        std::fprintf(
            stderr,
            "shine-mpi: rank %zu: %lld sums of %lld values (%.1f per sum, %.3g MB), "
            "%.3f s in collectives\n",
            r, static_cast<long long>(all[r].sums), static_cast<long long>(all[r].values_summed),
            all[r].sums > 0
                ? static_cast<double>(all[r].values_summed) / static_cast<double>(all[r].sums)
                : 0.0,
            8e-6 * static_cast<double>(all[r].values_summed), all[r].seconds);
      }
    }
  }
  // Every process ends here, at about the same time, unless one failed alone: a process with an
  // error waits a little for the others, then ends them all.
  if (!mpi->all_reached(code == shine::cli::kSuccess ? -1.0 : kEndingTimeoutSeconds)) {
    if (rank != 0) print_with_rank(quiet_err.str(), rank);
    std::cerr << "shine-mpi: rank " << rank << " ended with exit code " << code
              << " while other processes still run: ending them all\n";
    std::cerr.flush();
    world.abort(code);
  }
  return code;
}
