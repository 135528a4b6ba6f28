// concur/multiprocessing/process.hpp — one function run in a child process.
//
//   auto [parent_end, child_end] = concur::multiprocessing::Pipe();
//   concur::multiprocessing::Process p({.name = "doubler"},
//                                      +[](int n, Connection out) { out.send(n * 2); }, 21,
//                                      child_end);
//   p.start(); p.join();                       // p.exitcode() == 0
//
// The target is a function pointer or a capture-less lambda; the arguments are serialized when
// the Process is constructed and travel as task arguments do (handles as fds). The child
// exits with 0 when the target returns, with 1 when it throws (after printing the exception's
// type and message to stderr), and dies with this process (PR_SET_PDEATHSIG) when started from
// the main thread (from another thread it outlives that thread, as in Python). It is started
// with ProcessOptions::start_method, else the method of set_start_method() (fork by default).
// The destructor joins a started non-daemon child and terminates (SIGTERM) and reaps a daemon
// one, as Python does at exit. A daemon process may not start children (ProcessError).
// After close(), every member but name() and daemon() throws std::invalid_argument.
//
// Thread safety: one Process object is used by one thread at a time; current_process(),
// parent_process() and active_children() are thread-safe.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "concur/duration.hpp"
#include "concur/multiprocessing/detail/trampolines.hpp"
#include "concur/multiprocessing/errors.hpp"
#include "concur/multiprocessing/start_method.hpp"

namespace concur::multiprocessing {

namespace detail {
class WorkerLink;
/// "Process-N", N counting the processes made by this one.
std::string next_process_name();
}  // namespace detail

/// How a Process is made (designated initialisers: `{.name = "w", .daemon = true}`).
struct ProcessOptions {
  /// The process's name (current_process().name in the child); empty: "Process-N".
  std::string name{};  // empty: "Process-N"
  /// A daemon child is terminated, not joined, by the destructor and may not start children.
  bool daemon = false;
  /// fork, spawn or forkserver for this child; empty: get_start_method().
  std::optional<StartMethod> start_method{};  // empty: get_start_method()
};

/// Python's multiprocessing.Process: runs `target(args...)` in a child process. The target is
/// a function pointer or a capture-less lambda; the arguments are serialised at construction
/// and travel as task arguments do (handles as fds). The child exits 0 when the target
/// returns, 1 when it throws (after printing the exception to stderr).
/// Thread safety: one Process object is used by one thread at a time.
/// @code
/// concur::multiprocessing::Process p(+[](int n) { std::printf("%d\n", n); }, 42);
/// p.start();
/// p.join();  // p.exitcode() == 0
/// @endcode
class Process {
 public:
  /// A process that will run `target(args...)`, with default options. Throws what serialising
  /// the arguments throws.
  template <class F, class... A>
  explicit Process(F target, A... args) : Process(ProcessOptions{}, target, std::move(args)...) {}
  /// A process that will run `target(args...)`, named and started as `options` say.
  template <class F, class... A>
  Process(ProcessOptions options, F target, A... args)
      : options_(std::move(options)), call_(detail::call_message(target, std::move(args)...)) {
    if (options_.name.empty()) options_.name = detail::next_process_name();
    call_.kind = detail::Kind::process_task;
  }
  /// Joins a started child (terminates a daemon one first).
  ~Process();
  /// Moves the child (started or not) into this object; the source is left empty.
  Process(Process&&) noexcept;
  /// Takes the other object's child. A started child this object held is not joined here
  /// (it stays in active_children()): join it before assigning.
  Process& operator=(Process&&) noexcept;

  /// Starts the child. Throws ProcessError if already started or if this process is a
  /// daemon, std::system_error.
  void start();
  /// Waits for the child to exit. Throws ProcessError if not started.
  void join();
  /// Waits at most `timeout`; true if the child exited.
  bool join_for(Duration timeout);
  /// Started and not exited yet (reaps it if it exited).
  bool is_alive();
  /// The exit code once exited (negative N: killed by signal N), nullopt before.
  std::optional<int> exitcode() const;
  /// The child's pid; 0 before start().
  pid_t pid() const;
  /// Sends SIGTERM / SIGKILL (nothing if not running).
  void terminate();
  /// Sends SIGKILL (nothing if not running).
  void kill();
  /// Releases the child's resources (its pidfd, its entry in active_children()). Throws
  /// std::invalid_argument if it is still running. Idempotent.
  void close();
  /// The process's name (ProcessOptions::name, or "Process-N"). Valid after close().
  std::string name() const { return options_.name; }
  /// Whether it is a daemon process. Valid after close().
  bool daemon() const { return options_.daemon; }
  /// A pidfd of the child: readable (poll/epoll, multiprocessing::wait) once it has ended.
  /// Owned by the Process. Throws ProcessError before start().
  int sentinel() const;

 private:
  void check_open() const;
  ProcessOptions options_;
  detail::Message call_;
  std::shared_ptr<detail::WorkerLink> link_;  // shared: active_children() watches it
  bool closed_ = false;
};

/// A process's name and pid.
struct ProcessInfo {
  /// The process's name ("MainProcess", a Process's name, "ForkPoolWorker-N"...).
  std::string name;
  /// Its process id.
  pid_t pid;
};
/// This process: "MainProcess" in the program, the Process's name in a child, and
/// "ForkPoolWorker-N" (or the start method's) in a pool worker.
ProcessInfo current_process();
/// The process that started this one; nullopt in the main process.
std::optional<ProcessInfo> parent_process();
/// The pids of the started Process children still running; reaps the finished ones.
std::vector<pid_t> active_children();

}  // namespace concur::multiprocessing
