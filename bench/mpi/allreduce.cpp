// The cost of one deterministic sum over the processes (core::Communicator::sum, the allreduce
// of every inner iteration) against MPI's own MPI_Allreduce(MPI_SUM), whose order is not fixed,
// for vectors of d doubles. Run under mpirun:
//
//   mpirun -np 2 build/bench/mpi_allreduce [REPEATS]
//
// Prints, for each d, the median time of one sum on rank 0 and the bytes each rank sends.
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include "shine/core/mpi_environment.hpp"

namespace {

template <typename F>
double median_seconds(int repeats, F&& f) {
  std::vector<double> times;
  for (int k = 0; k < repeats; ++k) {
    MPI_Barrier(MPI_COMM_WORLD);
    const auto start = std::chrono::steady_clock::now();
    f();
    times.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  shine::core::MpiEnvironment mpi(&argc, &argv);
  const shine::core::Communicator& world = mpi.world();
  const int repeats = argc > 1 ? std::atoi(argv[1]) : 50;
  if (world.rank() == 0) {
    std::printf("%d processes, median of %d\n", world.size(), repeats);
    std::printf("%10s %12s %16s %16s\n", "d", "MB per sum", "shine sum (ms)", "MPI_Allreduce (ms)");
  }
  for (const long d : {100L, 1000L, 10000L, 100000L, 176113L, 1000000L, 4000000L}) {
    std::vector<double> v(static_cast<std::size_t>(d), 1.0 + world.rank());
    std::vector<double> out(v.size());
    const double ours = median_seconds(repeats, [&] { world.sum(std::span<double>(v)); });
    const double theirs = median_seconds(repeats, [&] {
      MPI_Allreduce(v.data(), out.data(), static_cast<int>(d), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    });
    if (world.rank() == 0) {
      std::printf("%10ld %12.3f %16.3f %16.3f\n", d, 8e-6 * static_cast<double>(d), 1e3 * ours,
                  1e3 * theirs);
    }
  }
  return 0;
}
