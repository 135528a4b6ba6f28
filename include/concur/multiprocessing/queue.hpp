// concur/multiprocessing/queue.hpp — Python's multiprocessing Queue, JoinableQueue and
// SimpleQueue: FIFO queues shared by processes.
//
//   namespace mp = concur::multiprocessing;
//   mp::Queue<std::string> q;
//   mp::Process p(+[](mp::Queue<std::string> q) { q.put("hello"); }, q);
//   p.start();
//   std::string s = q.get();              // "hello"
//   p.join();
//
// How it works: items are serialized by put() (in the caller's thread, so a bad item throws
// there) and land in a ring buffer in shared memory (memfd + MAP_SHARED) that every handle
// maps; a robust process-shared lock guards it. put() never waits for readers: when the ring
// is full, the item joins this process's buffer and a feeder thread moves it into the ring as
// readers make room (Python's feeder thread, started on demand). Items larger than 64 KiB
// travel in their own sealed memfd (written once, mapped by the reader: the pool's Payload),
// never through a pipe.
// Items may carry handles (SharedArray, SharedMemory, Value, Connection, other queues, the
// synchronisation classes): their fds travel beside the item (SCM_RIGHTS).
//
// Python's rules:
// - put(item, block, timeout) waits only for `maxsize` (queue::Full when no room in time);
//   get(block, timeout) throws queue::Empty. `Empty`/`Full` are concur::queue's types.
//   A negative timeout is std::invalid_argument (Python's ValueError).
// - close(): this process puts no more; the feeder flushes what is buffered, then ends.
//   put()/get() on a closed handle throw std::invalid_argument (ValueError). close() is
//   per process, as Python's: other processes' handles keep working.
// - join_thread() (after close(), else std::logic_error) waits until the buffer is flushed.
//   At process exit (exit() or return from main, and the end of a Process target or of a pool
//   worker) buffered items are flushed first, unless cancel_join_thread() was called — then
//   they may be lost. As in Python, joining a process that still has buffered items for a
//   queue nobody reads waits for a reader.
// - qsize() counts items put and not yet got (buffered ones included); empty()/full() follow
//   it. They are snapshots, as in Python.
// - JoinableQueue: task_done() once per item got; join() waits, in any process, until every
//   item put has been task_done(). task_done() too often: std::invalid_argument (ValueError).
// - SimpleQueue: put(), get(), empty(), close(); unbounded, without timeouts.
// Beyond Python: a process killed while it held the queue's lock does not wedge the queue
// (the lock is robust), and handles (fds) travel inside items.
//
// Copies of a queue object in one process share its state (and its close()); a handle passed
// to a Process or a task is the same queue in that process.
// Throws: std::system_error on OS failures (memfd, mmap, socket), ProcessError if an item's
// handles exceed 250 fds or an item was lost by a reader killed mid-get.
// Thread safety: every member is safe from any thread of any process holding a handle.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "concur/duration.hpp"
#include "concur/multiprocessing/detail/codec.hpp"
#include "concur/multiprocessing/detail/payload.hpp"
#include "concur/multiprocessing/detail/wire.hpp"
#include "concur/multiprocessing/errors.hpp"
#include "concur/multiprocessing/shared_memory.hpp"
#include "concur/queue.hpp"

namespace concur::multiprocessing {

/// Python's multiprocessing.queues.Empty/Full are the queue module's classes: ours are too.
using Empty = concur::queue::Empty;
using Full = concur::queue::Full;

namespace detail {

struct QueueImpl;

/// One item received from a ByteQueue: its bytes (a Payload: in memory, or a sealed memfd
/// mapped read-only) and the fds that travelled with it (owned; closed with the item).
class QueueItem {
 public:
  QueueItem() = default;
  QueueItem(const QueueItem&) = delete;
  QueueItem& operator=(const QueueItem&) = delete;
  ~QueueItem();
  std::string_view bytes() const { return body_.view(); }
  const FdList& fds() const { return fds_; }
  void reset();

