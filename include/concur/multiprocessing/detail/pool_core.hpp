// concur/multiprocessing/detail/pool_core.hpp — internal: the type-erased engine under Pool.
//
// The Pool templates serialize each task's arguments into a Task (a Message plus where its
// outcome goes). ProcessPoolCore hands tasks to idle workers from one dispatch thread that
// polls every worker's channel, keeps the table of which task each worker runs, and stores
// each result (still bytes) in the task's sink — a TaskGroup (a fixed set of tasks: map,
// apply_async) or a TaskStream (imap's lazily produced chunks), where the caller decodes it.
// Lazy verbs register a TaskSource the dispatch thread pulls from when a worker is idle. A
// worker that dies fails only its own task (WorkerCrashed) and is replaced. Not part of the
// public API.
//
// Thread safety: ProcessPoolCore's, TaskGroup's and TaskStream's members are safe from any
// thread.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "concur/detail/core/deadline.hpp"
#include "concur/duration.hpp"
#include "concur/multiprocessing/detail/message.hpp"
#include "concur/multiprocessing/detail/remote_error.hpp"
#include "concur/multiprocessing/errors.hpp"
#include "concur/multiprocessing/initializer.hpp"
#include "concur/multiprocessing/start_method.hpp"

namespace concur::multiprocessing::detail {

/// What became of one task.
struct Outcome {
  enum class State { pending, ok, error, crashed, cancelled, local };
  State state = State::pending;
  Payload body;              // ok: the results' bytes
  FdList fds;                // ok: handles among the results
  std::uint64_t count = 0;   // ok: results in the body
  WireError error;           // error: the task's exception
  std::string message;       // crashed / cancelled: why
  int exitcode = 0;          // crashed
  std::exception_ptr local;  // local: thrown in this process while making the task
  bool pool_broken = false;  // the failure is the pool's (see broken()), not the task's

  /// Throws the failure (the task's own exception type, WorkerCrashed, ProcessError...) unless
  /// the state is ok.
  void throw_if_failed() const;
  static Outcome cancelled(std::string why);
  /// A copy of this failed outcome, for each of several tasks that fail the same way (an
  /// Outcome itself only moves: an ok body may be a memfd, which a failure does not have).
  Outcome failure_copy() const;
};

class TaskSink;

/// ProcessPoolCore's direct path, seen from a task: lets the thread that waits for the task's
/// outcome read the worker's reply itself, instead of waiting for the dispatch thread to.
class ReplyReader {
 public:
  virtual ~ReplyReader() = default;
  /// If task (`sink`, its only task) went straight to worker `door` and no other thread handles
  /// its reply: waits for that reply until `deadline` and completes the task on this thread.
  /// Returns at once otherwise; never throws.
  virtual void read_reply(std::size_t door, const TaskSink* sink,
                          const concur::detail::Deadline& deadline) noexcept = 0;
};

/// Where the outcomes of tasks go.
class TaskSink {
 public:
  virtual ~TaskSink() = default;
  /// Task `index` is about to go to a worker (the dispatch thread's call). false: it was
  /// cancelled meanwhile — the pool drops it without running it and never completes it.
  virtual bool start(std::size_t /*index*/) noexcept { return true; }
  /// Stores task `index`'s outcome (the pool's side).
  virtual void complete(std::size_t index, Outcome&& o) = 0;
  /// The sink's only task went straight to worker `door` of `reader`'s pool (a submitter's
  /// call, under the pool's lock): a thread waiting for it may call reader->read_reply().
  virtual void sent_direct(std::weak_ptr<ReplyReader> /*reader*/, std::size_t /*door*/) noexcept {}
};

/// One unit of work for a worker: the message, and where its outcome goes.
struct Task {
  Message message;
  std::shared_ptr<TaskSink> sink;
  std::size_t index = 0;
  /// One chunk of a map: it may wait in a worker's channel behind another chunk, as a lazy
  /// source's chunks do, instead of waiting for a round trip through the dispatch thread.
  bool chunk = false;
};

/// The outcomes of the tasks of one call (one map, one apply_async...), in submission order.
class TaskGroup : public TaskSink {
 public:
  explicit TaskGroup(std::size_t n) : outcomes_(n) {}
  std::size_t size() const { return outcomes_.size(); }

  void complete(std::size_t index, Outcome&& o) override;
  /// The group's one task went straight to a worker: wait_all() reads the reply itself.
  void sent_direct(std::weak_ptr<ReplyReader> reader, std::size_t door) noexcept override;
  /// Waits until every task completed; false if `timeout` passed first. Throws
  /// std::invalid_argument for a negative timeout. A task sent straight to a worker has its
  /// reply read by the waiting thread (no hop through the pool's dispatch thread).
  bool wait_all(std::optional<Duration> timeout);
  bool ready() const;
  /// Ready and no task failed.
  bool successful() const;
  /// After completion: the outcome of task `index` (throws its failure, see Outcome).
  const Outcome& outcome(std::size_t index) const;
  /// After completion of all: throws the first failed task's error, in submission order.
  void throw_if_failed() const;
  /// Runs `hook` once all tasks completed: at once (in this thread) if they have, else in the
  /// thread that completes the last one (the pool's dispatch thread).
  void on_ready(std::function<void()> hook);

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Outcome> outcomes_;
  std::size_t done_ = 0;
  std::vector<std::function<void()>> hooks_;
  std::weak_ptr<ReplyReader> reader_;  // set by sent_direct()
  std::size_t door_ = 0;
};

/// The chunks of one imap / imap_unordered, produced lazily: at most `window` chunks ahead of
/// the consumer (unless the pool is closing), dropped once the consumer abandons it.
class TaskStream : public TaskSink {
 public:
  TaskStream(std::size_t window, std::function<void()> wake)
      : window_(window), wake_(std::move(wake)) {}

