#pragma once
/// @file
/// A group of processes that each hold some rows of the data, and the few collective operations
/// the library needs from it: a deterministic sum, gathers and a broadcast.
///
/// The interface holds no MPI type: `core::MpiEnvironment` (shine/core/mpi_environment.hpp)
/// gives the MPI implementation in a build with `SHINE_USE_MPI=ON`; a dataset without a
/// communicator (`data::Dataset::communicator` null, the default) is the whole data of one
/// process and nothing is communicated.
///
/// **Determinism.** `sum` adds the ranks' vectors in a fixed order that depends only on the
/// number of ranks (rank 0 + rank 1 first, then the next pairs, as a binary tree over the ranks
/// in rank order), never in the order messages arrive, so every rank gets the same bits and a
/// run repeated with the same rank count gives the same bits.
///
/// **Collectives.** Every operation must be called by every rank of the group, in the same
/// order, with the same sizes (except `gather_varying`). A rank that stops calling them (an
/// exception, a crash) leaves the others waiting: the program must then end the whole group
/// (`abort`; `mpirun` also ends the job when a rank dies).

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace shine::core {

/// What a communicator has sent: counts and time, for reports and benchmarks.
struct CommunicationStats {
  std::int64_t sums = 0;            ///< Calls of `sum` (each an allreduce).
  std::int64_t values_summed = 0;   ///< Doubles summed over all calls (each call: its length).
  std::int64_t gathers = 0;         ///< Calls of `gather` and `gather_varying`.
  std::int64_t bytes_gathered = 0;  ///< Bytes this rank contributed to the gathers.
  double seconds = 0.0;             ///< Wall time spent in the collectives (waiting included).
};

/// A fixed group of `size()` processes, this one being `rank()`. Not thread-safe: the
/// collectives of one communicator are called from one thread.
class Communicator {
 public:
  Communicator() = default;
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;
  virtual ~Communicator() = default;

  /// This process's rank, in [0, size()).
  [[nodiscard]] virtual int rank() const noexcept = 0;
  /// Number of processes in the group (≥ 1).
  [[nodiscard]] virtual int size() const noexcept = 0;

  /// Replaces `values` on every rank by the sum of every rank's `values` (same length on every
  /// rank), added in the fixed order described above: the same bits on every rank and in every
  /// run with this many ranks.
  void sum(std::span<double> values) const;

  /// Every rank's `mine` (the same byte count on every rank), concatenated in rank order into
  /// `all` (`size()` times as long).
  void gather(std::span<const std::byte> mine, std::span<std::byte> all) const;

  /// Every rank's `mine` (any byte count), concatenated in rank order; `sizes` (when given)
  /// receives each rank's byte count.
  [[nodiscard]] std::vector<std::byte> gather_varying(
      std::span<const std::byte> mine, std::vector<std::size_t>* sizes = nullptr) const;

  /// Copies rank `root`'s `data` into every rank's `data` (the same byte count on every rank).
  void broadcast(std::span<std::byte> data, int root) const;

  /// Ends every process of the group with exit code `code`, at once (for an error that only
  /// some ranks see: the others may be waiting in a collective).
  [[noreturn]] virtual void abort(int code) const = 0;

  /// What this rank has communicated so far.
  [[nodiscard]] const CommunicationStats& stats() const noexcept { return stats_; }
  /// Zeroes the statistics.
  void reset_stats() const noexcept { stats_ = {}; }

 protected:
  /// The implementation of `sum` (the public function keeps the statistics).
  virtual void sum_impl(std::span<double> values) const = 0;
  /// The implementation of `gather`.
  virtual void gather_impl(std::span<const std::byte> mine, std::span<std::byte> all) const = 0;
  /// The implementation of `gather_varying`.
  virtual std::vector<std::byte> gather_varying_impl(std::span<const std::byte> mine,
                                                     std::vector<std::size_t>& sizes) const = 0;
  /// The implementation of `broadcast`.
  virtual void broadcast_impl(std::span<std::byte> data, int root) const = 0;

 private:
  mutable CommunicationStats stats_;
};

/// True when `communicator` is set and has more than one rank: the rows are spread over
/// several processes and sums over them must be reduced.
[[nodiscard]] inline bool is_distributed(const Communicator* communicator) noexcept {
  return communicator != nullptr && communicator->size() > 1;
}

/// Sums `values` over the ranks when `communicator` is distributed; otherwise leaves them as
/// they are.
inline void sum_if_distributed(const Communicator* communicator, std::span<double> values) {
  if (is_distributed(communicator)) communicator->sum(values);
}

/// Every rank's value of a trivially copyable `T`, in rank order.
template <typename T>
[[nodiscard]] std::vector<T> gather_values(const Communicator& communicator, const T& mine) {
  std::vector<T> all(static_cast<std::size_t>(communicator.size()));
  communicator.gather(std::as_bytes(std::span<const T>(&mine, 1)),
                      std::as_writable_bytes(std::span<T>(all)));
  return all;
}

}  // namespace shine::core
