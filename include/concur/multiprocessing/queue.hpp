// concur/multiprocessing/queue.hpp — a FIFO queue shared by processes.
//
//   concur::multiprocessing::Queue<int> q;
//   Process p(+[](Queue<int> q) { q.put(42); }, q);
//   p.start();
//   int v = q.get();                      // 42
//
// Items travel serialized through a unix socket that every handle shares; a process-shared
// robust lock for readers and one for writers keep messages whole, and a shared counter gives
// qsize(). Copies of a Queue (and handles passed to a Process or a task) are the same queue.
// put() blocks while the socket's kernel buffer is full, until a reader takes items.
// Handles (SharedArray...) cannot travel through a Queue: send them through a Connection.
// Throws: get() Empty when no item came within the timeout (or at once with block = false);
// std::system_error on OS failures.
//
// Thread safety: every member is safe from any thread of any process.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "concur/duration.hpp"
#include "concur/multiprocessing/errors.hpp"
#include "concur/multiprocessing/shared_memory.hpp"

namespace concur::multiprocessing {

/// get() found no item (Python's queue.Empty).
struct Empty : ProcessError {
  using ProcessError::ProcessError;
};

namespace detail {
/// The untyped queue: whole byte messages.
class ByteQueue {
 public:
  ByteQueue();                           // a new queue
  explicit ByteQueue(std::nullptr_t) {}  // empty handle, to be loaded
  void put(const std::string& bytes);
  bool get(std::string& bytes, bool block, std::optional<Duration> timeout);
  std::size_t qsize() const;

  template <class Archive>
  void save(Archive& ar) const {
    ar(state_, attach_fd(sock_->in), attach_fd(sock_->out));
  }
  template <class Archive>
  void load(Archive& ar) {
    std::uint32_t in = 0, out = 0;
    ar(state_, in, out);
    adopt_(attached_fd(in), attached_fd(out));
  }

 private:
  struct Sockets {
    int in = -1, out = -1;  // put writes to `in`, get reads from `out`
    ~Sockets();
  };
  void adopt_(int in, int out);
  SharedMemory state_;
  std::shared_ptr<Sockets> sock_;
};
}  // namespace detail

template <class T>
class Queue {
 public:
  Queue() = default;
  void put(const T& item) {
    std::string bytes;
    FdListGuard fds;
    detail::write_values(bytes, fds.list, item);
    if (!fds.list.empty())
      throw ProcessError("concur::multiprocessing: handles cannot travel through a Queue");
    q_.put(bytes);
  }
  T get(bool block = true, std::optional<Duration> timeout = {}) {
    auto v = try_get_(block, timeout);
    if (!v) throw Empty("concur::multiprocessing: Queue is empty");
    return std::move(*v);
  }
  T get_nowait() { return get(false); }
  void put_nowait(const T& item) { put(item); }
  /// The next item, or nullopt if none came within `timeout` (no timeout: do not wait), as
  /// concur::queue::Queue::try_get. Never throws Empty.
  std::optional<T> try_get(std::optional<Duration> timeout = {}) {
    return try_get_(timeout.has_value(), timeout);
  }
  /// Approximate, as Python's: items put and not yet taken.
  std::size_t qsize() const { return q_.qsize(); }
  bool empty() const { return qsize() == 0; }

  template <class Archive>
  void serialize(Archive& ar) {
    ar(q_);
  }

 private:
  struct FdListGuard {
    detail::FdList list;
  };
  std::optional<T> try_get_(bool block, std::optional<Duration> timeout) {
    std::string bytes;
    if (!q_.get(bytes, block, timeout)) return std::nullopt;
    detail::FdList none;
    detail::Reader reader(bytes, none);
    return reader.read<T>();
  }
  detail::ByteQueue q_;
};

}  // namespace concur::multiprocessing
