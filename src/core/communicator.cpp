// The collective operations' common part: argument checks and the statistics (communicator.hpp).
#include "shine/core/communicator.hpp"

#include <chrono>
#include <stdexcept>
#include <string>

namespace shine::core {
namespace {

// Adds the wall time of a scope to `seconds`.
class ScopedTime {
 public:
  explicit ScopedTime(double& seconds)
      : seconds_(seconds), start_(std::chrono::steady_clock::now()) {}
  ScopedTime(const ScopedTime&) = delete;
  ScopedTime& operator=(const ScopedTime&) = delete;
  ~ScopedTime() {
    seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  double& seconds_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

void Communicator::sum(std::span<double> values) const {
  const ScopedTime time(stats_.seconds);
  ++stats_.sums;
  stats_.values_summed += static_cast<std::int64_t>(values.size());
  sum_impl(values);
}

void Communicator::gather(std::span<const std::byte> mine, std::span<std::byte> all) const {
  if (all.size() != mine.size() * static_cast<std::size_t>(size())) {
    throw std::invalid_argument("Communicator::gather: the output holds " +
                                std::to_string(all.size()) + " bytes, not size() x " +
                                std::to_string(mine.size()));
  }
  const ScopedTime time(stats_.seconds);
  ++stats_.gathers;
  stats_.bytes_gathered += static_cast<std::int64_t>(mine.size());
  gather_impl(mine, all);
}

std::vector<std::byte> Communicator::gather_varying(std::span<const std::byte> mine,
                                                    std::vector<std::size_t>* sizes) const {
  const ScopedTime time(stats_.seconds);
  ++stats_.gathers;
  stats_.bytes_gathered += static_cast<std::int64_t>(mine.size());
  std::vector<std::size_t> local;
  return gather_varying_impl(mine, sizes != nullptr ? *sizes : local);
}

void Communicator::broadcast(std::span<std::byte> data, int root) const {
  if (root < 0 || root >= size()) {
    throw std::invalid_argument("Communicator::broadcast: root " + std::to_string(root) +
                                " is not a rank of " + std::to_string(size()));
  }
  const ScopedTime time(stats_.seconds);
  broadcast_impl(data, root);
}

}  // namespace shine::core
