// concur/queue.hpp — Python's queue module: thread-safe FIFO, LIFO and priority queues.
//
//   concur::queue::Queue<int> q(100);          // bounded: put() blocks while 100 items wait
//   concur::threading::Thread worker([&] {
//     while (auto item = q.try_get(1s)) { use(*item); q.task_done(); }
//   });
//   worker.start();
//   for (int i = 0; i < 1000; ++i) q.put(i);
//   q.join();                                  // every item got and task_done()
//
// Semantics are Python 3.13's, names included:
// - put(item, block, timeout): block=false or an expired timeout on a full queue throws Full;
//   after shutdown() it throws ShutDown. get() throws Empty likewise, and ShutDown once the queue
//   is shut down AND drained. A negative timeout throws std::invalid_argument (Python: ValueError).
// - try_put/try_get never throw Full/Empty: they return false/nullopt instead (no timeout = do not
//   wait). try_get also returns nullopt once shut down and drained; try_put throws ShutDown (an
//   item put after shutdown would be lost silently otherwise).
// - task_done() more often than items were put throws std::logic_error (Python: ValueError).
// - shutdown(immediate=false): later puts throw ShutDown; gets drain what is left, then throw
//   ShutDown; every blocked put/get wakes. immediate=true also discards the items left, discounts
//   them from join()'s count of unfinished tasks and wakes join().
// - Timeouts run on the monotonic clock (wall-clock jumps do not matter).
// - qsize()/empty()/full() are snapshots, as in Python.
// - PriorityQueue<T, Compare> returns the SMALLEST item under Compare first (Python's heapq
//   order, the opposite of std::priority_queue); Compare defaults to std::less<T>.
// - SimpleQueue<T> is Python's SimpleQueue: unbounded FIFO without task_done/join/shutdown.
// Items may be move-only. Thread safety: every member may be called from any thread at once;
// destroying a queue while a thread still uses it is undefined, as for any object.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <stdexcept>
#include <utility>

#include "concur/detail/threading_basic_queue.hpp"
#include "concur/detail/threading_fifo_queue.hpp"
#include "concur/detail/threading_queue_store.hpp"
#include "concur/duration.hpp"

namespace concur::queue {

/// get() on an empty queue without waiting, or after the timeout.
struct Empty : std::runtime_error {
  Empty() : std::runtime_error("queue.Empty") {}
};
/// put() on a full bounded queue without waiting, or after the timeout.
struct Full : std::runtime_error {
  Full() : std::runtime_error("queue.Full") {}
};
/// put() after shutdown(), or get() on a shut-down queue that is drained.
struct ShutDown : std::runtime_error {
  ShutDown() : std::runtime_error("queue.ShutDown") {}
};

namespace detail {

/// The public surface shared by Queue, LifoQueue and PriorityQueue (Engine: FifoQueue or
/// BasicQueue<T, Store>).
template <class T, class Engine>
class QueueBase {
 public:
  /// maxsize 0 = unbounded.
  explicit QueueBase(std::size_t maxsize = 0) : q_(maxsize) {}

  /// Throws Full (block=false, or timeout expired), ShutDown, std::invalid_argument (timeout < 0).
  void put(T item, bool block = true, std::optional<Duration> timeout = {}) {
    switch (q_.put_impl(item, block, timeout)) {
      case concur::detail::QueueStatus::ok:
        return;
      case concur::detail::QueueStatus::would_block:
        throw Full();
      case concur::detail::QueueStatus::shut_down:
        throw ShutDown();
    }
  }
  /// Throws Empty (block=false, or timeout expired), ShutDown (shut down and drained).
  T get(bool block = true, std::optional<Duration> timeout = {}) {
    std::optional<T> out;
    switch (q_.get_impl(out, block, timeout)) {
      case concur::detail::QueueStatus::ok:
        break;
      case concur::detail::QueueStatus::would_block:
        throw Empty();
      case concur::detail::QueueStatus::shut_down:
        throw ShutDown();
    }
    return std::move(*out);
  }
  void put_nowait(T item) { put(std::move(item), false); }
  T get_nowait() { return get(false); }

