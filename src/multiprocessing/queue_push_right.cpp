// The right to push into a queue's ring: see queue_push_right.hpp and queue_impl.hpp.
#include "multiprocessing/queue_push_right.hpp"

#include <time.h>

#include "concur/detail/sync/spin.hpp"
#include "concur/multiprocessing/synchronize.hpp"
#include "multiprocessing/asymmetric_fence.hpp"
#include "multiprocessing/robust.hpp"

namespace concur::multiprocessing::detail {

PushRight::PushRight(QueueShared& s, bool light) : s_(s), me_(self_thread_id()), light_(light) {
  for (;;) {
    const std::uint64_t holder = s_.lease.load(std::memory_order_acquire);
    if (holder == me_) {
      // The light side of the hand-over: a revoker changes `lease`, fences, then reads `busy`.
      s_.busy.store(me_, std::memory_order_relaxed);
      light_fence(light_);
      if (s_.lease.load(std::memory_order_acquire) == me_) {
        leased_ = held_ = true;
        return;
      }
      std::uint64_t mine = me_;  // revoked meanwhile: not pushing after all
      s_.busy.compare_exchange_strong(mine, 0, std::memory_order_release,
                                      std::memory_order_relaxed);
      continue;
    }
    if (holder != kSharedMode) {
      revoke(holder);
      continue;
    }
    robust_lock(s_.put_lock, Deadline::never());
    if (s_.lease.load(std::memory_order_acquire) == kSharedMode) {
      held_ = true;
      return;
    }
    robust_unlock(s_.put_lock);  // leased meanwhile
  }
}

void PushRight::release() noexcept {
  if (!held_) return;
  held_ = false;
  if (leased_) {
    s_.busy.store(0, std::memory_order_release);
    return;
  }
  // Shared mode. A thread that pushes kLeaseAfter times in a row takes the lease — only where
  // fences are light: elsewhere a lease would save nothing.
  if (s_.run_owner != me_) {
    s_.run_owner = me_;
    s_.run_length = 0;
  }
  if (++s_.run_length >= kLeaseAfter && light_ && kLeaseEnabled) {
    s_.run_length = 0;
    s_.lease.store(me_, std::memory_order_release);  // under put_lock: no shared pusher inside
  }
  robust_unlock(s_.put_lock);
}

// Back to shared mode, in two steps: the lease is marked revoked (its holder's pushes stop
// starting), a heavy fence, a wait for `busy` to clear (the holder either is seen busy after the
// fence and finishes its push, or sees the mark before it pushes), and only then shared mode.
// Until then nobody pushes under put_lock: a pusher that finds a revocation under way completes
// it itself (the revoker may have died), so shared mode always means no leased push is running.
void PushRight::revoke(std::uint64_t holder) {
  if ((holder & kRevoking) == 0) {
    const std::uint64_t marked = holder | kRevoking;
    if (!s_.lease.compare_exchange_strong(holder, marked, std::memory_order_acq_rel,
                                          std::memory_order_relaxed))
      return;  // changed meanwhile: the caller looks again
    holder = marked;
  }
  heavy_fence();
  wait_while_busy();
  s_.lease.compare_exchange_strong(holder, kSharedMode, std::memory_order_acq_rel,
                                   std::memory_order_relaxed);  // or another completer did
}

void PushRight::wait_while_busy() {
  const auto idle = [&] { return s_.busy.load(std::memory_order_acquire) == 0; };
  for (;;) {
    if (concur::detail::sync::spin_until(idle)) return;
    std::uint64_t b = s_.busy.load(std::memory_order_acquire);
    if (b == 0) return;
    // A holder killed mid-push leaves `busy` set and its entry unpublished (bytes past `tail`).
    if (process_dead(static_cast<pid_t>(b >> 32))) {
      s_.busy.compare_exchange_strong(b, 0, std::memory_order_acq_rel);
      return;
    }
    const timespec nap{0, 100'000};
    ::nanosleep(&nap, nullptr);
  }
}

}  // namespace concur::multiprocessing::detail
