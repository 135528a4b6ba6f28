// concur/detail/sync/condition_core.hpp — the algorithm of Condition: exact notify(n).
//
// Internal; not part of the API. threading::Condition wraps it (with a Lock or RLock); the
// process-shared multiprocessing.Condition uses the same struct in MAP_SHARED memory, with its own
// process-shared lock.
//
// Python's Condition wakes exactly min(n, waiting) threads per notify(n), never spuriously, and a
// timed-out waiter takes nothing from later notifies. Here that is counted in words, not in a
// list of per-waiter locks (which could not live in shared memory):
//   waiters  threads inside wait() that have not taken a wake-up yet
//   granted  wake-ups handed out by notify() and not yet taken (granted <= waiters)
//   seq      the futex word, bumped by every notify that grants something
// notify(n) grants k = min(n, waiters - granted) and wakes k sleepers. A waiter takes a grant only
// if seq moved since it registered — a thread that starts waiting after a notify cannot steal that
// notify's wake-up from the threads it was meant for. Every field is read and written under the
// user's lock, except seq, which a waiter also watches while it spins or sleeps unlocked.
//
// Using it from shared memory: standard-layout, lock-free atomic words, no pointers; all-zero
// bytes are a fresh condition. Pass shared = true when it lives in memory shared between processes.
// The caller supplies the lock as two callables (release the lock completely; take it back):
//
//   bool ok = cond->wait(Deadline::after(timeout), /*shared=*/true,
//                        [&] { lock->release(true); }, [&] { lock->acquire(true); });
//   cond->notify(1, true);        // caller holds the lock
//
// Thread safety: thread-safe under the user's lock, as documented per member.
#pragma once

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdint>
#include <type_traits>

#include "concur/detail/sync/spin.hpp"

namespace concur::detail::sync {

struct ConditionCore {
  Word seq{0};
  Word waiters{0};
  Word granted{0};
  Word sleepers{0};

  /// Caller holds the lock. Releases it with unlock(), waits for a notify or `deadline`, takes the
  /// lock back with relock(), and returns true if notified. Never returns spuriously.
  template <class Unlock, class Relock>
  bool wait(const Deadline& deadline, bool shared, Unlock unlock, Relock relock) {
    std::uint32_t seen = seq.load(std::memory_order_relaxed);
    add(waiters, 1);
    unlock();
    // No busy spinning first: the notifier holds the lock we need next, so a spinning waiter would
    // only race it for the lock (and, on a busy machine, take the CPU it needs to get there); the
    // wait yields its core a few times before it sleeps instead (wait_moved).
    bool in_time = !deadline.expired() && wait_moved(seen, deadline, shared);
    for (;;) {
      relock();
      if (seq.load(std::memory_order_relaxed) != seen &&
          granted.load(std::memory_order_relaxed) != 0) {
        add(granted, -1);
        add(waiters, -1);
        return true;
      }
      if (!in_time || deadline.expired()) {
        add(waiters, -1);
        return false;
      }
      // A wake-up whose grant another eligible waiter took first (or a spurious one): every grant
      // is taken, so start afresh from the current seq.
      seen = seq.load(std::memory_order_relaxed);
      unlock();
      in_time = wait_moved(seen, deadline, shared);
    }
  }

  /// Caller holds the lock. Wakes min(n, waiting) threads; returns how many.
  std::uint32_t notify(std::uint32_t n, bool shared) noexcept {
    const std::uint32_t idle =
        waiters.load(std::memory_order_relaxed) - granted.load(std::memory_order_relaxed);
    const std::uint32_t k = std::min(n, idle);
    if (k == 0) return 0;
    add(granted, static_cast<int>(k));
    seq.fetch_add(1, std::memory_order_seq_cst);
    wake_sleepers(seq, sleepers, k > INT_MAX ? INT_MAX : static_cast<int>(k), shared);
    return k;
  }

  /// Threads waiting and not yet notified (caller holds the lock).
  std::uint32_t idle_waiters() const noexcept {
    return waiters.load(std::memory_order_relaxed) - granted.load(std::memory_order_relaxed);
  }

 private:
  // Under the lock: a plain read-modify-write, no bus lock.
  static void add(Word& w, std::int64_t d) noexcept {
    w.store(static_cast<std::uint32_t>(w.load(std::memory_order_relaxed) + d),
            std::memory_order_relaxed);
  }
  // Unlocked: sleeps until seq moves from `seen` or the deadline. False: the deadline passed.
  bool wait_moved(std::uint32_t seen, const Deadline& deadline, bool shared) noexcept {
    // Yield before sleeping: in a hand-off (ping-pong, producer/consumer) the notifier usually
    // answers within a few yields, and a futex sleep + wake-up costs far more (2-4x measured).
    if (spin_until([&] { return seq.load(std::memory_order_relaxed) != seen; }, 0)) return true;
    for (;;) {
      if (seq.load(std::memory_order_relaxed) != seen) return true;
      if (!sleep_while_equal(seq, seen, sleepers, deadline, shared)) return false;
      if (seq.load(std::memory_order_relaxed) != seen) return true;
      // Spurious (EINTR, a stray FUTEX_WAKE): sleep again on what is left of the deadline.
    }
  }
};

static_assert(std::is_standard_layout_v<ConditionCore>);

}  // namespace concur::detail::sync