 private:
  friend struct QueueImpl;
  Payload body_;
  FdList fds_;
};

/// The untyped queue all three public queues share: whole byte messages with fds.
class ByteQueue {
 public:
  /// A new queue (maxsize 0: unbounded; joinable: counts unfinished tasks). Throws
  /// std::system_error.
  ByteQueue(std::size_t maxsize, bool joinable);
  /// An empty handle, to be loaded.
  explicit ByteQueue(std::nullptr_t) {}

  /// Puts one item (`body` finished by encode_item). Throws Full, std::invalid_argument
  /// (closed, negative timeout).
  void put(Payload body, FdList fds, bool block, std::optional<Duration> timeout);
  /// False when no item came in time. Throws std::invalid_argument (closed, negative timeout).
  bool get(QueueItem& item, bool block, std::optional<Duration> timeout);
  std::size_t qsize() const;
  std::size_t maxsize() const;
  void close();
  void join_thread();
  void cancel_join_thread();
  void task_done();
  void join();

  template <class Archive>
  void save(Archive& ar) const {
    ar(mem_(), attach_fd(tx_()), attach_fd(rx_()));
  }
  template <class Archive>
  void load(Archive& ar) {
    SharedMemory mem;
    std::uint32_t tx = 0, rx = 0;
    ar(mem, tx, rx);
    adopt_(std::move(mem), attached_fd(tx), attached_fd(rx));
  }

 private:
  const SharedMemory& mem_() const;
  int tx_() const;
  int rx_() const;
  void adopt_(SharedMemory mem, int tx, int rx);
  QueueImpl& impl_() const;
  std::shared_ptr<QueueImpl> impl_ptr_;
};

/// Serializes `item` (with its handles' fds) for a ByteQueue as the pool's codec encodes one
/// task item: a number is its native bytes (no archive and stream set up per item), anything
/// else goes through cereal. Past Payload's threshold (64 KiB) the bytes go straight into a
/// sealed memfd, which travels instead of them.
template <class T>
void encode_item(const T& item, Payload& body, FdList& fds) {
  ItemWriter<T> w(body, fds);
  w.put(item);
  w.flush();
  body.finish();
}
/// Throws ProcessError (or cereal::Exception) for bytes that are not a T.
template <class T>
T decode_item(const QueueItem& item) {
  return ItemReader<T>(item.bytes(), item.fds(), 1).get();
}

}  // namespace detail

/// A process-safe FIFO queue of T (anything a task argument may be, handles included).
template <class T>
class Queue {
 public:
  /// maxsize 0: unbounded. Throws std::system_error if the shared memory or the socket
  /// cannot be made.
  explicit Queue(std::size_t maxsize = 0) : q_(maxsize, false) {}

