// concur/detail/threading_pool.hpp — the worker threads and task list under ThreadPoolExecutor
// (internal; the contract is in <concur/futures/thread_pool.hpp>).
//
// Tasks are intrusive nodes (one allocation each, no separate list node) in a lock-free FIFO:
// a push is an exchange of the tail plus one store, never a lock; workers take turns at the head
// under a spin flag, taking several tasks at once when the queue is long. Workers that find the
// queue empty spin briefly, then sleep on a futex; a push makes a system call only when a
// worker sleeps, so a steady stream of submissions makes no futex calls and an idle pool uses
// no CPU. shutdown() and a failed initializer close a gate that every push passes, and wait for
// the pushes in flight, so a task is either refused or queued before the workers may exit.
// A worker first names itself PREFIX-N and runs the initializer; if that throws, the pool is
// broken: queued tasks are abandoned with BrokenThreadPool and push() refuses new ones.
//
// Thread safety: every member may be called from any thread.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <string>

namespace concur::detail {

/// One queued unit of work. Exactly one of run()/cancel()/abandon() is called, and it disposes
/// of the task.
struct PoolTask {
  virtual void run() noexcept = 0;
  /// Dropped by shutdown(cancel_futures=true).
  virtual void cancel() noexcept = 0;
  /// The pool broke (an initializer threw) before the task ran.
  virtual void abandon(std::exception_ptr why) noexcept = 0;
  PoolTask* next = nullptr;

 protected:
  ~PoolTask() = default;
};

class PoolCore {
 public:
  /// Starts the workers (0 = usable CPUs), named `name_prefix`-0, -1 ...; each runs
  /// `initializer` (if any) first.
  PoolCore(unsigned workers, const std::string& name_prefix, std::function<void()> initializer);
  ~PoolCore();  // shutdown(true, false)
  PoolCore(const PoolCore&) = delete;
  PoolCore& operator=(const PoolCore&) = delete;

  /// Queues `task`, which the pool then owns. Throws (and does not take the task) after
  /// shutdown (std::logic_error) or once broken (futures::BrokenThreadPool).
  void push(PoolTask* task);
  /// Queues `count` tasks linked through `next` at once; same rules as push().
  void push_list(PoolTask* first, PoolTask* last, std::size_t count);
  /// Throws as push() would.
  void check_open() const;
  /// Runs one queued task on the calling thread if there is one ("helping"); false if none.
  bool run_one();
  /// On one of `pool`'s own worker threads: runs one of its queued tasks (true); else false.
  /// `pool` is only dereferenced when the calling thread is one of its workers, so a pool that
  /// no longer exists is harmless here.
  static bool help(const PoolCore* pool) noexcept;
  void shutdown(bool wait, bool cancel_futures);
  unsigned workers() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace concur::detail
