// Internal: the robust process-shared lock word under multiprocessing's Lock, RLock and
// Queue, and this process's identity.
//
// A lock word is 0 when free, else (owner pid << 1) | WAITERS. The owner is the process (not
// the thread): Python lets any thread or process release a Lock. Acquiring is one CAS when
// uncontended; a contended acquirer spins (with a growing backoff) and yields (spin.hpp),
// then sleeps on a process-shared futex. Robustness: a waiter sleeps
// in slices (kLivenessSlice); when a slice ends without a wake-up it checks whether the owner
// process still runs (pidfd_open + poll, so a dead but unreaped zombie counts as dead) and, if
// not, takes the lock over with one CAS from the dead owner's exact word. Live contention never
// pays for the check (wake-ups end slices early). Limitation: a recycled pid (the dead owner's
// pid reused by a new process within the slice) makes the lock look held until that process
// exits — pid_max is 4M on current kernels, so reuse that fast is rare.
//
// Thread safety: every function is safe from any thread of any process mapping the word.
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
