// Internal to ProcessPoolCore: the engine's state and the steps of its dispatch thread.
//
// One dispatch thread owns the workers. It sends a task only to an idle worker (one that is
// blocked reading its channel), so a large task and a large result can never block each other;
// it learns of a worker's death by EOF on its channel (the kernel closes the worker's end
// however it dies), reaps it, fails the task it ran and starts a replacement. Callers only
// queue tasks (or lazy sources) and wait on their sinks.
//
// The direct path: while the dispatch thread sleeps, each idle worker has an open Door. A
// submitter of one task that finds an open door sends the task to that worker itself (under
// the mutex, after marking it started) and leaves it in the door. Then either the thread that
// waits for the task's future reads the reply itself (read_reply(): it mutes the worker's
// channel in the dispatch thread's epoll set meanwhile, then blocks in poll), or the dispatch
// thread, woken by the reply (or EOF), closes the doors, takes their tasks over as the workers'
// current ones and handles the reply as usual. A round trip then costs no hop through the dispatch
// thread at all: submit -> worker -> waiter. A door being read stays lent until its reader is done
// (the dispatch thread skips it and is woken after); a reader that sees EOF or garbage leaves the
// worker's death to the dispatch thread.
//
// The steps live in three files: pool_core_workers.cpp (starting, reaping, retiring and
// replacing workers), pool_core_dispatch.cpp (choosing the next task and sending it),
// pool_core_replies.cpp (the loop: waiting for replies and deaths, and handling them).
// pool_core.cpp holds ProcessPoolCore's public members.
#pragma once

#include <poll.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "concur/detail/core/deadline.hpp"
#include "concur/detail/core/fd.hpp"
#include "concur/multiprocessing/detail/pool_core.hpp"
#include "multiprocessing/worker_link.hpp"

namespace concur::multiprocessing::detail {

/// Why the pool is broken (its initializer failed, or no spawned worker answered its
/// handshake): every task not started fails with it.
struct PoolFailure {
  Outcome::State state;
  WireError error;
  std::string message;
  int exitcode = 0;
  Outcome outcome() const;
  /// The initializer's worker died (exit code `code`).
  static PoolFailure crash(std::string why, int code) {
    PoolFailure f{Outcome::State::crashed, WireError{}, std::move(why), code};
    return f;
  }
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

struct ProcessPoolCore::Impl final : ReplyReader {
  struct Slot {
    enum class State { empty, starting, idle, busy };
    State state = State::empty;
    std::unique_ptr<WorkerLink> link;
    std::optional<Task> current;  // the task the worker runs
    std::deque<Task> ahead;       // a lazy source's next chunks, queued behind `current`
    bool streaming = false;       // `current` came from a lazy source or is a map's chunk
    unsigned done = 0;            // tasks (chunks) run, for maxtasksperchild
    /// A spawned worker whose handshake is unread: it must answer by then (handle_readable()
    /// reads the handshake, expire_handshakes() gives up on it).
    concur::detail::Deadline greet_by = concur::detail::Deadline::never();
  };

  /// An idle worker lent to submitters and waiters while the dispatch thread sleeps (guarded
  /// by `mutex`).
  struct Door {
    bool open = false;           // a submitter may send one task through it
    bool lent = false;           // the dispatch thread does not touch the slot
    WorkerLink* link = nullptr;  // valid while lent
    std::optional<Task> task;    // sent through the door (started), its reply not handled yet
    bool unsent = false;         // the send failed (the worker is gone): send it again
    bool reading = false;        // a waiter reads the reply: the door stays lent
    bool dead = false;           // that reader saw EOF or garbage: the worker is gone
    bool want_back = false;      // the dispatch thread waits for the reader to finish
    unsigned done = 0;           // replies handled through the door
    unsigned budget = 0;         // replies it may handle before the worker retires (0: any)
    int worker_cpu = -1;         // the CPU of the worker's last reply read here (-1: unknown)
  };

  ProcessPoolConfig config;
  std::shared_ptr<PoolWaker> waker;
  concur::detail::UniqueFd epoll;  // the waker and every worker's channel (data: slot index)
  std::weak_ptr<Impl> self;

  mutable std::mutex mutex;  // guards the fields below
  std::deque<Task> pending;
  std::deque<std::shared_ptr<TaskSource>> new_sources;
  bool closing = false, terminating = false;
  std::vector<pid_t> pids;
  std::optional<std::string> broken_reason;  // mirrors `broken` for other threads
  // Set with broken_reason: broken() answers a pool that is fine (every submit asks) without
  // taking the mutex and copying the reason.
  std::atomic<bool> is_broken{false};
  std::vector<Door> doors;  // one per slot

  std::mutex join_mutex;
  std::thread thread;

