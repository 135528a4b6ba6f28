// The shared ring of a multiprocessing queue: push (with the right to push,
// queue_push_right.hpp), pop under the get lock, the fd side channel, the counts, and the futex
// hand-offs (queue_impl.hpp says how the two ends meet and how sleepers are woken without a lost
// wake-up, a system call or a fence per item).
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
#include "multiprocessing/asymmetric_fence.hpp"
#include "multiprocessing/channel.hpp"
#include "multiprocessing/fd_passing.hpp"
#include "multiprocessing/queue_impl.hpp"
#include "multiprocessing/queue_push_right.hpp"
#include "multiprocessing/robust.hpp"

namespace concur::multiprocessing::detail {
namespace {

using concur::detail::futex_wait_until;
using concur::detail::futex_wake;

// How long get() spins for an item before it sleeps: a few microseconds (see spin.hpp).
constexpr int kGetSpins = 4 * concur::detail::sync::kSpins;
// While spinning, a reader looks at `tail` once per this many pauses (see get()).
constexpr int kPollGap = 16;
// The longest a reader sleeps before it looks at the ring again (see get()).
constexpr auto kSleepSlice = std::chrono::milliseconds(100);

constexpr std::uint64_t pad8(std::uint64_t n) { return (n + 7) & ~std::uint64_t{7}; }

std::uint64_t entry_bytes(const Pending& p) {
  return sizeof(EntryHeader) + (p.big() ? 0 : pad8(p.body.size()));
}

// Circular copies: the ring's bytes wrap at its capacity, a power of two (a mask, not a division).
static_assert((kRingCapacity & (kRingCapacity - 1)) == 0);
constexpr std::uint64_t kCap = kRingCapacity;
void ring_write(std::byte* ring, std::uint64_t pos, const void* src, std::size_t n) {
  const std::uint64_t at = pos & (kCap - 1);
  const std::size_t first = static_cast<std::size_t>(std::min<std::uint64_t>(n, kCap - at));
  std::memcpy(ring + at, src, first);
  if (first < n) std::memcpy(ring, static_cast<const char*>(src) + first, n - first);
}
void ring_read(const std::byte* ring, std::uint64_t pos, void* dst, std::size_t n) {
  const std::uint64_t at = pos & (kCap - 1);
  const std::size_t first = static_cast<std::size_t>(std::min<std::uint64_t>(n, kCap - at));
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

// With the right to push, after publishing `published` entries: how many readers to wake, now
// answered. Each registration of a reader going to sleep is answered once; a reader that
// registered and then found an item costs one wake-up too many, never one too few.
int answer_get_regs(QueueShared& s, std::size_t published, bool light) {
  if (published == 0) return 0;
  light_fence(light);  // `tail` is stored: now look for sleepers (a reader fences heavily)
  const std::uint32_t regs = s.get_regs.load(std::memory_order_relaxed);
  if (regs == s.get_gen) return 0;
  const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(regs - s.get_gen, published));
  s.get_gen += n;
  s.items_seq.fetch_add(1, std::memory_order_release);
  return static_cast<int>(n);
}

// Under the get lock, after a take moved `head`: true if sleeping feeders are to be woken, now
// answered. Only a ring at most half full answers them: a feeder sleeps only when its entry (at
// most half the ring) does not fit, so earlier it would wake to find no room.
bool answer_space_regs(QueueShared& s, std::uint64_t head, bool light) {
  light_fence(light);  // `head` is stored: now look for sleepers (a feeder fences heavily)
  const std::uint32_t regs = s.space_regs.load(std::memory_order_relaxed);
  if (regs == s.space_gen) return false;
  if (s.tail.load(std::memory_order_acquire) - head > kCap / 2) return false;
  s.space_gen = regs;
  s.space_seq.fetch_add(1, std::memory_order_release);
  return true;
}

// Room for `need` bytes at `tail`, with the right to push, from the cached head first.
bool has_room(QueueShared& s, std::uint64_t tail, std::uint64_t need) {
  if (tail - s.head_seen + need <= kCap) return true;
  s.head_seen = s.head.load(std::memory_order_acquire);
  return tail - s.head_seen + need <= kCap;
}

// A bounded queue's slot goes back to put().
void give_slot(QueueShared& s) noexcept {
  s.count.fetch_sub(1, std::memory_order_seq_cst);
  if (s.put_waiters.load(std::memory_order_seq_cst) != 0) futex_wake(s.count, 1, true);
}

// A JoinableQueue item that will never be got is finished all the same.
void drop_unfinished(QueueShared& s) noexcept {
  if (s.joinable && s.unfinished.fetch_sub(1) == 1) futex_wake(s.unfinished, INT_MAX, true);
}

}  // namespace

QueueImpl::PushResult QueueImpl::push_locked(Pending& p) {
  QueueShared& s = shared();
  const std::uint64_t need = entry_bytes(p);
  // Only pushers move it; acquire: the bytes of the pusher before us (another thread's lease).
  const std::uint64_t tail = s.tail.load(std::memory_order_acquire);
  if (!has_room(s, tail, need)) return PushResult::no_room;
  const bool big = p.big();
  const std::size_t nfds = p.fds.size() + (big ? 1 : 0);  // a big item's memfd comes last
  EntryHeader h{p.body.size(), static_cast<std::uint32_t>(nfds), big ? 1u : 0u, 0};
  if (nfds != 0) {
    // The number is used up before the message goes: a process killed between the two leaves a
    // gap, never two messages with one number.
    h.seq = ++s.fd_seq;
    bool sent;
    if (big) {
      std::vector<int> fds(p.fds.fds());
      fds.push_back(p.body.memfd());
      sent = send_fds(tx.get(), h.seq, fds);
    } else {
      sent = send_fds(tx.get(), h.seq, p.fds.fds());
    }
    if (!sent) return PushResult::socket_full;
    p.fds.clear();  // sent: the receiver has its own copies
  }
  ring_write(ring(), tail, &h, sizeof h);
  if (!big) {
    const std::string_view bytes = p.body.view();
    ring_write(ring(), tail + sizeof h, bytes.data(), bytes.size());
  }
  s.tail.store(tail + need, std::memory_order_release);  // publishes; then answer_get_regs()
  if (s.maxsize == 0)  // only pushers write it: no locked instruction
    s.pushed.store(s.pushed.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  return PushResult::done;
}

bool QueueImpl::pop_locked(QueueItem& out, bool& moved) {
  QueueShared& s = shared();
  const std::uint64_t head = s.head.load(std::memory_order_relaxed);  // only we move it
  if (head == s.tail_seen) {
    s.tail_seen = s.tail.load(std::memory_order_acquire);
    if (head == s.tail_seen) return false;
  }
  EntryHeader h;
  ring_read(ring(), head, &h, sizeof h);
  const bool big = h.big != 0;
  const std::uint64_t used = sizeof h + (big ? 0 : pad8(h.size));
  // The ring is shared: never trust a size for an allocation, nor an entry past `tail`.
  if ((!big && h.size > kBigItem) || used > s.tail_seen - head)
    throw ProcessError("concur::multiprocessing: a Queue entry is corrupt");
  if (!big) {
    std::string& bytes = out.body_.buffer();
    bytes.resize(h.size);
    ring_read(ring(), head + sizeof h, bytes.data(), h.size);
    out.body_.set_buffer_size();
  }
  s.head.store(head + used, std::memory_order_release);  // frees it; then answer_space_regs()
  moved = true;
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
  const bool light = enable_light_fences();
  PushRight right(s, light);
  PushResult r = push_locked(p);
  if (r == PushResult::no_room) {
    // A reader that is taking makes room within microseconds: cheaper to wait for it than to
    // hand the item to the feeder. A ring nobody reads costs this spin once (then put() buffers).
    concur::detail::sync::spin_until(
        [&] { return has_room(s, s.tail.load(std::memory_order_relaxed), entry_bytes(p)); },
        kGetSpins, 0);
    r = push_locked(p);
  }
  const int readers = answer_get_regs(s, r == PushResult::done ? 1 : 0, light);
  right.release();
  if (readers != 0) futex_wake(s.items_seq, readers, true);
  return r;
}

std::size_t QueueImpl::push_some(Pending* const* items, std::size_t n) {
  QueueShared& s = shared();
  const bool light = enable_light_fences();
  for (;;) {
    PushRight right(s, light);
    const PushResult r = push_locked(*items[0]);  // throws: nothing pushed, the caller drops it
    if (r == PushResult::done) {
      std::size_t pushed = 1;
      try {
        while (pushed < n && push_locked(*items[pushed]) == PushResult::done) ++pushed;
      } catch (...) {
        // Not pushed; it comes first in the next call, which reports it.
      }
      const int readers = answer_get_regs(s, pushed, light);
      right.release();
      if (readers != 0) futex_wake(s.items_seq, readers, true);
      return pushed;
    }
    if (r == PushResult::socket_full) {
      right.release();
      pollfd pf{tx.get(), POLLOUT, 0};
      ::poll(&pf, 1, 50);  // readers take fd messages only as they take entries
      continue;
    }
    // No room: register, fence, then look at `head` again (a take in between either sees the
    // registration or is seen here). The timeout is a safety net only.
    const std::uint32_t seq = s.space_seq.load(std::memory_order_acquire);
    s.space_regs.fetch_add(1, std::memory_order_relaxed);
    heavy_fence();
    const bool room = has_room(s, s.tail.load(std::memory_order_relaxed), entry_bytes(*items[0]));
    right.release();
    if (!room)
      futex_wait_until(s.space_seq, seq, Deadline::after(std::chrono::milliseconds(200)), true);
  }
}

void QueueImpl::unreserve() noexcept {
  QueueShared& s = shared();
  if (s.maxsize != 0) give_slot(s);
  drop_unfinished(s);
}

void QueueImpl::release_slot() noexcept {
  QueueShared& s = shared();
  if (s.maxsize == 0)
    s.taken.fetch_add(1, std::memory_order_release);
  else
    give_slot(s);
}

bool QueueImpl::get(QueueItem& out, const Deadline& deadline) {
  QueueShared& s = shared();
  const bool light = enable_light_fences();
  bool spun = false;
  for (;;) {
    if (!robust_lock(s.get_lock, deadline)) return false;
    LockGuard g(s.get_lock);
    bool moved = false;
    bool popped;
    try {
      popped = pop_locked(out, moved);
    } catch (...) {
      const bool feeders =
          moved && answer_space_regs(s, s.head.load(std::memory_order_relaxed), light);
      g.unlock();
      if (feeders) futex_wake(s.space_seq, INT_MAX, true);
      if (moved) {  // the entry is gone all the same (its handles were lost)
        release_slot();
        drop_unfinished(s);
      }
      throw;
    }
    if (popped) {
      const bool feeders = answer_space_regs(s, s.head.load(std::memory_order_relaxed), light);
      g.unlock();
      if (feeders) futex_wake(s.space_seq, INT_MAX, true);
      release_slot();
      return true;
    }
    const std::uint64_t head = s.head.load(std::memory_order_relaxed);  // == tail just now
    g.unlock();
    if (deadline.expired()) return false;
    const auto published = [&] { return s.tail.load(std::memory_order_acquire) != head; };
    if (!spun) {
      // A running producer publishes its next item within microseconds: a reader that waits
      // for it spinning costs neither side a system call (no futex sleep, no wake-up). It looks
      // at `tail` only every kPollGap pauses: looking after every pause, it took the line holding
      // `tail` from the producer on every item (the two in lockstep, a ~100 ns transfer each);
      // looking less often lets a few items gather, then taken in one sweep (measured with one
      // producer and one reader process: median 25.5 -> 19.6 ms for 10^5 items).
      spun = true;
      bool got = published();
      for (int i = 1; !got && i <= kGetSpins; ++i) {
        concur::detail::cpu_relax();
        if (i % kPollGap == 0) got = published();
      }
      if (!got) concur::detail::sync::spin_until(published, 0);  // then yields
      continue;
    }
    spun = false;
    // Register, fence, then look at `tail` again (see queue_impl.hpp): either the publisher
    // sees the registration and wakes us, or we see its item here.
    const std::uint32_t seq = s.items_seq.load(std::memory_order_acquire);
    s.get_regs.fetch_add(1, std::memory_order_relaxed);
    heavy_fence();
    if (published()) continue;
    // In slices: a pusher killed between answering the registration and its FUTEX_WAKE must not
    // leave this reader asleep for good (it looks again, and registers again, each slice).
    const Deadline slice = Deadline::after(kSleepSlice);
    futex_wait_until(
        s.items_seq, seq,
        deadline.is_never() || slice.time_point() < deadline.time_point() ? slice : deadline, true);
  }
}

}  // namespace concur::multiprocessing::detail
