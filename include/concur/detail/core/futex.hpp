// concur/detail/core/futex.hpp — futex wait/wake on a 32-bit word, private or process-shared.
//
// Internal; not part of the API. The one place concur calls SYS_futex. Every synchronisation
// primitive of concur (threading's Lock/Condition/Barrier..., the queues, Future, and the
// process-shared classes of multiprocessing, whose words live in shared memory) sleeps here.
// std::atomic::wait is never used (GCC 12 bug 106772).
//
//   std::atomic<std::uint32_t> word{0};
//   while (word.load() == 0) concur::detail::futex_wait(word, 0);      // another thread: store 1,
//   futex_wake(word)
//
// `shared = true` selects the process-shared futex (the word's physical page is the key), for
// words in MAP_SHARED memory. Every wait may return spuriously (EINTR, EAGAIN, a stray wake):
// callers re-check their condition.
// Thread safety: thread-safe (and process-safe with shared = true).
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <type_traits>

#include "concur/detail/core/deadline.hpp"

namespace concur::detail {

/// A hint to the CPU that we are spinning (lets the sibling hyper-thread run).
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

template <class W>
inline int* futex_word(std::atomic<W>& word) noexcept {
  static_assert(sizeof(std::atomic<W>) == 4 && std::atomic<W>::is_always_lock_free,
                "a futex word is 32 bits");
  return reinterpret_cast<int*>(&word);
}

/// Sleeps while `word == expected`, until a wake-up, a signal or `deadline` (absolute,
/// CLOCK_MONOTONIC). Returns false only when the deadline has passed.
template <class W>
inline bool futex_wait_until(std::atomic<W>& word, std::type_identity_t<W> expected,
                             const Deadline& deadline, bool shared = false) noexcept {
  const auto abs = deadline.abs_timespec();
  if (abs && deadline.expired()) return false;
  const int op = shared ? FUTEX_WAIT_BITSET : FUTEX_WAIT_BITSET_PRIVATE;
  const long r = ::syscall(SYS_futex, futex_word(word), op, static_cast<int>(expected),
                           abs ? &*abs : nullptr, nullptr, FUTEX_BITSET_MATCH_ANY);
  if (r != 0 && errno == ETIMEDOUT) return false;
  return true;
}

/// Sleeps while `word == expected` (or until a wake-up or signal: callers re-check).
template <class W>
inline void futex_wait(std::atomic<W>& word, std::type_identity_t<W> expected,
                       bool shared = false) noexcept {
  futex_wait_until(word, expected, Deadline::never(), shared);
}

/// Wakes up to `n` waiters of `word`. Returns how many were woken.
template <class W>
inline int futex_wake(std::atomic<W>& word, int n = INT_MAX, bool shared = false) noexcept {
  const int op = shared ? FUTEX_WAKE : FUTEX_WAKE_PRIVATE;
  const long r = ::syscall(SYS_futex, futex_word(word), op, n, nullptr, nullptr, 0);
  return r > 0 ? static_cast<int>(r) : 0;
}

}  // namespace concur::detail
