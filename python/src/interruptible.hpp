#pragma once
// Runs a long computation with the GIL released, on a worker thread, while the calling thread
// keeps watching Python: it wakes every few milliseconds, writes the worker's progress lines to
// sys.stderr and runs the signal handlers (PyErr_CheckSignals). When a handler raises (Ctrl-C:
// KeyboardInterrupt), the worker is told to stop through its interrupt flag, is waited for, and
// the Python exception is raised. Each call has its own flag and thread, so calls from several
// Python threads run side by side; signal handlers run on the main thread only, so Ctrl-C stops
// the call made from the main thread.

#include <pybind11/pybind11.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace shine::python {

/// Lines written by the worker, to be printed by the watching thread.
class LineQueue {
 public:
  void push(std::string line) {
    const std::lock_guard lock(mutex_);
    lines_.push_back(std::move(line));
  }
  std::vector<std::string> take() {
    const std::lock_guard lock(mutex_);
    return std::exchange(lines_, {});
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

/// How often the watching thread checks for signals and progress lines.
inline constexpr std::chrono::milliseconds kWatchPeriod{20};

/// Runs `work(interrupt)` (which returns a `Result`) as described in the file comment. Must be
/// called with the GIL held. Exceptions thrown by `work` are rethrown here; a Python exception
/// raised by a signal handler wins over the worker's result.
template <typename Result, typename Work>
Result run_interruptible(Work&& work, LineQueue* lines) {
  namespace py = pybind11;
  std::atomic<bool> interrupt{false};
  std::optional<Result> result;
  std::exception_ptr error;
  std::mutex mutex;
  std::condition_variable finished;
  bool done = false;
  PyObject* raised_type = nullptr;
  PyObject* raised_value = nullptr;
  PyObject* raised_trace = nullptr;

  // With the GIL held: print the queued lines (a failing write is raised like a signal's error).
  const auto flush = [&]() -> bool {
    if (lines == nullptr) return true;
    for (const std::string& line : lines->take()) {
      try {
        py::module_::import("sys").attr("stderr").attr("write")(line);
      } catch (py::error_already_set& e) {
        e.restore();
        return false;
      }
    }
    return true;
  };

  {
    const py::gil_scoped_release release;
    std::thread worker([&] {
      try {
        result.emplace(work(interrupt));
      } catch (...) {
        error = std::current_exception();
      }
      {
        const std::lock_guard lock(mutex);
        done = true;
      }
      finished.notify_one();
    });
    for (;;) {
      {
        std::unique_lock lock(mutex);
        if (finished.wait_for(lock, kWatchPeriod, [&] { return done; })) break;
      }
      const py::gil_scoped_acquire acquire;
      if (!flush() || PyErr_CheckSignals() != 0) {
        PyErr_Fetch(&raised_type, &raised_value, &raised_trace);
        interrupt.store(true);
        break;
      }
    }
    worker.join();
  }
  if (raised_type == nullptr && !flush()) {
    PyErr_Fetch(&raised_type, &raised_value, &raised_trace);
  }
  if (raised_type != nullptr) {
    PyErr_Restore(raised_type, raised_value, raised_trace);
    throw py::error_already_set();
  }
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

}  // namespace shine::python
