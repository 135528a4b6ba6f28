// concur/multiprocessing/detail/robust_word.hpp — internal: the robust process-shared lock
// word of multiprocessing's Lock, RLock and Queue (src/multiprocessing/robust.hpp says how it
// works). In a header so that Lock's uncontended lock() and unlock() are inline: one CAS and
// one exchange, as threading::Lock's, with no call into the library.
//
// Not part of the public API. Thread safety: every function is safe from any thread of any
// process mapping the word.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>

#include "concur/detail/core/deadline.hpp"
#include "concur/detail/core/futex.hpp"

namespace concur::multiprocessing::detail {

using concur::detail::Deadline;

/// This process's pid, cached (refreshed in the child after fork()); 0 until first set.
extern std::atomic<pid_t> g_pid;
/// Sets g_pid (before static initialisation finished) and returns it.
pid_t self_pid_slow() noexcept;
/// This process's pid, cached (refreshed in the child after fork()).
inline pid_t self_pid() noexcept {
  const pid_t p = g_pid.load(std::memory_order_relaxed);
  return p != 0 ? p : self_pid_slow();
}
/// This process's tag in a lock word: pid << 1.
inline std::uint32_t self_tag() noexcept { return static_cast<std::uint32_t>(self_pid()) << 1; }

/// True if process `pid` has exited (or never existed); a zombie counts as exited.
bool process_dead(pid_t pid) noexcept;

inline constexpr std::uint32_t kWaiters = 1;

/// One attempt: true if the lock was free and is now ours.
inline bool robust_try_lock(std::atomic<std::uint32_t>& w) noexcept {
  std::uint32_t free = 0;
  return w.compare_exchange_strong(free, self_tag(), std::memory_order_acquire,
                                   std::memory_order_relaxed);
}

/// Waits for the lock until `deadline` (spinning and yielding first, even when it has
/// passed); true if acquired. Takes over a dead owner's lock.
bool robust_lock_slow(std::atomic<std::uint32_t>& w, const Deadline& deadline) noexcept;

inline bool robust_lock(std::atomic<std::uint32_t>& w, const Deadline& deadline) noexcept {
  return robust_try_lock(w) || robust_lock_slow(w, deadline);
}

/// Lock's and RLock's acquire, as threading::Lock's: an expired deadline makes one attempt
/// (Python's acquire(blocking=False) or timeout=0), else robust_lock().
inline bool robust_acquire(std::atomic<std::uint32_t>& w, const Deadline& deadline) noexcept {
  return robust_try_lock(w) || (!deadline.expired() && robust_lock_slow(w, deadline));
}

/// Releases the lock (whoever holds it). Returns false if it was not held.
inline bool robust_unlock(std::atomic<std::uint32_t>& w) noexcept {
  const std::uint32_t old = w.exchange(0, std::memory_order_release);
  if (old & kWaiters) concur::detail::futex_wake(w, 1, true);
  return old != 0;
}

/// The pid holding `word` (0: free).
inline pid_t owner_of(std::uint32_t word) noexcept { return static_cast<pid_t>(word >> 1); }

}  // namespace concur::multiprocessing::detail
