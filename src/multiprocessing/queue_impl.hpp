// Internal: the parts of a multiprocessing queue.
//
// Shared (one memfd, mapped by every handle in every process): a header of futex words and
// a byte ring. An entry is a 24-byte EntryHeader followed by its bytes (padded to 8) — or,
// for an item over kBigItem bytes, by nothing: the bytes are in a sealed memfd (a Payload)
// that travels as the entry's last fd. Fds travel through a SOCK_SEQPACKET socketpair beside the
// ring: one message per entry that has fds, carrying the entry's sequence number, so a message left
// behind by a process killed mid-put (or mid-get) is recognised as stale and dropped.
//
// Invariants, all under the robust ring lock: head <= tail <= head + capacity; an entry is
// visible once `tail` moves past it, gone once `head` does. A process killed while holding
// the lock leaves at most its own entry unpublished or lost: the next locker takes over the
// lock and the ring is consistent (indexes move only after the bytes are copied).
//
// Per process: QueueImpl, the feeder buffer ("backlog") and its thread (queue_feeder.cpp).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "concur/detail/core/deadline.hpp"
#include "concur/detail/core/fd.hpp"
#include "concur/multiprocessing/queue.hpp"
#include "concur/multiprocessing/shared_memory.hpp"
#include "multiprocessing/queue_exit.hpp"

namespace concur::multiprocessing::detail {

using concur::detail::Deadline;
using concur::detail::UniqueFd;

inline constexpr std::uint32_t kQueueMagic = 0x32305143;  // "CQ02"
inline constexpr std::size_t kRingCapacity = 256 * 1024;
inline constexpr std::size_t kBigItem = Payload::spill_threshold;  // larger: in a memfd
inline constexpr std::size_t kMaxItemFds = 250;                    // SCM_MAX_FD is 253
inline constexpr std::size_t kLine = 64;                           // a cache line

// The words are grouped by who writes them, one cache line per group: a writer and a process
// spinning on or updating another group's words then do not take the same line from each other
// on every item (with a producer and a reader on two cores, each shared line costs a transfer).
struct QueueShared {
  // Read only after creation.
  std::uint32_t magic;
  std::uint32_t joinable;
  std::uint64_t maxsize;  // 0: unbounded
  std::uint64_t capacity;
  // The lock and what it guards: whoever takes the lock brings these in with it.
  alignas(kLine) std::atomic<std::uint32_t> lock;  // robust (robust.hpp)
  std::uint64_t head, tail;                        // byte positions (mod capacity), under lock
  std::uint64_t fd_seq;                            // last fd message sent, under lock
  // Publishers' line: readers spin on items_seq; a publisher reads get_waiters after a push.
  alignas(kLine) std::atomic<std::uint32_t> items_seq;  // +1 per published entry
  std::atomic<std::uint32_t> get_waiters;               // get() sleeping on items_seq
  std::atomic<std::uint32_t> get_woken;  // of those, woken and not yet unregistered (under lock)
  // Readers' line.
  alignas(kLine) std::atomic<std::uint32_t> space_seq;  // +1 per taken entry
  std::atomic<std::uint32_t> space_waiters;             // feeders sleeping on space_seq
  // Unbounded queue: items got (or dropped) so far; qsize() is count - taken (mod 2^32). A
  // bounded queue decrements count instead, which put() waits on.
  std::atomic<std::uint32_t> taken;
  // put()'s counters.
  alignas(kLine) std::atomic<std::uint32_t> count;       // items put (bounded: and not yet got)
  std::atomic<std::uint32_t> put_waiters;                // put() waiting for count < maxsize
  alignas(kLine) std::atomic<std::uint32_t> unfinished;  // JoinableQueue: put, not task_done()
};

inline constexpr std::size_t kRingOffset = 512;
static_assert(sizeof(QueueShared) <= kRingOffset);

struct EntryHeader {
  std::uint64_t size;  // the item's byte count
  std::uint32_t nfds;  // fds of the item's handles (+1 for the memfd of a big item)
  std::uint32_t big;   // 1: the bytes are in the last fd (a memfd)
  std::uint64_t seq;   // fd message sequence number (0: no fds)
};

// A feeder waits for room only with more than half the ring in use, and is woken by the take
// that frees the half (QueueImpl::get): so any entry must fit in half the ring.
static_assert(sizeof(EntryHeader) + kBigItem <= kRingCapacity / 2);

/// An item waiting in this process's buffer for room in the ring.
struct Pending {
  Payload body;  // finished; spilled (a big item): its memfd travels as the entry's last fd
  FdList fds;
  bool big() const { return body.spilled(); }
};

struct QueueImpl : std::enable_shared_from_this<QueueImpl> {
  QueueImpl(SharedMemory mem, UniqueFd tx, UniqueFd rx);
  ~QueueImpl();

  QueueShared& shared() const {
    return *reinterpret_cast<QueueShared*>(const_cast<std::byte*>(mem.data()));
  }
  std::byte* ring() const { return const_cast<std::byte*>(mem.data()) + kRingOffset; }

  // Ring operations (queue_ring.cpp). `push_locked` and `pop_locked` run under the ring lock.
  enum class PushResult { done, no_room, socket_full };
  PushResult push_locked(Pending& p);
  bool pop_locked(QueueItem& out);
  /// One push attempt: takes the lock, pushes, wakes a reader. Never sleeps (beyond the lock).
  PushResult try_push(Pending& p);
  /// Pushes the first of `items` (sleeping while the ring or the fd socket is full), then as
  /// many of the others as fit, under one taking of the lock. Returns how many it pushed (at
  /// least one); throws what pushing the first one threw. Used by the feeder.
  std::size_t push_some(Pending* const* items, std::size_t n);
  /// An item put() counted will never reach the ring (put() failed to buffer it, or the
  /// feeder dropped it): uncounts it, waking a bounded put() and a join() that wait for it.
  void uncount_dropped() noexcept;
  bool get(QueueItem& out, const Deadline& deadline);

  // Per-process buffer and feeder (queue_feeder.cpp).
  void put(Pending p);
  void feed();
  void close();
  void join_thread();
  /// At exit: waits for the feeder unless cancel_join_thread() was called.
  void flush_at_exit();
  /// The last user handle of this process is gone: joins an idle feeder (so the fds close
  /// now), or leaves a busy one to finish on its own (it holds a reference).
  void release_user();

  SharedMemory mem;
  UniqueFd tx, rx;
  const pid_t pid;

  std::mutex m;
  std::condition_variable drained;
  std::deque<Pending> backlog;
  // backlog.size(), read without `m` by put(): 0 means every item this process put is in the
  // ring, so the next one may go straight there. Written under `m`; the feeder lowers it only
  // after the items are in the ring (release), put() reads it with acquire.
  std::atomic<std::size_t> buffered{0};
  std::thread feeder;
  // The rest under `m`. feeder_running: items are buffered and not yet in the ring (join_thread()
  // and exit wait for it to clear). feeder_alive: the thread runs and looks at the buffer again
  // before it ends — after emptying it, it lingers (waits on `wake`) for more work, so a producer
  // that overflows the ring again and again does not start and end a thread each time.
  std::condition_variable wake;
  bool feeder_running = false;
  bool feeder_alive = false;
  bool no_users = false;            // the last user handle is gone: no more put() in this process
  bool exit_flushed = false;        // flush_at_exit() ran: no more lingering
  std::atomic<bool> closed{false};  // set under `m`; read without it by put() and get()
  bool cancel_join = false;
};

}  // namespace concur::multiprocessing::detail
