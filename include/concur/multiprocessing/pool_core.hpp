// concur/multiprocessing/pool_core.hpp — internal: the type-erased engine under Pool.
//
// The Pool templates serialize each task's arguments (in the calling thread) into a Task:
// the address of a trampoline, the address of the user's function, a body of bytes and the
// fds of any handles. PoolCore hands tasks to idle workers from one dispatch thread that
// polls every worker's channel, keeps the table of which task each worker runs, and stores
// each result (still bytes) in the task's TaskGroup, where the caller decodes it. A worker
// that dies fails only its own task (WorkerCrashed) and is replaced. Not part of the public
// API.
//
// Thread safety: PoolCore's and TaskGroup's members are safe from any thread.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "concur/duration.hpp"
#include "concur/multiprocessing/errors.hpp"
#include "concur/multiprocessing/wire.hpp"

namespace concur::multiprocessing::detail {

/// What became of one task.
struct Outcome {
  enum class State { pending, ok, error, crashed, cancelled };
  State state = State::pending;
  std::string body;           // ok: the results' bytes
  FdList fds;                 // ok: handles among the results
  std::string type, message;  // error: the exception; crashed/cancelled: the message
  int exitcode = 0;           // crashed
};

/// The outcomes of the tasks of one call (one map, one apply_async...), in submission order,
/// with the order in which they completed.
class TaskGroup {
 public:
  explicit TaskGroup(std::size_t n) : outcomes_(n) {}
  std::size_t size() const { return outcomes_.size(); }

  /// Stores task `index`'s outcome and wakes the waiters (the pool's side).
  void complete(std::size_t index, Outcome&& o);
  /// Waits until every task completed; false if `timeout` passed first.
  bool wait_all(std::optional<Duration> timeout);
  /// Waits until task `index` completed.
  void wait_one(std::size_t index);
  /// Waits for the next task to complete that next_completed() has not returned yet, in the
  /// order of completion; nullopt once all were returned.
  std::optional<std::size_t> next_completed();
  bool ready() const;
  /// Ready and no task failed.
  bool successful() const;
  /// After completion: throws the error of task `index` (RemoteError, WorkerCrashed,
  /// ProcessError if the pool was terminated first); returns its outcome otherwise.
  const Outcome& outcome(std::size_t index) const;
  /// After completion of all: throws the first failed task's error, in submission order.
  void throw_if_failed() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Outcome> outcomes_;
  std::size_t done_ = 0;
  std::deque<std::size_t> order_;
  std::size_t handed_ = 0;
};

/// One unit of work for a worker.
struct Task {
  std::shared_ptr<TaskGroup> group;
  std::size_t index = 0;
  std::size_t items = 1;  // the tasks it counts as for maxtasksperchild
  std::uintptr_t trampoline = 0, fn = 0;
  std::string body;
  FdList fds;
};

class PoolCore {
 public:
  /// Starts `processes` workers (0: cpu_count()). Throws std::system_error,
  /// std::invalid_argument (StartMethod::spawn).
  PoolCore(unsigned processes, StartMethod method, unsigned maxtasksperchild);
  ~PoolCore();  // terminate()
  PoolCore(const PoolCore&) = delete;
  PoolCore& operator=(const PoolCore&) = delete;

  /// Queues tasks. Throws std::invalid_argument if the pool was closed or terminated.
  void submit(std::vector<Task> tasks);
  void close();
  void terminate();
  /// Throws std::invalid_argument unless close() or terminate() was called.
  void join();
  unsigned processes() const;
  unsigned maxtasksperchild() const;
  /// The pids of the current workers.
  std::vector<pid_t> pids() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace concur::multiprocessing::detail
