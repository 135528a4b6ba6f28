// concur/detail/sync/event_core.hpp — the algorithm of Event: a flag threads can wait for.
//
// Internal; not part of the API. threading::Event wraps it; the process-shared
// multiprocessing.Event uses the same struct in MAP_SHARED memory.
//
// One futex word: bit 0 is the flag, bit 1 "someone may sleep", the bits above count the set()
// calls that raised the flag. A waiter returns true once the word shows the flag OR a different
// count — so a set() directly followed by clear() still releases every thread that was waiting,
// as Python's Event (built on a Condition) does. set() is one CAS, its last access to the struct
// (so a waiter may destroy the event as soon as wait() returns), plus FUTEX_WAKE only when the
// sleepers bit was set.
//
// Using it from shared memory: standard-layout, one lock-free atomic word, no pointers; all-zero
// bytes are a cleared event. Pass shared = true when it lives in memory shared between processes.
//
//   auto* e = new (mmap(...MAP_SHARED...)) EventCore;   // or zero-filled memory
//   e->set(true);            // another process: e->wait_until(Deadline::after(1s), true)
//
// Thread safety: thread-safe (process-safe with shared = true).
#pragma once

#include <atomic>
#include <climits>
#include <cstdint>
#include <type_traits>

#include "concur/detail/sync/spin.hpp"

namespace concur::detail::sync {

struct EventCore {
  static constexpr std::uint32_t kFlag = 1, kSleepers = 2, kCount = 4;
  Word word{0};

  void set(bool shared) noexcept {
    std::uint32_t w = word.load(std::memory_order_relaxed);
    do {
      if (w & kFlag) return;  // already set: its waiters have been released
    } while (!word.compare_exchange_weak(w, ((w & ~(kFlag | kSleepers)) + kCount) | kFlag,
                                         std::memory_order_release, std::memory_order_relaxed));
    if (w & kSleepers) futex_wake(word, INT_MAX, shared);
  }
  void clear() noexcept { word.fetch_and(~kFlag, std::memory_order_relaxed); }
  bool is_set() const noexcept { return (word.load(std::memory_order_acquire) & kFlag) != 0; }

  /// Waits until set or `deadline`: true if the flag was set at some moment of the wait.
  bool wait_until(const Deadline& deadline, bool shared) noexcept {
    const std::uint32_t seen = word.load(std::memory_order_acquire) & ~kSleepers;
    if (seen & kFlag) return true;
    // A set() raises the count; clear() of our unset `seen` changes nothing we compare.
    const auto changed = [&] {
      return (word.load(std::memory_order_acquire) & ~kSleepers) != seen;
    };
    if (!deadline.expired() && spin_until(changed)) return true;
    for (;;) {
      if (changed()) return true;
      if (!sleep_with_bit(word, seen, kSleepers, deadline, shared)) return changed();
    }
  }
};

static_assert(std::is_standard_layout_v<EventCore> && sizeof(EventCore) == 4);

}  // namespace concur::detail::sync
