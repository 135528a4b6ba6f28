// Internal: the parts of a multiprocessing queue.
//
// Shared (one memfd, mapped by every handle in every process): a header of futex words and
// a byte ring. An entry is a 24-byte EntryHeader followed by its bytes (padded to 8) — or,
// for an item over kBigItem bytes, by nothing: the bytes are in a sealed memfd (a Payload)
// that travels as the entry's last fd. Fds travel through a SOCK_SEQPACKET socketpair beside the
// ring: one message per entry that has fds, carrying the entry's sequence number, so a message left
// behind by a process killed mid-put (or mid-get) is recognised as stale and dropped.
//
// The two ends are apart (a two-lock queue): pushing is guarded by the put side, reading at `head`
// by the robust `get_lock`. A producer and a reader never wait for each other: they meet only in
// `tail` (published by the producer, release) and `head` (moved by the reader, release).
// Invariant: head <= tail <= head + capacity; an entry is visible once `tail` moves past it, gone
// once `head` does. A process killed while pushing or reading leaves at most its own entry
// unpublished (bytes past `tail`) or lost (`head` moved, its fd message left behind): the next
// pusher or reader takes over and the ring is consistent, as an index moves only after its entry's
// bytes are copied.
//
// The put side has two modes (`lease`). Shared: every push takes the robust `put_lock`. Leased:
// one thread — the one that pushed kLeaseAfter times in a row — pushes without a lock: it marks
// itself `busy`, checks that it still holds the lease, pushes, clears `busy`. Any other pusher
// revokes the lease (back to shared mode: a CAS marks it revoked, a heavy fence, a wait for `busy`
// to clear — a dead holder's is cleared for it — then shared mode; a pusher meeting a revocation
// under way completes it, so no one pushes under put_lock while a leased push may still run). Why:
// on x86 every locked instruction waits for the stores before it to reach the cache, and a
// producer's stores (the entry, `tail`) go to lines the reader on the other core has just read —
// one cache-line transfer (~100 ns on these machines) spent waiting per item. The leased pusher
// makes no locked instruction, so its stores stream.
//
// Sleeping without lost wake-ups and without a system call or fence per item: a reader that finds
// the ring empty counts itself in `get_regs`, makes a heavy fence and looks at `tail` again before
// it sleeps on `items_seq`; a producer publishes `tail`, makes a light fence and reads `get_regs`:
// one of the two sees the other (asymmetric_fence.hpp). A producer answers each registration once
// (`get_gen`: bump `items_seq`, wake one), so a reader that sleeps costs one wake-up, and nobody
// sleeping costs nothing. Feeders waiting for room mirror it (`space_regs`, `space_gen` under the
// get lock, `space_seq`), answered only by a take that leaves the ring at most half full: any
// entry fits then (a feeder that woke earlier would find no room and sleep again).
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
#include <new>
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

inline constexpr std::uint32_t kQueueMagic = 0x33305143;  // "CQ03"
inline constexpr std::size_t kRingCapacity = 256 * 1024;
inline constexpr std::size_t kBigItem = Payload::spill_threshold;  // larger: in a memfd
inline constexpr std::size_t kMaxItemFds = 250;                    // SCM_MAX_FD is 253
inline constexpr std::size_t kLine = 64;                           // a cache line
inline constexpr std::uint64_t kSharedMode = 0;  // `lease` when every push takes put_lock
inline constexpr std::uint64_t kRevoking = std::uint64_t{1} << 63;  // `lease` | it: being revoked

