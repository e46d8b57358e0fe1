#pragma once
/// @file
/// MPI for the whole program: initialization, the communicator of all its processes
/// (`MPI_COMM_WORLD`) and finalization. Available in a build with `SHINE_USE_MPI=ON`
/// (`mpi_available()`); elsewhere constructing an `MpiEnvironment` throws. No MPI type appears
/// here, so the header is the same in every build.
///
/// @code
/// int main(int argc, char** argv) {
///   shine::core::MpiEnvironment mpi(&argc, &argv);   // before anything else
///   const shine::core::Communicator& world = mpi.world();
///   // ... data::read_libsvm_part(path, world) on every rank, then shine::tune as usual
/// }
/// @endcode

#include <memory>

#include "shine/core/communicator.hpp"

namespace shine::core {

/// True when the library was built with MPI (`SHINE_USE_MPI=ON`).
[[nodiscard]] bool mpi_available() noexcept;

/// Initializes MPI on construction (`MPI_Init_thread`, funneled: only the main thread calls
/// MPI) and finalizes it on destruction. One per program, created before any other MPI use.
class MpiEnvironment {
 public:
  /// Initializes MPI with the program's arguments (which MPI may edit). Throws
  /// `std::runtime_error` when the library was built without MPI or MPI fails to start.
  MpiEnvironment(int* argc, char*** argv);
  MpiEnvironment(const MpiEnvironment&) = delete;
  MpiEnvironment& operator=(const MpiEnvironment&) = delete;
  /// Finalizes MPI (every rank must get here; a rank that fails calls `world().abort`).
  ~MpiEnvironment();

  /// The communicator of all the processes started together (a duplicate of
  /// `MPI_COMM_WORLD`, so that shine's messages never mix with the program's own).
  [[nodiscard]] const Communicator& world() const noexcept { return *world_; }

  /// Whether every process calls this within `timeout_seconds` of this one (a non-blocking
  /// barrier on a communicator of its own, polled; a negative timeout waits for ever). A program
  /// calls it once, at its end: true means every process ended there and may finalize; false
  /// means some process is still busy, e.g. waiting in a collective for this one, which failed
  /// alone, and the program must end the group (`world().abort`) rather than hang.
  [[nodiscard]] bool all_reached(double timeout_seconds) const;

 private:
  std::unique_ptr<Communicator> world_;
  struct Ending;
  std::unique_ptr<Ending> ending_;  // the communicator of all_reached
};

}  // namespace shine::core
