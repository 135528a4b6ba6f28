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
// Spawning never fork()s this process: clone(CLONE_VM|CLONE_VFORK) runs the child on a small
// stack of its own until exec, so a spawn costs the same from a 4 GiB parent as from a tiny one.
// Exec/chdir failures are thrown by the constructor as SpawnError with the child's errno.
//
// Thread safety: distinct Popen objects are independent and may be created from many threads at
// once (every fd is O_CLOEXEC from birth). One Popen is used by one thread at a time, except that
// pid(), send_signal(), terminate() and kill() may be called from other threads while one thread
// waits or communicates.
#pragma once

#include <sys/types.h>

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
  /// Starts `args` (args[0] is searched in PATH — the child's env PATH if `env` is given — unless
  /// it contains '/'). Throws SpawnError (missing/not executable program, missing cwd, redirect
  /// file), std::invalid_argument (empty args, STDOUT for in/out).
  explicit Popen(std::vector<std::string> args, Options options = {});
  ~Popen();
  Popen(Popen&&) noexcept;
  Popen& operator=(Popen&&) noexcept;
  Popen(const Popen&) = delete;
  Popen& operator=(const Popen&) = delete;

  pid_t pid() const;
  const std::vector<std::string>& args() const;
  /// nullopt while running (as far as we know); negative N: killed by signal N.
  std::optional<int> returncode() const;
  /// Reaps the child if it has exited; never blocks.
  std::optional<int> poll();
  /// Waits for the child; throws TimeoutExpired (child left running) if `timeout` passes.
  int wait(std::optional<Duration> timeout = {});
  /// As wait(timeout) but returns nullopt on timeout; never throws.
  std::optional<int> wait_for(Duration timeout);

  struct Output {
    std::string out, err;
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

  /// Our pipe ends; throw std::logic_error if that stream is not Stream::pipe. They stay valid
  /// after close() (fileno() is then -1), as Python's p.stdout does.
  PipeStream& in();
  PipeStream& out();
  PipeStream& err();

  struct State;  // implementation detail

 private:
  friend struct PopenAccess;
  std::unique_ptr<State> state_;
};

}  // namespace concur::subprocess