  /// false if still full (no timeout: do not wait). Throws ShutDown after shutdown().
  bool try_put(T item, std::optional<Duration> timeout = {}) {
    switch (q_.put_impl(item, timeout.has_value(), timeout)) {
      case concur::detail::QueueStatus::ok:
        return true;
      case concur::detail::QueueStatus::would_block:
        return false;
      case concur::detail::QueueStatus::shut_down:
        break;
    }
    throw ShutDown();
  }
  /// nullopt if still empty (no timeout: do not wait) or shut down and drained. Never throws
  /// for an empty queue.
  std::optional<T> try_get(std::optional<Duration> timeout = {}) {
    std::optional<T> out;
    q_.get_impl(out, timeout.has_value(), timeout);
    return out;
  }

  std::size_t qsize() const noexcept { return q_.qsize(); }
  bool empty() const noexcept { return q_.empty(); }
  bool full() const noexcept { return q_.full(); }
  std::size_t maxsize() const noexcept { return q_.maxsize(); }

  /// Marks one got item as processed. Throws std::logic_error if called more often than items
  /// were put (Python: ValueError).
  void task_done() { q_.task_done(); }
  /// Blocks until every item put has been matched by task_done() (or discarded by
  /// shutdown(true)).
  void join() { q_.join(); }
  /// Python 3.13's Queue.shutdown: see the top of this header.
  void shutdown(bool immediate = false) { q_.shutdown(immediate); }
  /// *beyond*: true once shutdown() was called.
  bool is_shutdown() const { return q_.is_shutdown(); }

 private:
  Engine q_;
};

}  // namespace detail

/// First in, first out.
template <class T>
class Queue : public detail::QueueBase<T, concur::detail::FifoQueue<T>> {
 public:
  using detail::QueueBase<T, concur::detail::FifoQueue<T>>::QueueBase;
};

/// Last in, first out.
template <class T>
class LifoQueue
    : public detail::QueueBase<T, concur::detail::BasicQueue<T, concur::detail::StackStore<T>>> {
 public:
  using detail::QueueBase<T,
                          concur::detail::BasicQueue<T, concur::detail::StackStore<T>>>::QueueBase;
};

/// Smallest under Compare first (Python's heapq order): PriorityQueue<std::pair<int, Job>>.
template <class T, class Compare = std::less<T>>
class PriorityQueue : public detail::QueueBase<
                          T, concur::detail::BasicQueue<T, concur::detail::HeapStore<T, Compare>>> {
 public:
  using detail::QueueBase<
      T, concur::detail::BasicQueue<T, concur::detail::HeapStore<T, Compare>>>::QueueBase;
};

/// Python's SimpleQueue: an unbounded FIFO; put() never blocks; no task_done/join/shutdown.
template <class T>
class SimpleQueue {
 public:
  SimpleQueue() = default;
  /// block and timeout are accepted for compatibility and ignored, as in Python.
  void put(T item, bool block = true, std::optional<Duration> timeout = {}) {
    (void)block;
    (void)timeout;
    q_.put(std::move(item));
  }
  /// Adds `item` (never blocks).
  void put_nowait(T item) { q_.put(std::move(item)); }
  /// Adds `item`; always true (the queue is unbounded). The timeout is ignored.
  bool try_put(T item, std::optional<Duration> = {}) { return q_.try_put(std::move(item)); }
  /// Throws Empty (block=false, or timeout expired).
  T get(bool block = true, std::optional<Duration> timeout = {}) { return q_.get(block, timeout); }
  /// get(false): throws Empty at once if no item is there.
  T get_nowait() { return q_.get(false); }
  /// get() that returns nullopt instead of throwing Empty (no timeout: do not wait).
  std::optional<T> try_get(std::optional<Duration> timeout = {}) { return q_.try_get(timeout); }
  /// A snapshot of the number of items.
  std::size_t qsize() const noexcept { return q_.qsize(); }
  /// A snapshot: no item waiting.
  bool empty() const noexcept { return q_.empty(); }

 private:
  Queue<T> q_;
};

}  // namespace concur::queue
