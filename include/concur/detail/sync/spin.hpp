// concur/detail/sync/spin.hpp — spin-then-sleep on a futex word, knowing whether anyone sleeps.
//
// Internal; not part of the API. The building block of the sync cores (lock_core.hpp,
// semaphore_core.hpp, event_core.hpp, condition_core.hpp, barrier_core.hpp): a thread that must
// wait for a 32-bit word to change first spins briefly (a handoff between two running threads then
// never enters the kernel), then records that it sleeps and sleeps on the futex, so that a thread
// changing the word makes the FUTEX_WAKE syscall only when someone may be asleep. The spin is a
// few `pause`s, then a few sched_yield()s (see kYields). Two ways:
// - sleep_with_bit(): a "sleepers" bit inside the word itself. The waker's one atomic exchange both
//   publishes the change and tells whether to wake — its last access to the object, so a waiter
//   may destroy the object as soon as it sees the change (Event, Barrier, Lock rely on this).
// - sleep_while_equal()/wake_sleepers(): a separate sleeper count, for wakers that wake only some
//   sleepers (Condition's notify(n)); the waker reads the count after its change, so the object
//   must outlive the waker's call (Condition: the waker holds the lock the waiter needs).
//
// Shared memory: every word is a std::atomic<std::uint32_t> (address-free, lock-free); pass
// shared = true when the words live in MAP_SHARED memory seen by several processes (the futex is
// then keyed by the physical page: FUTEX_WAKE instead of FUTEX_WAKE_PRIVATE).
//
//   // waiter                                   // waker
//   std::uint32_t seen = word.load();            word.fetch_add(1);   // seq_cst: see below
//   while (word.load() == seen)                  wake_sleepers(word, sleepers, INT_MAX, shared);
//     if (!sleep_while_equal(word, seen, sleepers, deadline, shared)) break;   // deadline
//
// Ordering: the waiter's sleepers.fetch_add and the waker's change of `word` are both seq_cst,
// and the kernel re-reads `word` after the fetch_add: either the waker sees the sleeper, or the
// sleeper's futex sees the new value (no lost wake-up).
// Thread safety: thread-safe (process-safe with shared = true).
#pragma once

#include <sched.h>

#include <atomic>
#include <climits>
#include <cstdint>

#include "concur/detail/core/deadline.hpp"
#include "concur/detail/core/futex.hpp"

namespace concur::detail::sync {

using Word = std::atomic<std::uint32_t>;

/// How long a waiter spins before it yields: about a microsecond on current x86, where one
/// `pause` costs up to ~140 cycles. Short, because the machine may have more threads than cores:
/// then the thread we wait for is not running, and spinning only delays it.
inline constexpr int kSpins = 20;
/// Then how many times it gives its core away (sched_yield) before it sleeps. On an idle core a
/// yield returns at once (a cheap poll); on a busy machine it lets the thread we wait for run now
/// instead of after a futex sleep and wake-up — measured: twice as fast as std::barrier and
/// std::condition_variable (which sleep sooner) on a loaded 2-core machine.
inline constexpr int kYields = 16;

/// Spins (with cpu_relax) for `spins` rounds, then yields the core `yields` times, until `done()`;
/// returns done().
template <class Done>
inline bool spin_until(Done done, int spins = kSpins, int yields = kYields) noexcept {
  for (int i = 0; i < spins; ++i) {
    if (done()) return true;
    cpu_relax();
  }
  for (int i = 0; i < yields; ++i) {
    if (done()) return true;
    ::sched_yield();
  }
  return done();
}

/// Sleeps while `word` is `seen` (which lacks `bit`), first setting `bit` in the word so the
/// waker knows to wake. Returns false only when `deadline` has passed; true on a change, a wake-up
/// or a spurious return (the caller re-checks, ignoring `bit`).
inline bool sleep_with_bit(Word& word, std::uint32_t seen, std::uint32_t bit,
                           const Deadline& deadline, bool shared) noexcept {
  std::uint32_t expected = seen;
  if (!word.compare_exchange_strong(expected, seen | bit, std::memory_order_relaxed,
                                    std::memory_order_relaxed) &&
      expected != (seen | bit))
    return true;  // changed meanwhile
  return futex_wait_until(word, seen | bit, deadline, shared);
}

/// Sleeps while `word == seen`, counted in `sleepers`. Returns false only when `deadline` has
/// passed; true on a change, a wake-up or a spurious return (the caller re-checks).
inline bool sleep_while_equal(Word& word, std::uint32_t seen, Word& sleepers,
                              const Deadline& deadline, bool shared) noexcept {
  sleepers.fetch_add(1, std::memory_order_seq_cst);
  const bool in_time = futex_wait_until(word, seen, deadline, shared);
  sleepers.fetch_sub(1, std::memory_order_relaxed);
  return in_time;
}

/// Wakes up to `n` sleepers of `word` if any may be asleep. Call after changing `word` with a
/// seq_cst operation.
inline void wake_sleepers(Word& word, const Word& sleepers, int n, bool shared) noexcept {
  if (sleepers.load(std::memory_order_seq_cst) != 0) futex_wake(word, n, shared);
}

}  // namespace concur::detail::sync