  // The dispatch thread's (and the constructor's) only:
  std::vector<Slot> slots;
  std::deque<Task> ready;
  std::deque<Task> resend;  // sent to a worker that died before running them (already started)
  std::deque<std::shared_ptr<TaskSource>> sources;
  std::optional<PoolFailure> broken;
  std::string no_worker_reason;  // why the last replacement did not start (spawn)
  bool stopping = false;  // shutdown() runs: workers that go are neither diagnosed nor replaced
  /// Per slot, what the last close_doors() left: `lent_free`; `lent_kept` (a reader still has
  /// the worker: skip it); `lent_handled` (a death or retirement handled there: a readable
  /// event from before must not read the slot's new worker).
  enum : char { lent_free = 0, lent_kept = 1, lent_handled = 2 };
  std::vector<char> lent;

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
  /// The chunks queued behind the worker's current task never reached its loop: they go to
  /// the front of `resend`, in their order.
  void requeue_ahead(Slot& s);
  /// Stops the worker in `s` gracefully and reaps it.
  void retire(Slot& s);
  /// The first initializer failure breaks the pool for good.
  void set_broken(PoolFailure f);
  /// Reads the pending handshake of the spawned worker in `s` (its channel is readable).
  /// False if it never answered: then the worker is reaped, the tasks sent to it go to
  /// `resend`, and the slot stays empty (see on_no_handshake()).
  bool greet(Slot& s);
  /// Gives up on every spawned worker whose handshake is overdue (as greet() does on a failed
  /// one). Returns the epoll timeout until the next deadline (-1: none).
  int expire_handshakes();
  /// A worker that never answered its handshake (exit code `code`, or `timed_out`).
  void on_no_handshake(Slot& s, int code, bool timed_out);

  // ---- dispatch (pool_core_dispatch.cpp) ----
  /// Moves what callers queued into the dispatch thread's own lists; {closing, terminating}.
  std::pair<bool, bool> take_submissions();
  /// The next task for a worker: one to send again, a queued one, else a lazy source's next
  /// chunk (`streamed`). With `ahead` (to queue behind a worker's current task): only a queued
  /// map chunk at the front of the queue, or, with nothing queued, a lazy source's next chunk.
  /// Cancelled tasks are dropped.
  std::optional<Task> next_task(bool closing_now, bool ahead, bool& streamed);
  std::optional<Task> next_from_sources(bool closing_now);
  /// Sends `t` to the worker in `s` (as its current task, or ahead of it). false if the
  /// worker is gone: then the task is kept to be sent again and the worker replaced.
  bool send_to(Slot& s, Task&& t, bool ahead);
  /// Whether a busy worker may get a lazy source's next chunk ahead of the ones it has.
  bool takes_ahead(const Slot& s) const;
  /// At most this many chunks queued behind a worker's current one.
  static constexpr std::size_t max_ahead = 3;
  void dispatch(bool closing_now);
  /// Fails every task not started (and every source's future ones) with `proto`'s failure.
  void fail_all(const Outcome& proto);
  bool any_worker() const;
  /// Nothing queued and no worker busy.
  bool idle() const;
  static void finish(Task&& t, Outcome&& o) { t.sink->complete(t.index, std::move(o)); }

  // ---- the direct path (pool_core_direct.cpp) ----
  /// Opens the doors of the idle workers (when nothing is queued): the dispatch thread is
  /// about to sleep.
  void open_doors();
  /// Takes back every door not being read, and the tasks sent through them; handles what
  /// their readers left (a dead worker, one due to retire). True if a door is still lent.
  bool close_doors();
  /// A submitter's direct path: sends `t` through an open door. false (and `t` untouched) if
  /// no door is open; under `mutex`.
  bool send_direct_locked(Task& t);
  void read_reply(std::size_t door, const TaskSink* sink,
                  const concur::detail::Deadline& deadline) noexcept override;
  /// Adds (or removes) a worker's channel to (from) the dispatch thread's epoll set.
  void watch(std::size_t slot, int fd) const noexcept;
  void unwatch(int fd) const noexcept;
  /// While a waiter reads a worker's reply: its channel reports no reply to the dispatch
  /// thread (only a hang-up, once), then reports again.
  void mute(std::size_t slot, int fd) const noexcept;
  void unmute(std::size_t slot, int fd) const noexcept;
  std::size_t index_of(const Slot& s) const { return static_cast<std::size_t>(&s - slots.data()); }

  // ---- replies and the loop (pool_core_replies.cpp) ----
  /// Blocks until a wake-up or a worker's channel is readable, or `timeout_ms` passed
  /// (-1: no limit); returns the readable slots.
  std::vector<std::size_t> wait_for_events(int timeout_ms);
  void on_reply(Slot& s, Message& m);
  /// A task's outcome from its worker's reply (Kind::result or Kind::error).
  static Outcome outcome_of(Message& m);
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
