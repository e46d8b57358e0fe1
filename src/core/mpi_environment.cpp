// MPI initialization and the MPI communicator (mpi_environment.hpp). Everything that touches MPI
// is in this file; without SHINE_HAVE_MPI it only reports that MPI is missing.
#include "shine/core/mpi_environment.hpp"

#include <stdexcept>
#include <string>

#ifdef SHINE_HAVE_MPI
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <thread>
#include <vector>
#endif

namespace shine::core {

#ifdef SHINE_HAVE_MPI
namespace {

// Throws naming the MPI call when it fails (MPI_ERRORS_RETURN is set on shine's communicator).
void check(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw std::runtime_error(std::string(call) + " failed: " + std::string(text, length));
}

// Counts of elements passed to MPI are ints: messages above 2^31 − 1 bytes go in pieces.
constexpr std::size_t kMaxMessage = INT_MAX;

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator() {
    check(MPI_Comm_dup(MPI_COMM_WORLD, &comm_), "MPI_Comm_dup");
    check(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    check(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
    check(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
  }
  MpiCommunicator(const MpiCommunicator&) = delete;
  MpiCommunicator& operator=(const MpiCommunicator&) = delete;
  ~MpiCommunicator() override { MPI_Comm_free(&comm_); }

  [[nodiscard]] int rank() const noexcept override { return rank_; }
  [[nodiscard]] int size() const noexcept override { return size_; }

  [[noreturn]] void abort(int code) const override {
    MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code);  // MPI_Abort does not return; in case it does
  }

 protected:
  // A binomial tree over the ranks: at step s, rank r (a multiple of 2s) receives the partial
  // sum of ranks [r + s, r + 2s) and adds it to its own, of ranks [r, r + s); rank 0 ends with
  // the total, which it broadcasts. The bracketing depends only on size(), and every addition
  // keeps the lower ranks on the left: the same bits every time. d·⌈log₂ P⌉ values travel on the
  // longest path, twice (reduce, then broadcast).
  void sum_impl(std::span<double> values) const override {
    if (size_ == 1 || values.empty()) return;
    std::vector<double> incoming(values.size());
    for (int step = 1; step < size_; step *= 2) {
      if (rank_ % (2 * step) == 0) {
        const int from = rank_ + step;
        if (from >= size_) continue;
        for_pieces(values.size(), [&](std::size_t offset, int count) {
          check(MPI_Recv(incoming.data() + offset, count, MPI_DOUBLE, from, kSumTag, comm_,
                         MPI_STATUS_IGNORE),
                "MPI_Recv");
        });
        for (std::size_t i = 0; i < values.size(); ++i)
          values[i] += incoming[i];
      } else {
        const int to = rank_ - step;
        for_pieces(values.size(), [&](std::size_t offset, int count) {
          check(MPI_Send(values.data() + offset, count, MPI_DOUBLE, to, kSumTag, comm_),
                "MPI_Send");
        });
        break;
      }
    }
    for_pieces(values.size(), [&](std::size_t offset, int count) {
      check(MPI_Bcast(values.data() + offset, count, MPI_DOUBLE, 0, comm_), "MPI_Bcast");
    });
  }

  void gather_impl(std::span<const std::byte> mine, std::span<std::byte> all) const override {
    if (mine.size() > kMaxMessage) {
      throw std::invalid_argument("Communicator::gather: more than 2^31 - 1 bytes per rank");
    }
    check(MPI_Allgather(mine.data(), static_cast<int>(mine.size()), MPI_BYTE, all.data(),
                        static_cast<int>(mine.size()), MPI_BYTE, comm_),
          "MPI_Allgather");
  }

  std::vector<std::byte> gather_varying_impl(std::span<const std::byte> mine,
                                             std::vector<std::size_t>& sizes) const override {
    const auto size = static_cast<unsigned long long>(mine.size());
    std::vector<unsigned long long> counts(static_cast<std::size_t>(size_));
    check(MPI_Allgather(&size, 1, MPI_UNSIGNED_LONG_LONG, counts.data(), 1, MPI_UNSIGNED_LONG_LONG,
                        comm_),
          "MPI_Allgather");
    sizes.assign(counts.begin(), counts.end());
    std::size_t total = 0;
    for (const auto count : counts)
      total += count;
    std::vector<std::byte> all(total);
    if (total <= kMaxMessage) {
      std::vector<int> count_int(counts.size()), offsets(counts.size());
      int offset = 0;
      for (std::size_t r = 0; r < counts.size(); ++r) {
        count_int[r] = static_cast<int>(counts[r]);
        offsets[r] = offset;
        offset += count_int[r];
      }
      check(MPI_Allgatherv(mine.data(), static_cast<int>(mine.size()), MPI_BYTE, all.data(),
                           count_int.data(), offsets.data(), MPI_BYTE, comm_),
            "MPI_Allgatherv");
      return all;
    }
    // Above 2 GiB in all: one broadcast per rank, in pieces.
    std::size_t offset = 0;
    for (int r = 0; r < size_; ++r) {
      const std::size_t count = counts[static_cast<std::size_t>(r)];
      if (r == rank_) std::copy(mine.begin(), mine.end(), all.begin() + static_cast<long>(offset));
      for_pieces(count, [&](std::size_t piece, int n) {
        check(MPI_Bcast(all.data() + offset + piece, n, MPI_BYTE, r, comm_), "MPI_Bcast");
      });
      offset += count;
    }
    return all;
  }

  void broadcast_impl(std::span<std::byte> data, int root) const override {
    for_pieces(data.size(), [&](std::size_t offset, int count) {
      check(MPI_Bcast(data.data() + offset, count, MPI_BYTE, root, comm_), "MPI_Bcast");
    });
  }

 private:
  static constexpr int kSumTag = 7001;

  template <typename F>
  static void for_pieces(std::size_t n, F&& f) {
    for (std::size_t offset = 0; offset < n; offset += kMaxMessage)
      f(offset, static_cast<int>(std::min(kMaxMessage, n - offset)));
  }

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace

bool mpi_available() noexcept {
  return true;
}

struct MpiEnvironment::Ending {
  MPI_Comm comm = MPI_COMM_NULL;
};

MpiEnvironment::MpiEnvironment(int* argc, char*** argv) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized != 0) throw std::runtime_error("MpiEnvironment: MPI is already initialized");
  int provided = 0;
  check(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  world_ = std::make_unique<MpiCommunicator>();
  ending_ = std::make_unique<Ending>();
  check(MPI_Comm_dup(MPI_COMM_WORLD, &ending_->comm), "MPI_Comm_dup");
}

MpiEnvironment::~MpiEnvironment() {
  world_.reset();
  if (ending_) MPI_Comm_free(&ending_->comm);
  MPI_Finalize();
}

bool MpiEnvironment::all_reached(double timeout_seconds) const {
  MPI_Request request = MPI_REQUEST_NULL;
  if (MPI_Ibarrier(ending_->comm, &request) != MPI_SUCCESS) return false;
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    int done = 0;
    if (MPI_Test(&request, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS) return false;
    if (done != 0) return true;
    const double waited =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (timeout_seconds >= 0.0 && waited > timeout_seconds) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

#else

struct MpiEnvironment::Ending {};

bool mpi_available() noexcept {
  return false;
}

MpiEnvironment::MpiEnvironment(int* /*argc*/, char*** /*argv*/) {
  throw std::runtime_error(
      "this build of shine has no MPI: configure it with -DSHINE_USE_MPI=ON (Debian packages "
      "libopenmpi-dev and openmpi-bin)");
}

MpiEnvironment::~MpiEnvironment() = default;

bool MpiEnvironment::all_reached(double /*timeout_seconds*/) const {
  return true;
}

#endif

}  // namespace shine::core
