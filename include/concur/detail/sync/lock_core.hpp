// concur/detail/sync/lock_core.hpp — the algorithms of Lock and RLock on 32/64-bit words.
//
// Internal; not part of the API. threading::Lock/RLock are thin wrappers over these; the
// process-shared multiprocessing locks use the very same structs in MAP_SHARED memory.
//
// LockCore is Drepper's "mutex 3" ("Futexes Are Tricky"): state 0 = unlocked, 1 = locked,
// 2 = locked and someone may sleep on the futex. Uncontended acquire is one CAS, release one
// exchange, both inline; a contended acquirer spins briefly, then sleeps; release makes the
// FUTEX_WAKE syscall only from state 2. Any thread (or process) may release, as Python's Lock.
//
// RLockCore adds an owner and a recursion count. The owner identity is passed in by the caller:
// a non-zero 64-bit value unique among the live users of the lock — the thread's ident for
// threads, (pid << 32 | tid) across processes.
//
// Using them from shared memory: all-zero bytes are a valid unlocked LockCore/RLockCore (so a fresh
// MAP_SHARED|MAP_ANONYMOUS mapping or ftruncate'd file needs no constructor; placement-new works
// too). Both are standard-layout, hold only lock-free atomics, and never store a pointer. Pass
// shared = true to every call when the struct lives in memory shared between processes.
//
//   LockCore* l = static_cast<LockCore*>(mmap(...MAP_SHARED...));
//   l->acquire(/*shared=*/true);  ...;  l->release(true);
//
// A process that dies holding a lock leaves it locked (as Python's multiprocessing.Lock).
// Thread safety: thread-safe (process-safe with shared = true).
#pragma once

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <type_traits>

#include "concur/detail/sync/spin.hpp"

namespace concur::detail::sync {

struct LockCore {
  Word state{0};  // 0 unlocked, 1 locked, 2 locked with possible sleepers

  /// One attempt, never waits.
  bool try_acquire() noexcept {
    std::uint32_t c = 0;
    return state.compare_exchange_strong(c, 1, std::memory_order_acquire,
                                         std::memory_order_relaxed);
  }
  /// Waits as long as it takes.
  void acquire(bool shared) noexcept {
    if (!try_acquire()) acquire_slow(Deadline::never(), shared);
  }
  /// Waits until `deadline`; an expired deadline makes one attempt (Python's timeout=0).
  bool acquire_until(const Deadline& deadline, bool shared) noexcept {
    if (try_acquire()) return true;
    if (deadline.expired()) return false;
    return acquire_slow(deadline, shared);
  }
  /// Unlocks. False when it was not locked (nothing changes): the caller reports the misuse.
  bool release(bool shared) noexcept {
    const std::uint32_t prev = state.exchange(0, std::memory_order_release);
    if (prev == 2) futex_wake(state, 1, shared);
    return prev != 0;
  }
  bool locked() const noexcept { return state.load(std::memory_order_relaxed) != 0; }

 private:
  bool acquire_slow(const Deadline& deadline, bool shared) noexcept {
    if (spin_until([&] {
          std::uint32_t c = 0;
          return state.load(std::memory_order_relaxed) == 0 &&
                 state.compare_exchange_weak(c, 1, std::memory_order_acquire,
                                             std::memory_order_relaxed);
        }))
      return true;
    // From here on we may sleep: mark the lock contended, so its release wakes one of us.
    while (state.exchange(2, std::memory_order_acquire) != 0) {
      if (!futex_wait_until(state, 2, deadline, shared)) {
        // Deadline: one last attempt (a release may have raced with the timeout).
        std::uint32_t c = 0;
        return state.compare_exchange_strong(c, 2, std::memory_order_acquire,
                                             std::memory_order_relaxed);
      }
    }
    return true;
  }
};

struct RLockCore {
  LockCore lock;
  Word count{0};                        // recursion depth; written by the owner only
  std::atomic<std::uint64_t> owner{0};  // 0 = nobody

  /// Re-entry by the owner, or one attempt. Throws std::overflow_error past 2^32-1 levels.
  bool try_acquire(std::uint64_t me) {
    if (reenter(me)) return true;
    if (!lock.try_acquire()) return false;
    take(me, 1);
    return true;
  }
  void acquire(std::uint64_t me, bool shared) {
    if (reenter(me)) return;
    lock.acquire(shared);
    take(me, 1);
  }
  bool acquire_until(std::uint64_t me, const Deadline& deadline, bool shared) {
    if (reenter(me)) return true;
    if (!lock.acquire_until(deadline, shared)) return false;
    take(me, 1);
    return true;
  }
  /// One level down; unlocks at zero. False (nothing changes) when `me` does not own it.
  bool release(std::uint64_t me, bool shared) noexcept {
    if (!is_owned(me)) return false;
    const std::uint32_t left = count.load(std::memory_order_relaxed) - 1;
    count.store(left, std::memory_order_relaxed);
    if (left == 0) {
      owner.store(0, std::memory_order_relaxed);
      lock.release(shared);
    }
    return true;
  }
  bool is_owned(std::uint64_t me) const noexcept {
    return owner.load(std::memory_order_relaxed) == me;
  }
  bool locked() const noexcept { return lock.locked(); }

  /// For Condition.wait: unlocks completely and returns the depth to restore (precondition:
  /// is_owned(me)).
  std::uint32_t release_save(bool shared) noexcept {
    const std::uint32_t depth = count.load(std::memory_order_relaxed);
    count.store(0, std::memory_order_relaxed);
    owner.store(0, std::memory_order_relaxed);
    lock.release(shared);
    return depth;
  }
  /// Re-acquires after release_save(), restoring the depth.
  void acquire_restore(std::uint64_t me, std::uint32_t depth, bool shared) noexcept {
    lock.acquire(shared);
    take(me, depth);
  }

 private:
  // Only the owner itself can read owner == me (nobody else stores its identity), so the
  // relaxed read is exact for that question.
  bool reenter(std::uint64_t me) {
    if (!is_owned(me)) return false;
    const std::uint32_t c = count.load(std::memory_order_relaxed);
    if (c == UINT32_MAX) throw std::overflow_error("RLock: recursion too deep (2^32-1 levels)");
    count.store(c + 1, std::memory_order_relaxed);
    return true;
  }
  void take(std::uint64_t me, std::uint32_t depth) noexcept {
    owner.store(me, std::memory_order_relaxed);
    count.store(depth, std::memory_order_relaxed);
  }
};

static_assert(std::is_standard_layout_v<LockCore> && sizeof(LockCore) == 4);
static_assert(std::is_standard_layout_v<RLockCore>);
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

}  // namespace concur::detail::sync
