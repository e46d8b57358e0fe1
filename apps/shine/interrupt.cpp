#include "interrupt.hpp"

#include <unistd.h>

#include <csignal>

namespace shine::cli {
namespace {

// Process-wide by nature: a signal handler can only reach static storage. Lock-free atomics are
// async-signal-safe.
std::atomic<bool> g_interrupted{false};
struct sigaction g_previous_int {};
struct sigaction g_previous_term {};

static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void on_signal(int signal_number) {
  if (g_interrupted.exchange(true)) {
    // Second signal: give up at once with the default action.
    struct sigaction defaults {};
    defaults.sa_handler = SIG_DFL;
    sigemptyset(&defaults.sa_mask);
    sigaction(signal_number, &defaults, nullptr);
    raise(signal_number);
    return;
  }
  constexpr char kMessage[] =
      "\nshine: interrupted: finishing now and writing what was found "
      "(press Ctrl-C again to abort at once)\n";
  const ssize_t ignored = write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
  (void)ignored;
}

}  // namespace

InterruptGuard::InterruptGuard() {
  g_interrupted.store(false);
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, &g_previous_int);
  sigaction(SIGTERM, &action, &g_previous_term);
}

InterruptGuard::~InterruptGuard() {
  sigaction(SIGINT, &g_previous_int, nullptr);
  sigaction(SIGTERM, &g_previous_term, nullptr);
}

const std::atomic<bool>* InterruptGuard::flag() const noexcept {
  return &g_interrupted;
}

bool InterruptGuard::interrupted() const noexcept {
  return g_interrupted.load();
}

}  // namespace shine::cli
