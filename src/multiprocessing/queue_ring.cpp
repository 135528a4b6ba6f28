// The shared ring of a multiprocessing queue: push and pop under the robust lock, the fd side
// channel, and the futex hand-offs. Wake-ups: a waiter registers itself (get_waiters,
// space_waiters) under the lock after reading the sequence word it will sleep on, so a
// publisher, which bumps the word and reads the waiter count under the same lock, either sees
// the waiter or the waiter sees the new sequence (futex_wait returns at once). No wake-up is
// lost and no system call is made while nobody sleeps.
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <vector>

#include "concur/detail/core/futex.hpp"
#include "concur/detail/sync/spin.hpp"
#include "multiprocessing/channel.hpp"
#include "multiprocessing/fd_passing.hpp"
#include "multiprocessing/queue_impl.hpp"
#include "multiprocessing/robust.hpp"

namespace concur::multiprocessing::detail {
namespace {

using concur::detail::futex_wait_until;
using concur::detail::futex_wake;

// How long get() spins for an item before it sleeps: a few microseconds (see spin.hpp).
constexpr int kGetSpins = 4 * concur::detail::sync::kSpins;

constexpr std::uint64_t pad8(std::uint64_t n) { return (n + 7) & ~std::uint64_t{7}; }

std::uint64_t entry_bytes(const Pending& p) {
  return sizeof(EntryHeader) + (p.big() ? 0 : pad8(p.body.size()));
}

// Circular copies: the ring's bytes wrap at `cap`.
void ring_write(std::byte* ring, std::uint64_t cap, std::uint64_t pos, const void* src,
                std::size_t n) {
  const std::uint64_t at = pos % cap;
  const std::size_t first = static_cast<std::size_t>(std::min<std::uint64_t>(n, cap - at));
  std::memcpy(ring + at, src, first);
  if (first < n) std::memcpy(ring, static_cast<const char*>(src) + first, n - first);
}
void ring_read(const std::byte* ring, std::uint64_t cap, std::uint64_t pos, void* dst,
               std::size_t n) {
  const std::uint64_t at = pos % cap;
  const std::size_t first = static_cast<std::size_t>(std::min<std::uint64_t>(n, cap - at));
  std::memcpy(dst, ring + at, first);
  if (first < n) std::memcpy(static_cast<char*>(dst) + first, ring, n - first);
}

struct LockGuard {
  explicit LockGuard(std::atomic<std::uint32_t>& w) : w_(w) {}
  ~LockGuard() {
    if (held) robust_unlock(w_);
  }
  void unlock() {
    robust_unlock(w_);
    held = false;
  }
  std::atomic<std::uint32_t>& w_;
  bool held = true;
};

// Sends `fds` with sequence number `seq` without blocking. false: the socket is full.
bool send_fds(int sock, std::uint64_t seq, std::span<const int> fds) {
  return try_send_with_fds(sock, {reinterpret_cast<const char*>(&seq), sizeof seq}, fds,
                           "sendmsg(queue fds)");
}

// Receives the fd message `seq`, dropping stale ones (older sequence numbers, left by a
// process killed between sending and publishing, or between taking and receiving).
void recv_fds(int sock, std::uint64_t seq, std::uint32_t nfds, FdList& out) {
  for (;;) {
    std::uint64_t got = 0;
    FdList fds;
    const Received r =
        recv_with_fds(sock, &got, sizeof got, &fds, "recvmsg(queue fds)", MSG_DONTWAIT);
    if (r.would_block || r.bytes == 0)
      throw ProcessError("concur::multiprocessing: Queue item lost (its handles are missing)");
    if (r.bytes != sizeof got || got < seq) continue;  // stale: its fds are closed
    if (got > seq || r.truncated || fds.size() != nfds)
      throw ProcessError("concur::multiprocessing: Queue item lost (its handles are missing)");
    out = std::move(fds);
    return;
  }
}

// Under the lock, after publishing `published` entries: how many sleeping readers to wake, now
// counted as woken. A woken reader unregisters only when it runs again (~100 µs on a virtual
// CPU), and a producer publishes hundreds of entries meanwhile: without the count each of them
// would make a FUTEX_WAKE system call for a reader already on its way.
int claim_get_wakes(QueueShared& s, std::size_t published) {
  const std::uint32_t sleeping = s.get_waiters.load(std::memory_order_relaxed);
  const std::uint32_t woken = s.get_woken.load(std::memory_order_relaxed);
  if (sleeping <= woken || published == 0) return 0;
  const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(sleeping - woken, published));
  s.get_woken.store(woken + n, std::memory_order_relaxed);
  return static_cast<int>(n);
}

// Gives back what an item that left the ring (taken, or dropped by the feeder) held in the
// count: the twin of queue.cpp's reserve_slot(). Unbounded, one add to `taken` (see
// ByteQueue::qsize()); bounded, the slot a put() may be waiting for.
void release_slot(QueueShared& s) noexcept {
  if (s.maxsize == 0) {
    s.taken.fetch_add(1, std::memory_order_release);
  } else {
    s.count.fetch_sub(1, std::memory_order_seq_cst);
    if (s.put_waiters.load(std::memory_order_seq_cst) != 0) futex_wake(s.count, 1, true);
  }
}

}  // namespace