// The words are grouped by who writes them, one cache line per group: a writer and a process
// spinning on or updating another group's words then do not take the same line from each other
// on every item (with a producer and a reader on two cores, each shared line costs a transfer).
// With one producer and one reader, each lock's line stays in its owner's cache.
struct QueueShared {
  // Read only after creation.
  std::uint32_t magic;
  std::uint32_t joinable;
  std::uint64_t maxsize;  // 0: unbounded
  std::uint64_t capacity;
  // The put side: who may push, and what only the pusher of the moment writes.
  alignas(kLine) std::atomic<std::uint64_t> lease;  // kSharedMode, or a thread id (| kRevoking)
  std::atomic<std::uint64_t> busy;                  // the leased pusher now pushing, or 0
  std::atomic<std::uint32_t> put_lock;              // robust (robust.hpp); shared mode
  std::uint32_t get_gen;                            // get registrations answered so far
  std::uint64_t fd_seq;                             // last fd message sequence number given out
  std::uint64_t head_seen;   // a recent `head` (<= head): room is computed from it first
  std::uint64_t run_owner;   // shared mode: the thread that pushed last, and how many times in
  std::uint32_t run_length;  // a row (it takes the lease after kLeaseAfter)
  // Unbounded queue: items pushed into the ring so far (qsize() is pushed + buffered - taken).
  std::atomic<std::uint32_t> pushed;
  // Published by the pusher; readers spin on tail.
  alignas(kLine) std::atomic<std::uint64_t> tail;  // byte position (mod capacity)
  std::atomic<std::uint32_t> items_seq;            // futex word: bumped to wake readers
  // Readers' lock and what it guards.
  alignas(kLine) std::atomic<std::uint32_t> get_lock;  // robust
  std::uint32_t space_gen;                             // space registrations answered so far
  std::uint64_t tail_seen;  // a recent `tail` (<= tail): entries are known up to it
  // Moved by the get-lock holder; a producer reads it when its cached copy shows no room.
  alignas(kLine) std::atomic<std::uint64_t> head;
  std::atomic<std::uint32_t> space_seq;  // futex word: bumped to wake feeders
  // Unbounded queue: items got (or lost after their push) so far. A bounded queue decrements
  // `count` instead, which put() waits on.
  std::atomic<std::uint32_t> taken;
  // Registrations of sleepers (readers for items, feeders for room); written only to sleep.
  alignas(kLine) std::atomic<std::uint32_t> get_regs;
  std::atomic<std::uint32_t> space_regs;
  // put()'s counters.
  alignas(kLine) std::atomic<std::uint32_t> count;  // bounded: items put and not yet got
  std::atomic<std::uint32_t> put_waiters;           // put() waiting for count < maxsize
  std::atomic<std::uint32_t> buffered;  // unbounded: items in some process's feeder buffer
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
    return *std::launder(reinterpret_cast<QueueShared*>(const_cast<std::byte*>(mem.data())));
  }
  std::byte* ring() const { return const_cast<std::byte*>(mem.data()) + kRingOffset; }

  // Ring operations (queue_ring.cpp). `push_locked` runs with the right to push (the lease or
  // put_lock), `pop_locked` under the get lock.
  enum class PushResult { done, no_room, socket_full };
  PushResult push_locked(Pending& p);
  /// Takes the entry at `head` into `out`; false if the ring is empty. Sets `moved` once `head`
  /// has moved past the entry: if it then throws (the entry's handles are lost), the item is gone.
  bool pop_locked(QueueItem& out, bool& moved);
  /// One push attempt (no waiting for room beyond a brief spin while a reader is taking): pushes
  /// and wakes a reader. put()'s path straight into the ring.
  PushResult try_push(Pending& p);
  /// Pushes the first of `items` (sleeping while the ring or the fd socket is full), then as
  /// many of the others as fit, with one taking of the right to push. Returns how many it pushed
  /// (at least one); throws what pushing the first one threw. Used by the feeder.
  std::size_t push_some(Pending* const* items, std::size_t n);
  /// put() reserved a slot (bounded) and counted the item unfinished (joinable) for an item that
  /// will never be got (put() failed before buffering it, or the feeder dropped it): gives both
  /// back, waking a bounded put() and a join() that wait for them.
  void unreserve() noexcept;
  /// An item that left the ring (taken, or lost after its push): gives its slot back.
  void release_slot() noexcept;
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
  // after the items are in the ring (release), put() reads it with acquire. (Shared
  // QueueShared::buffered counts the items of every process's buffer, for qsize().)
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