  void complete(std::size_t index, Outcome&& o) override;

  // Producer side (the dispatch thread).
  /// Whether chunk number produced() may be made now. When the window is full, the consumer's
  /// next take() wakes the producer (and only then: no wake-up per chunk otherwise).
  bool may_produce(bool closing);
  bool abandoned() const;
  std::size_t produced() const;
  void produced_one();
  /// No chunk after `total` - 1 will come.
  void set_total(std::size_t total);
  /// The pool stopped before the stream ended: waiting for a later chunk throws `why`.
  void break_off(std::string why);

  // Consumer side (one thread).
  /// The outcome of chunk `index` (ordered) or of the next chunk to complete (unordered);
  /// nullopt when the stream ended. Throws TimeoutError when `timeout` passes first,
  /// ProcessError when the pool stopped, std::invalid_argument for a negative timeout.
  std::optional<Outcome> take(bool ordered, std::optional<Duration> timeout);
  /// The consumer is gone: drop the outcomes, produce nothing more.
  void abandon();

 private:
  const std::size_t window_;
  std::function<void()> wake_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::size_t, Outcome> done_;  // completed and not taken
  std::deque<std::size_t> order_;        // completion order, for unordered takes
  std::size_t produced_ = 0, taken_ = 0, next_ordered_ = 0;
  std::optional<std::size_t> total_;
  std::optional<std::string> broken_;
  bool abandoned_ = false;
  bool starved_ = false;  // may_produce() refused for the window: take() must wake
};

/// A lazy producer of tasks (imap's items, read and serialized on demand).
class TaskSource {
 public:
  virtual ~TaskSource() = default;
  /// The next task; nullopt with `done` false when none may be made now (ask again after a
  /// wake-up), with `done` true when no more will ever come. Called by the dispatch thread
  /// only; must not throw (failures go to the stream).
  virtual std::optional<Task> next(bool closing, bool& done) noexcept = 0;
  /// The pool stopped: fail whoever waits for more.
  virtual void break_off(const std::string& why) noexcept = 0;
};

/// What the Pool templates submit to: the local process pool (ProcessPoolCore) or another
/// engine with the same contract (concur::mpi's ranks).
class PoolEngine {
 public:
  virtual ~PoolEngine() = default;
  /// Queues tasks. Throws std::invalid_argument if the pool was closed or terminated.
  virtual void submit(std::vector<Task> tasks) = 0;
  /// Adds a lazy producer. Throws std::invalid_argument if the pool was closed or terminated.
  virtual void submit(std::shared_ptr<TaskSource> source) = 0;
  /// Wakes the dispatch thread (a stream's consumer made room). Safe after the pool ended.
  virtual std::function<void()> waker() const = 0;
  virtual void close() = 0;
  virtual void terminate() = 0;
  /// Throws std::invalid_argument unless close() or terminate() was called.
  virtual void join() = 0;
  /// The number of worker processes.
  virtual unsigned processes() const = 0;
  /// Why the pool is broken (an initializer failed in a worker, or no spawned worker ever
  /// answered its handshake), or nullopt while it is not.
  virtual std::optional<std::string> broken() const = 0;
  /// The pids of the current workers (those on this host).
  virtual std::vector<pid_t> pids() const = 0;
};

/// Options of a ProcessPoolCore.
struct ProcessPoolConfig {
  unsigned processes = 0;  // 0: cpu_count()
  StartMethod method = StartMethod::fork;
  unsigned maxtasksperchild = 0;  // tasks (chunks) per worker; 0: unlimited
  Initializer initializer;
};

class ProcessPoolCore final : public PoolEngine {
 public:
  /// Starts the workers. Throws std::system_error, std::invalid_argument (a start method this
  /// build cannot use).
  explicit ProcessPoolCore(ProcessPoolConfig config);
  ~ProcessPoolCore() override;  // terminate()
  ProcessPoolCore(const ProcessPoolCore&) = delete;
  ProcessPoolCore& operator=(const ProcessPoolCore&) = delete;

  /// Queues tasks. Throws std::invalid_argument if the pool was closed or terminated.
  void submit(std::vector<Task> tasks) override;
  /// Adds a lazy producer. Throws std::invalid_argument if the pool was closed or terminated.
  void submit(std::shared_ptr<TaskSource> source) override;
  /// Wakes the dispatch thread (a stream's consumer made room). Safe after the pool ended.
  std::function<void()> waker() const override;
  void close() override;
  void terminate() override;
  /// Throws std::invalid_argument unless close() or terminate() was called.
  void join() override;
  unsigned processes() const override;
  /// Why the pool is broken (an initializer failed in a worker, or no spawned worker ever
  /// answered its handshake: no task will run any more), or nullopt while it is not.
  std::optional<std::string> broken() const override;
  /// The pids of the current workers.
  std::vector<pid_t> pids() const override;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace concur::multiprocessing::detail