  /// Adds `item`; waits for room only if the queue is bounded and full (block = false or an
  /// expired timeout: queue::Full). Never waits for a reader. Throws std::invalid_argument if
  /// this handle was closed or the timeout is negative.
  void put(T item, bool block = true, std::optional<Duration> timeout = {}) {
    detail::Payload body;
    detail::FdList fds;
    detail::encode_item(item, body, fds);
    q_.put(std::move(body), std::move(fds), block, timeout);
  }
  /// The oldest item; waits (at most `timeout`) unless block = false. Throws queue::Empty,
  /// std::invalid_argument (closed, negative timeout).
  T get(bool block = true, std::optional<Duration> timeout = {}) {
    auto v = get_(block, timeout);
    if (!v) throw Empty();
    return std::move(*v);
  }
  /// put(item, false): throws queue::Full at once if a bounded queue is full.
  void put_nowait(T item) { put(std::move(item), false); }
  /// get(false): throws queue::Empty at once if no item is there.
  T get_nowait() { return get(false); }
  /// put() that returns false instead of throwing Full (no timeout: do not wait).
  bool try_put(T item, std::optional<Duration> timeout = {}) {
    try {
      put(std::move(item), timeout.has_value(), timeout);
      return true;
    } catch (const Full&) {
      return false;
    }
  }
  /// get() that returns nullopt instead of throwing Empty (no timeout: do not wait).
  std::optional<T> try_get(std::optional<Duration> timeout = {}) {
    return get_(timeout.has_value(), timeout);
  }
  /// Items put and not yet got, in every process (a snapshot).
  std::size_t qsize() const { return q_.qsize(); }
  /// A snapshot: qsize() == 0 (another process may change it right after).
  bool empty() const { return qsize() == 0; }
  /// A snapshot: bounded and holding maxsize() items.
  bool full() const { return q_.maxsize() != 0 && qsize() >= q_.maxsize(); }
  /// The bound given to the constructor (0: unbounded).
  std::size_t maxsize() const { return q_.maxsize(); }
  /// This process will put no more; the feeder flushes its buffer, then ends.
  void close() { q_.close(); }
  /// After close(): waits until the feeder flushed this process's buffer. std::logic_error
  /// if not closed.
  void join_thread() { q_.join_thread(); }
  /// Buffered items are not waited for at exit (nor by join_thread()); they may be lost.
  void cancel_join_thread() { q_.cancel_join_thread(); }

  /// Serialisation (cereal) of the handle: its fds travel (SCM_RIGHTS), the receiver uses the
  /// same queue.
  template <class Archive>
  void serialize(Archive& ar) {
    ar(q_);
  }

 protected:
  /// For JoinableQueue: a handle to no queue, assigned by the derived constructor.
  explicit Queue(std::nullptr_t) : q_(nullptr) {}
  /// The shared queue of encoded items this handle refers to.
  detail::ByteQueue q_;

 private:
  std::optional<T> get_(bool block, std::optional<Duration> timeout) {
    detail::QueueItem item;
    if (!q_.get(item, block, timeout)) return std::nullopt;
    return detail::decode_item<T>(item);
  }
};

/// A Queue whose consumers report each item done; join() waits for all, in any process.
template <class T>
class JoinableQueue : public Queue<T> {
 public:
  /// maxsize 0: unbounded. Throws std::system_error if the shared memory or the socket cannot
  /// be made.
  explicit JoinableQueue(std::size_t maxsize = 0) : Queue<T>(nullptr) {
    this->q_ = detail::ByteQueue(maxsize, true);
  }
  /// One item got earlier is done. More calls than items put: std::invalid_argument.
  void task_done() { this->q_.task_done(); }
  /// Waits until every item put (by any process) has been task_done().
  void join() { this->q_.join(); }
};

/// Python's SimpleQueue: unbounded, put() never waits, get() waits for an item.
template <class T>
class SimpleQueue {
 public:
  /// A new, empty queue. Throws std::system_error if its shared memory or socket cannot be made.
  SimpleQueue() : q_(0, false) {}
  /// Adds `item`; never waits (the queue is unbounded). Throws std::invalid_argument after
  /// close().
  void put(T item) {
    detail::Payload body;
    detail::FdList fds;
    detail::encode_item(item, body, fds);
    q_.put(std::move(body), std::move(fds), true, std::nullopt);
  }
  /// The oldest item, waiting for one (forever). Throws std::invalid_argument after close().
  T get() {
    detail::QueueItem item;
    q_.get(item, true, std::nullopt);
    return detail::decode_item<T>(item);
  }
  /// A snapshot: no item waiting.
  bool empty() const { return q_.qsize() == 0; }
  /// This handle will put and get no more (Python's close()); other handles are unaffected.
  void close() { q_.close(); }

  /// Serialisation (cereal) of the handle: the receiver uses the same queue.
  template <class Archive>
  void serialize(Archive& ar) {
    ar(q_);
  }

 private:
  detail::ByteQueue q_;
};

}  // namespace concur::multiprocessing
