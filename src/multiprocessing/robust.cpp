// The robust lock word's slow path and the process identity it stores. Why slices: a dead
// owner cannot wake anyone, so a waiter must look for itself; it looks only when a slice ends
// without a wake-up, which never happens under live contention (every release wakes one).
#include "multiprocessing/robust.hpp"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "concur/detail/core/futex.hpp"
#include "concur/detail/sync/spin.hpp"

namespace concur::multiprocessing::detail {
namespace {

using concur::detail::futex_wait_until;
using concur::detail::futex_wake;

constexpr auto kLivenessSlice = std::chrono::milliseconds(50);
constexpr int kBackoffRounds = 10;  // 1 + 2 + ... + 64 + 3 x 64 = 319 pauses
constexpr int kMaxPauses = 64;

void refresh_pid() noexcept { g_pid.store(::getpid(), std::memory_order_relaxed); }

[[maybe_unused]] const bool g_registered = [] {
  refresh_pid();
  ::pthread_atfork(nullptr, nullptr, &refresh_pid);
  return true;
}();

}  // namespace

std::atomic<pid_t> g_pid{0};

pid_t self_pid_slow() noexcept {
  refresh_pid();
  return g_pid.load(std::memory_order_relaxed);
}

bool process_dead(pid_t pid) noexcept {
  if (pid <= 0) return true;
  if (pid == self_pid()) return false;
#ifdef SYS_pidfd_open
  const long fd = ::syscall(SYS_pidfd_open, pid, 0);
  if (fd >= 0) {
    pollfd p{static_cast<int>(fd), POLLIN, 0};
    int r;
    do r = ::poll(&p, 1, 0);
    while (r < 0 && errno == EINTR);
    ::close(static_cast<int>(fd));
    return r > 0;  // readable: the process has exited (zombie or reaped)
  }
  if (errno == ESRCH) return true;
#endif
  return ::kill(pid, 0) < 0 && errno == ESRCH;  // no pidfd support: zombies look alive
}

bool robust_lock_slow(std::atomic<std::uint32_t>& w, const Deadline& deadline) noexcept {
  const std::uint32_t me = self_tag();
  // Before sleeping: kBackoffRounds looks at the word with a doubling number of pauses
  // between them (1, 2, 4... up to kMaxPauses: 319 pauses in all, ~3 µs where a pause takes
  // 10 ns, ~30 µs on this project's EPYC VM where it takes ~100 ns), then spin.hpp's kYields
  // sched_yield()s. A holder in another process releases within its short critical section;
  // the growing gaps keep this waiter off the lock's cache line meanwhile, so a holder that
  // re-acquires at once (a loop of short sections) does not pay a cache-line transfer per
  // round (measured, 2 processes x 10^5 increments on 2 cores: ~1.4-2 ms instead of ~3.4 ms
  // with threading::Lock's 20 back-to-back pauses whenever the two run at the same time). On
  // a loaded machine the yields let the holder run now instead of after our futex sleep.
  const auto take = [&] {
    std::uint32_t free = 0;
    return w.load(std::memory_order_relaxed) == 0 &&
           w.compare_exchange_weak(free, me, std::memory_order_acquire, std::memory_order_relaxed);
  };
  for (int round = 0, pauses = 1; round < kBackoffRounds; ++round) {
    if (take()) return true;
    for (int i = 0; i < pauses; ++i) concur::detail::cpu_relax();
    pauses = std::min(2 * pauses, kMaxPauses);
  }
  if (concur::detail::sync::spin_until(take, 0)) return true;
  for (;;) {
    std::uint32_t c = w.load(std::memory_order_relaxed);
    if (c == 0) {
      // Taken with the waiters bit: others may sleep, so our release must wake one.
      if (w.compare_exchange_weak(c, me | kWaiters, std::memory_order_acquire,
                                  std::memory_order_relaxed))
        return true;
      continue;
    }
    if (!(c & kWaiters)) {
      if (!w.compare_exchange_weak(c, c | kWaiters, std::memory_order_relaxed)) continue;
      c |= kWaiters;
    }
    if (deadline.expired()) return false;
    const auto slice = std::min<Duration>(deadline.remaining(), kLivenessSlice);
    const auto slice_end = Deadline::after(slice);
    if (futex_wait_until(w, c, slice_end, true)) continue;  // woken (or spurious): retry
    if (w.load(std::memory_order_relaxed) == c && process_dead(owner_of(c))) {
      std::uint32_t expected = c;
      if (w.compare_exchange_strong(expected, me | kWaiters, std::memory_order_acquire,
                                    std::memory_order_relaxed))
        return true;
    }
  }
}

}  // namespace concur::multiprocessing::detail
