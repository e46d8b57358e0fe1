#pragma once
// A communicator whose ranks are threads of the test process: the distributed code paths of the
// objectives, the reader and the tuner run in the ordinary test executables (and under the
// sanitizers) without MPI. Its sum adds the ranks' vectors in the same binary tree over the ranks
// as the MPI implementation (src/core/mpi_environment.cpp), so it gives the same bits.

#include <algorithm>
#include <barrier>
#include <cstddef>
#include <cstdlib>
#include <functional>
#include <memory>
#include <span>
#include <stdexcept>
#include <thread>
#include <vector>

#include "shine/core/communicator.hpp"

namespace shine::test {

// What the ranks of one group share: one slot per rank and a barrier.
struct ThreadGroupState {
  explicit ThreadGroupState(int ranks)
      : size(ranks), barrier(ranks), slots(static_cast<std::size_t>(ranks)) {}
  int size;
  std::barrier<> barrier;
  std::vector<std::vector<std::byte>> slots;
};

class ThreadCommunicator final : public core::Communicator {
 public:
  ThreadCommunicator(std::shared_ptr<ThreadGroupState> group, int rank)
      : group_(std::move(group)), rank_(rank) {}

  [[nodiscard]] int rank() const noexcept override { return rank_; }
  [[nodiscard]] int size() const noexcept override { return group_->size; }
  [[noreturn]] void abort(int code) const override { std::_Exit(code); }

 protected:
  void sum_impl(std::span<double> values) const override {
    publish(std::as_bytes(values));
    const int p = group_->size;
    std::vector<std::vector<double>> acc(static_cast<std::size_t>(p));
    for (int r = 0; r < p; ++r) {
      const auto& slot = group_->slots[static_cast<std::size_t>(r)];
      acc[static_cast<std::size_t>(r)].resize(values.size());
      std::copy_n(slot.data(), slot.size(),
                  reinterpret_cast<std::byte*>(acc[static_cast<std::size_t>(r)].data()));
    }
    for (int step = 1; step < p; step *= 2) {
      for (int r = 0; r + step < p; r += 2 * step) {
        auto& left = acc[static_cast<std::size_t>(r)];
        const auto& right = acc[static_cast<std::size_t>(r + step)];
        for (std::size_t i = 0; i < left.size(); ++i)
          left[i] += right[i];
      }
    }
    std::copy(acc[0].begin(), acc[0].end(), values.begin());
    group_->barrier.arrive_and_wait();  // nobody publishes again before all have read
  }

  void gather_impl(std::span<const std::byte> mine, std::span<std::byte> all) const override {
    publish(mine);
    for (int r = 0; r < group_->size; ++r) {
      const auto& slot = group_->slots[static_cast<std::size_t>(r)];
      std::copy(
          slot.begin(), slot.end(),
          all.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(r) * mine.size()));
    }
    group_->barrier.arrive_and_wait();
  }

  std::vector<std::byte> gather_varying_impl(std::span<const std::byte> mine,
                                             std::vector<std::size_t>& sizes) const override {
    publish(mine);
    std::vector<std::byte> all;
    sizes.clear();
    for (const auto& slot : group_->slots) {
      sizes.push_back(slot.size());
      all.insert(all.end(), slot.begin(), slot.end());
    }
    group_->barrier.arrive_and_wait();
    return all;
  }

  void broadcast_impl(std::span<std::byte> data, int root) const override {
    publish(data);
    const auto& slot = group_->slots[static_cast<std::size_t>(root)];
    std::copy(slot.begin(), slot.end(), data.begin());
    group_->barrier.arrive_and_wait();
  }

 private:
  void publish(std::span<const std::byte> mine) const {
    group_->slots[static_cast<std::size_t>(rank_)].assign(mine.begin(), mine.end());
    group_->barrier.arrive_and_wait();
  }

  std::shared_ptr<ThreadGroupState> group_;
  int rank_;
};

// Runs `body(communicator)` on `ranks` threads, one rank each, and waits for them; an exception
// of any rank is rethrown (the first, by rank) after all have ended. A rank that throws while the
// others wait in a collective would hang them: bodies must fail on every rank alike.
inline void run_ranks(int ranks, const std::function<void(const core::Communicator&)>& body) {
  auto group = std::make_shared<ThreadGroupState>(ranks);
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(ranks));
  std::vector<std::thread> threads;
  for (int r = 0; r < ranks; ++r) {
    threads.emplace_back([&, r] {
      const ThreadCommunicator communicator(group, r);
      try {
        body(communicator);
      } catch (...) {
        errors[static_cast<std::size_t>(r)] = std::current_exception();
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  for (const auto& error : errors) {
    if (error) std::rethrow_exception(error);
  }
}

}  // namespace shine::test