QueueImpl::PushResult QueueImpl::push_locked(Pending& p) {
  QueueShared& s = shared();
  const std::uint64_t need = entry_bytes(p);
  if (s.tail - s.head + need > s.capacity) return PushResult::no_room;
  const bool big = p.big();
  const std::size_t nfds = p.fds.size() + (big ? 1 : 0);  // a big item's memfd comes last
  EntryHeader h{p.body.size(), static_cast<std::uint32_t>(nfds), big ? 1u : 0u, 0};
  if (nfds != 0) {
    h.seq = s.fd_seq + 1;
    bool sent;
    if (big) {
      std::vector<int> fds(p.fds.fds());
      fds.push_back(p.body.memfd());
      sent = send_fds(tx.get(), h.seq, fds);
    } else {
      sent = send_fds(tx.get(), h.seq, p.fds.fds());
    }
    if (!sent) return PushResult::socket_full;
    s.fd_seq = h.seq;
    p.fds.clear();  // sent: the receiver has its own copies
  }
  ring_write(ring(), s.capacity, s.tail, &h, sizeof h);
  if (!big) {
    const std::string_view bytes = p.body.view();
    ring_write(ring(), s.capacity, s.tail + sizeof h, bytes.data(), bytes.size());
  }
  s.tail += need;
  s.items_seq.fetch_add(1, std::memory_order_release);
  return PushResult::done;
}

bool QueueImpl::pop_locked(QueueItem& out) {
  QueueShared& s = shared();
  if (s.head == s.tail) return false;
  EntryHeader h;
  ring_read(ring(), s.capacity, s.head, &h, sizeof h);
  const bool big = h.big != 0;
  if (!big && h.size > kBigItem)  // the ring is shared: never trust a size for an allocation
    throw ProcessError("concur::multiprocessing: a Queue entry is corrupt");
  if (!big) {
    std::string& bytes = out.body_.buffer();
    bytes.resize(h.size);
    ring_read(ring(), s.capacity, s.head + sizeof h, bytes.data(), h.size);
    out.body_.set_buffer_size();
  }
  s.head += sizeof h + (big ? 0 : pad8(h.size));
  s.space_seq.fetch_add(1, std::memory_order_release);
  if (h.nfds != 0) recv_fds(rx.get(), h.seq, h.nfds, out.fds_);
  if (big) {
    if (out.fds_.empty()) throw ProcessError("concur::multiprocessing: Queue item lost");
    std::vector<int> fds = out.fds_.release();
    UniqueFd memfd(fds.back());
    fds.pop_back();
    for (int fd : fds) out.fds_.push(fd);
    out.body_ = Payload::adopt(std::move(memfd), h.size);  // checks its seals and size, maps
  }
  return true;
}

QueueImpl::PushResult QueueImpl::try_push(Pending& p) {
  QueueShared& s = shared();
  robust_lock(s.lock, Deadline::never());
  LockGuard g(s.lock);
  const PushResult r = push_locked(p);
  const int wake = claim_get_wakes(s, r == PushResult::done ? 1 : 0);
  g.unlock();
  if (wake != 0) futex_wake(s.items_seq, wake, true);
  return r;
}

