// concur/subprocess/popen.hpp — Popen, a running child, and PipeStream, our end of its pipe.
//
//   using namespace concur::subprocess;
//   Popen p({"ls", "-l"}, {.out = PIPE});
//   while (auto line = p.out().readline()) std::cout << *line;
//   int status = p.wait();
//
//   Popen q({"sort"}, {.in = PIPE, .out = PIPE});
//   auto [out, err] = q.communicate("b\na\n", 5s);   // deadlock-free, whatever the sizes
//
//   Popen server({"./serve"}, {.start_new_session = true});
//   ...
//   int rc = server.stop(5s);   // SIGTERM to its session's group, SIGKILL after 5 s, reaped
//
// Spawning never fork()s this process: clone(CLONE_VM|CLONE_VFORK) runs the child on a small
// stack of its own until exec, so a spawn costs the same from a 4 GiB parent as from a tiny one.
// Exec/chdir failures are thrown by the constructor as SpawnError with the child's errno.
//
// Thread safety: distinct Popen objects are independent and may be created from many threads at
// once (every fd is O_CLOEXEC from birth). One Popen is used by one thread at a time, except that
// pid(), pidfd(), send_signal(), terminate() and kill() may be called from other threads while
// one thread waits or communicates.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "concur/duration.hpp"
#include "concur/subprocess/errors.hpp"
#include "concur/subprocess/options.hpp"

namespace concur::subprocess {

/// One of our ends of a child's pipe (Popen::in(), out(), err()). Owned by its Popen.
/// Reads are buffered (readline); mixing read()/readline() with communicate() loses nothing.
class PipeStream {
 public:
  PipeStream() = default;
  ~PipeStream();
  PipeStream(const PipeStream&) = delete;
  PipeStream& operator=(const PipeStream&) = delete;

  /// Writes all of `bytes`. Throws BrokenPipeError if the child closed its end (EPIPE), never
  /// dies of SIGPIPE; std::system_error on other failures; std::logic_error if closed.
  void write(std::string_view bytes);
  /// Reads until `max` bytes or EOF (SIZE_MAX: until EOF), as Python's read(n). "" at EOF.
  std::string read(std::size_t max = SIZE_MAX);
  /// The next line, '\n' kept; the last line may lack it; nullopt at EOF.
  std::optional<std::string> readline();
  /// Closes our end (idempotent). The child then sees EOF (stdin) or SIGPIPE/EPIPE (out/err).
  void close();
  /// Our fd, or -1 once closed / when not piped.
  int fileno() const;

 private:
  friend class Popen;
  friend struct PopenAccess;
  bool fill();  // one read into buffer_; false at EOF
  int fd_ = -1;
  bool text_ = false;
  bool pending_cr_ = false;  // text mode: a '\r' ended the last chunk
  std::string buffer_;
  std::size_t pos_ = 0;
};

/// A child process (Python's Popen). Move-only; the destructor closes our pipe ends, then waits
/// for the child (as Python's `with Popen(...)` does) and never throws. Kill a child you do not
/// want to wait for before its Popen goes away.
class Popen {
 public:
  /// Starts `args` (args[0] is searched in PATH — the child's env PATH if `env` or `extra_env`
  /// is given — unless it contains '/'). Throws SpawnError (missing/not executable program,
  /// missing cwd, redirect file, unknown user/group, refused pipesize, rlimits or ids — nothing
  /// is left running), std::invalid_argument (empty args, STDOUT for in/out, an option only
  /// run()/call() read: timeout, input, capture_output, check — the message names it).
  explicit Popen(std::vector<std::string> args, Options options = {});
  ~Popen();
  /// Takes over the child and its pipes; the source is left empty.
  Popen(Popen&&) noexcept;
  /// Takes over the other child; this object's own child, if any, is first handled as the
  /// destructor handles it.
  Popen& operator=(Popen&&) noexcept;
  Popen(const Popen&) = delete;
  Popen& operator=(const Popen&) = delete;

  /// The child's process id (still reported after it was reaped).
  pid_t pid() const;
  /// The args as given to the constructor.
  const std::vector<std::string>& args() const;
  /// nullopt while running (as far as we know); negative N: killed by signal N.
  std::optional<int> returncode() const;
  /// Reaps the child if it has exited; never blocks.
  std::optional<int> poll();
  /// Waits for the child; throws TimeoutExpired (child left running) if `timeout` passes.
  int wait(std::optional<Duration> timeout = {});
  /// As wait(timeout) but returns nullopt on timeout; never throws.
  std::optional<int> wait_for(Duration timeout);

  /// What communicate() read.
  struct Output {
    std::string out;  ///< the child's stdout ("" unless out is Stream::pipe)
    std::string err;  ///< the child's stderr ("" unless err is Stream::pipe)
  };
  /// Sends `input` (only allowed on the first call; stdin is then closed), reads out and err to
  /// EOF and waits for the child, all in this thread with poll(): never deadlocks. On timeout
  /// throws TimeoutExpired holding the output so far and leaves the child running; a later
  /// call continues where this one stopped and returns ALL output, nothing lost. EPIPE on stdin
  /// is ignored (the child stopped reading). Throws std::logic_error for input without in=PIPE.
  Output communicate(std::optional<std::string> input = {}, std::optional<Duration> timeout = {});

  /// Sends `sig` (through the pidfd: never hits a recycled pid); nothing once reaped.
  void send_signal(int sig);
  void terminate();  ///< SIGTERM
  void kill();       ///< SIGKILL

  /// Ends the child and returns its returncode (*beyond* Python; folly's terminateOrKill).
  /// SIGTERM (and SIGCONT, so a stopped child can act on it) to the child — to its whole
  /// process group when it leads one (start_new_session, process_group = 0) — then waits up to
  /// `grace` for it to exit; then SIGKILL to whatever is left (the group, or the child), and
  /// reaps it. A grace <= 0 sends SIGKILL at once (run()'s timeout does this, as Python's
  /// kill()). Returns at once if the child was already reaped: its group is then no longer
  /// ours to signal. Throws std::system_error only if a signal cannot be sent.
  int stop(Duration grace = std::chrono::seconds(2));

  /// The child's pidfd (Linux >= 5.3; -1 where unavailable), for epoll/Asio/libuv: it polls
  /// readable once the child has exited; reap it with poll()/wait(). Owned by the Popen, do
  /// not close it. -1 once the child is reaped.
  int pidfd() const;

  /// Our pipe ends; throw std::logic_error if that stream is not Stream::pipe. They stay valid
  /// after close() (fileno() is then -1), as Python's p.stdout does.
  PipeStream& in();
  PipeStream& out();  ///< our end of the child's stdout (see in())
  PipeStream& err();  ///< our end of the child's stderr (see in())

  struct State;  // implementation detail

 private:
  friend struct PopenAccess;
  std::unique_ptr<State> state_;
};

}  // namespace concur::subprocess
