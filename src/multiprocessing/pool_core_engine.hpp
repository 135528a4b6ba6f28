// Internal to ProcessPoolCore: the engine's state and the steps of its dispatch thread.
//
// One dispatch thread owns the workers. It sends a task only to an idle worker (one that is
// blocked reading its channel), so a large task and a large result can never block each other;
// it learns of a worker's death by EOF on its channel (the kernel closes the worker's end
// however it dies), reaps it, fails the task it ran and starts a replacement. Callers only
// queue tasks (or lazy sources) and wait on their sinks.
//
// The steps live in three files: pool_core_workers.cpp (starting, reaping, retiring and
// replacing workers), pool_core_dispatch.cpp (choosing the next task and sending it),
// pool_core_replies.cpp (the loop: waiting for replies and deaths, and handling them).
// pool_core.cpp holds ProcessPoolCore's public members.
#pragma once

#include <poll.h>
#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "concur/detail/core/fd.hpp"
#include "concur/multiprocessing/detail/pool_core.hpp"
#include "multiprocessing/worker_link.hpp"

namespace concur::multiprocessing::detail {

/// Why the pool is broken (its initializer failed): every task not started fails with it.
struct PoolFailure {
  Outcome::State state;
  WireError error;
  std::string message;
  int exitcode = 0;
  Outcome outcome() const;
  std::string describe() const { return message.empty() ? to_string(error) : message; }
};

/// "worker 123 died of signal 9 (Killed)" + `when`.
std::string describe_exit(pid_t pid, int code, const char* when);

/// The dispatch thread's wake-up: an eventfd that outlives the pool while streams hold it.
struct PoolWaker {
  concur::detail::UniqueFd fd;
  void wake() const;
  void drain() const;
};

struct ProcessPoolCore::Impl {
  struct Slot {
    enum class State { empty, starting, idle, busy };
    State state = State::empty;
    std::unique_ptr<WorkerLink> link;
    std::optional<Task> current;  // the task the worker runs
    std::optional<Task> ahead;    // a lazy source's next chunk, queued behind `current`
    bool streaming = false;       // `current` came from a lazy source
    unsigned done = 0;            // tasks (chunks) run, for maxtasksperchild
  };

  ProcessPoolConfig config;
  std::shared_ptr<PoolWaker> waker;

  mutable std::mutex mutex;  // guards the fields below
  std::deque<Task> pending;
  std::deque<std::shared_ptr<TaskSource>> new_sources;
  bool closing = false, terminating = false;
  std::vector<pid_t> pids;
  std::optional<std::string> broken_reason;  // mirrors `broken` for other threads

  std::mutex join_mutex;
  std::thread thread;

  // The dispatch thread's (and the constructor's) only:
  std::vector<Slot> slots;
  std::deque<Task> ready;
  std::deque<Task> resend;  // sent to a worker that died before running them (already started)
  std::deque<std::shared_ptr<TaskSource>> sources;
  std::optional<PoolFailure> broken;

  // ---- workers (pool_core_workers.cpp) ----
  /// Starts a worker in `s`: `link` when given (started beforehand), else a new one.
  void start_worker(Slot& s, std::unique_ptr<WorkerLink> link = nullptr);
  /// start_worker(), leaving the slot empty if the worker cannot start (fork failing): the
  /// loop fails the queued tasks if no worker is left.
  void try_start(Slot& s);
  void forget_pid(Slot& s);
  /// Kills and reaps the worker in `s`; its exit code.
  int reap(Slot& s);
  /// The worker in `s` died: reap it, fail its task (WorkerCrashed), replace it if `replace`.
  void on_death(Slot& s, bool replace);
  /// Stops the worker in `s` gracefully and reaps it.
  void retire(Slot& s);
  /// The first initializer failure breaks the pool for good.
  void set_broken(PoolFailure f);

  // ---- dispatch (pool_core_dispatch.cpp) ----
  /// Moves what callers queued into the dispatch thread's own lists; {closing, terminating}.
  std::pair<bool, bool> take_submissions();
  /// The next task for a worker: one to send again, a queued one, else a lazy source's next
  /// chunk (`streamed`); with `sources_only`, only the latter. Cancelled tasks are dropped.
  std::optional<Task> next_task(bool closing_now, bool sources_only, bool& streamed);
  std::optional<Task> next_from_sources(bool closing_now);
  /// Sends `t` to the worker in `s` (as its current task, or ahead of it). false if the
  /// worker is gone: then the task is kept to be sent again and the worker replaced.
  bool send_to(Slot& s, Task&& t, bool ahead);
  /// Whether a busy worker may get a lazy source's next chunk ahead of the one it runs.
  bool takes_ahead(const Slot& s) const;
  void dispatch(bool closing_now);
  /// Fails every task not started (and every source's future ones) with `proto`'s failure.
  void fail_all(const Outcome& proto);
  bool any_worker() const;
  /// Nothing queued and no worker busy.
  bool idle() const;
  static void finish(Task&& t, Outcome&& o) { t.sink->complete(t.index, std::move(o)); }

  // ---- replies and the loop (pool_core_replies.cpp) ----
  /// Blocks until a wake-up or a worker's channel is readable; returns the readable slots.
  std::vector<std::size_t> wait_for_events(std::vector<pollfd>& fds);
  void on_reply(Slot& s, Message& m);
  /// A worker's error reply; bytes that do not decode become a ProcessError.
  static WireError decode_error(const Message& m);
  void handle_readable(const std::vector<std::size_t>& readable);
  /// Leaving: stop the workers (gracefully after close(), by SIGKILL on terminate) and fail
  /// whatever did not run.
  void shutdown(bool clean);
  /// The dispatch thread's body.
  void run();
};

}  // namespace concur::multiprocessing::detail