std::size_t QueueImpl::push_some(Pending* const* items, std::size_t n) {
  QueueShared& s = shared();
  for (;;) {
    robust_lock(s.lock, Deadline::never());
    LockGuard g(s.lock);
    const std::uint32_t space = s.space_seq.load(std::memory_order_relaxed);
    const PushResult r = push_locked(*items[0]);  // throws: nothing pushed, the caller drops it
    if (r == PushResult::done) {
      std::size_t pushed = 1;
      try {
        while (pushed < n && push_locked(*items[pushed]) == PushResult::done) ++pushed;
      } catch (...) {
        // Not pushed; it comes first in the next call, which reports it.
      }
      const int wake = claim_get_wakes(s, pushed);
      g.unlock();
      if (wake != 0) futex_wake(s.items_seq, wake, true);
      return pushed;
    }
    if (r == PushResult::socket_full) {
      g.unlock();
      pollfd pf{tx.get(), POLLOUT, 0};
      ::poll(&pf, 1, 50);  // readers take fd messages only as they take entries
      continue;
    }
    s.space_waiters.fetch_add(1, std::memory_order_relaxed);
    g.unlock();
    futex_wait_until(s.space_seq, space, Deadline::after(std::chrono::milliseconds(200)), true);
    s.space_waiters.fetch_sub(1, std::memory_order_relaxed);
  }
}

void QueueImpl::uncount_dropped() noexcept {
  QueueShared& s = shared();
  release_slot(s);
  if (s.joinable && s.unfinished.fetch_sub(1) == 1) futex_wake(s.unfinished, INT_MAX, true);
}

bool QueueImpl::get(QueueItem& out, const Deadline& deadline) {
  QueueShared& s = shared();
  bool spun = false;
  for (;;) {
    if (!robust_lock(s.lock, deadline)) return false;
    LockGuard g(s.lock);
    // Feeders sleep until half the ring is free (room for any entry): the take that frees the
    // half wakes them, once. Not every take while they sleep: a woken feeder runs (and
    // unregisters) only ~100 µs later, and a reader meanwhile takes hundreds of entries — a
    // system call each. A feeder registers only when its entry does not fit, i.e. with more
    // than half the ring in use, so the next take that crosses the half is always to come.
    const std::uint64_t half = s.capacity / 2;
    const bool over_half = s.tail - s.head > half;
    // After a take: unlocks, and wakes the feeders if this take freed the half.
    const auto end_take = [&] {
      const bool crossed = over_half && s.tail - s.head <= half &&
                           s.space_waiters.load(std::memory_order_relaxed) != 0;
      g.unlock();
      if (crossed) futex_wake(s.space_seq, INT_MAX, true);
    };
    bool popped;
    try {
      popped = pop_locked(out);
    } catch (...) {  // the entry is gone all the same (its handles were lost)
      end_take();
      throw;
    }
    if (popped) {
      end_take();
      release_slot(s);
      return true;
    }
    if (deadline.expired()) return false;
    const std::uint32_t seq = s.items_seq.load(std::memory_order_relaxed);
    if (!spun) {
      // A running producer publishes its next item within microseconds: a reader that waits
      // for it spinning costs neither side a system call (no futex sleep, no wake-up).
      g.unlock();
      spun = true;
      concur::detail::sync::spin_until(
          [&] { return s.items_seq.load(std::memory_order_relaxed) != seq; }, kGetSpins);
      continue;
    }
    spun = false;
    s.get_waiters.fetch_add(1, std::memory_order_relaxed);
    g.unlock();
    futex_wait_until(s.items_seq, seq, deadline, true);
    // Unregisters under the lock, as publishers count wake-ups under it (claim_get_wakes). If
    // this reader was not the one woken (its deadline passed), the count drops early: a
    // publisher then wakes one reader more than needed, never one fewer.
    robust_lock(s.lock, Deadline::never());
    s.get_waiters.fetch_sub(1, std::memory_order_relaxed);
    if (const std::uint32_t woken = s.get_woken.load(std::memory_order_relaxed); woken != 0)
      s.get_woken.store(woken - 1, std::memory_order_relaxed);
    robust_unlock(s.lock);
  }
}

}  // namespace concur::multiprocessing::detail
