// concur/multiprocessing/process.hpp — one function run in a child process.
//
//   concur::multiprocessing::Process p(+[](int n, Connection out) { out.send(n * 2); }, 21,
//   child_end); p.start(); p.join();                       // p.exitcode() == 0
//
// The target is a function pointer or a capture-less lambda; the arguments are serialized when
// the Process is constructed and travel as task arguments do (handles as fds). The child
// exits with 0 when the target returns, with 1 when it throws (after printing the exception's
// type and message to stderr), and dies with this process (PR_SET_PDEATHSIG). It is started
// with the method of set_start_method() (fork by default).
//
// Thread safety: one Process object is used by one thread at a time.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>

#include "concur/duration.hpp"
#include "concur/multiprocessing/errors.hpp"
#include "concur/multiprocessing/trampolines.hpp"

namespace concur::multiprocessing {

namespace detail {
class WorkerLink;
}

class Process {
 public:
  template <class F, class... A>
  explicit Process(F target, A... args)
      : trampoline_(reinterpret_cast<std::uintptr_t>(
            &detail::apply_trampoline<F, std::tuple<std::decay_t<A>...>>)),
        fn_(detail::fn_address(target)) {
    detail::write_values(body_, fds_, std::tuple<std::decay_t<A>...>(std::move(args)...));
  }
  /// Waits for a started child to exit (as Python joins non-daemon processes at exit).
  ~Process();
  Process(Process&&) noexcept;
  Process& operator=(Process&&) noexcept;

  /// Starts the child. Throws ProcessError if already started, std::system_error.
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
  void kill();

 private:
  std::uintptr_t trampoline_, fn_;
  std::string body_;
  detail::FdList fds_;
  std::shared_ptr<detail::WorkerLink> link_;  // shared_ptr: WorkerLink is incomplete here
};

}  // namespace concur::multiprocessing
