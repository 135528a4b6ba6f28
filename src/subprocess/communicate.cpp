// Popen::communicate: one thread multiplexes stdin, stdout, stderr and the pidfd with ppoll().
//
// Why this shape: a child blocks when a pipe it writes is full, and we block when the pipe we
// write is full; serving every pipe as soon as it is ready is the only way neither side waits on
// the other. Reads go straight into the result strings in large chunks (no intermediate copies),
// writes hand the kernel as much as the pipe takes. Progress lives in the Popen's state, so a
// TimeoutExpired loses nothing and the next call resumes.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include "concur/detail/core/deadline.hpp"
#include "concur/detail/core/error.hpp"
#include "concur/subprocess/popen.hpp"
#include "subprocess/sigpipe.hpp"
#include "subprocess/state.hpp"
#include "subprocess/text.hpp"

namespace concur::subprocess {
namespace {

using concur::detail::Deadline;

constexpr std::size_t min_read = 256 * 1024;
constexpr std::size_t big_input = 4 << 20;  // from here on, larger pipes pay for themselves
constexpr int big_pipe = 1 << 20;
constexpr std::size_t max_write = 1024 * 1024;

// Asks for a pipe buffer of `bytes`; keeps the current size if refused (pipe-max-size, or the
// user's pipe-user-pages quota).
void grow_pipe(int fd, int bytes) noexcept {
  const int saved = errno;
  ::fcntl(fd, F_SETPIPE_SZ, bytes);
  errno = saved;
}

// Our three pipe ends, as stored in the PipeStreams (-1 once closed).
struct Ends {
  explicit Ends(Popen::State& s)
      : in(PopenAccess::fd(s.in)), out(PopenAccess::fd(s.out)), err(PopenAccess::fd(s.err)) {}
  int &in, &out, &err;
  bool any_open() const { return in >= 0 || out >= 0 || err >= 0; }
};

// Reads what is available into `sink`; returns false at EOF.
bool drain(int fd, Sink& sink) {
  while (true) {
    char* at = sink.room(min_read);
    const std::size_t room = sink.room_size();
    const ssize_t n = ::read(fd, at, room);
    if (n > 0) {
      sink.len += static_cast<std::size_t>(n);
      if (static_cast<std::size_t>(n) < room) return true;  // pipe emptied: back to poll
      continue;
    }
    if (n == 0) return false;
    if (errno == EAGAIN) return true;
    if (errno != EINTR) concur::detail::throw_errno("read from child");
  }
}

// Writes the next slice of the input; closes stdin when all is written or the child is gone.
void feed(Popen::State& s, int fd, detail::SigpipeGuard& guard) {
  const std::size_t left = s.input.size() - s.input_done;
  const ssize_t w = ::write(fd, s.input.data() + s.input_done, std::min(left, max_write));
  if (w > 0) s.input_done += static_cast<std::size_t>(w);
  if (w < 0 && errno == EPIPE) guard.note_epipe();  // child stopped reading: as Python
  if ((w < 0 && errno != EAGAIN && errno != EINTR) || s.input_done == s.input.size()) {
    s.in.close();
    s.input.clear();
    s.input.shrink_to_fit();
  }
}

// The first call: takes the input, sizes the pipes, closes an unused stdin, and starts each
// result with what read()/readline() already buffered.
void begin(Popen::State& s, std::optional<std::string>& input) {
  const Ends ends(s);
  if (input && !input->empty() && ends.in < 0)
    throw std::logic_error("concur::subprocess::Popen::communicate: input without in=PIPE");
  s.communicating = true;
  if (input) s.input = std::move(*input);
  s.out_raw.hint = s.input.size() + 2 * Sink::ahead;  // room for the last reads: no regrowth
  if (!s.pipesize_fixed && s.input.size() >= big_input) {
    if (ends.in >= 0) grow_pipe(ends.in, big_pipe);
    if (ends.out >= 0) grow_pipe(ends.out, big_pipe);
  }
  if (ends.in >= 0 && s.input.empty()) s.in.close();
  for (auto [stream, sink] : {std::pair{&s.out, &s.out_raw}, std::pair{&s.err, &s.err_raw}}) {
    if (stream->fileno() < 0) continue;
    sink->data = PopenAccess::take_buffered(*stream);
    if (s.text && PopenAccess::pending_cr(*stream)) {
      // readline() already turned a chunk-ending '\r' into '\n'; a '\n' may follow in the pipe.
      if (sink->data.empty()) {
        sink->skip_lf = true;
      } else {
        sink->data.back() = '\r';  // re-normalised with what follows
      }
    }
    sink->len = sink->data.size();
  }
}

// One round: waits until a pipe or the exit is ready and serves it. False on timeout.
bool serve_once(Popen::State& s, const Deadline& deadline, detail::SigpipeGuard& guard) {
  const Ends ends(s);
  pollfd fds[4];
  nfds_t n = 0;
  if (ends.in >= 0) fds[n++] = {ends.in, POLLOUT, 0};
  if (ends.out >= 0) fds[n++] = {ends.out, POLLIN, 0};
  if (ends.err >= 0) fds[n++] = {ends.err, POLLIN, 0};
  const bool pipes_open = n > 0;
  if (!s.returncode && s.pidfd) fds[n++] = {s.pidfd.get(), POLLIN, 0};
  if (!pipes_open && (!s.pidfd || deadline.is_never()))  // only the exit is left: waitpid
    return s.wait_until(deadline);
  if (deadline.expired()) return false;
  const auto left = deadline.rel_timespec();
  const int ready = ::ppoll(fds, n, left ? &*left : nullptr, nullptr);
  if (ready < 0) {
    if (errno == EINTR) return true;
    concur::detail::throw_errno("ppoll");
  }
  if (ready == 0) return false;
  for (nfds_t i = 0; i < n; ++i) {
    if (fds[i].revents == 0) continue;
    const int fd = fds[i].fd;
    if (fd == ends.in) {
      feed(s, fd, guard);
    } else if (fd == ends.out) {
      if (!drain(fd, s.out_raw)) s.out.close();
    } else if (fd == ends.err) {
      if (!drain(fd, s.err_raw)) s.err.close();
    } else {
      s.reap_nohang();
    }
  }
  return true;
}

std::string text_of(std::string bytes, const Sink& sink) {
  bool pending_cr = sink.skip_lf;
  detail::normalise_newlines(bytes, pending_cr);
  return bytes;
}

std::string snapshot(const Sink& raw, bool text) {
  return text ? text_of(raw.copy(), raw) : raw.copy();
}

// The output so far, kept in the state for the next call.
TimeoutExpired timed_out(const Popen::State& s, std::optional<Duration> timeout) {
  return TimeoutExpired(s.args, timeout.value_or(Duration::zero()), snapshot(s.out_raw, s.text),
                        snapshot(s.err_raw, s.text));
}

// Everything collected, handed over.
Popen::Output take_output(Popen::State& s) {
  Popen::Output result{s.out_raw.take(), s.err_raw.take()};
  if (s.text) {
    result.out = text_of(std::move(result.out), s.out_raw);
    result.err = text_of(std::move(result.err), s.err_raw);
  }
  return result;
}

}  // namespace

Popen::Output Popen::communicate(std::optional<std::string> input,
                                 std::optional<Duration> timeout) {
  State& s = *state_;
  const auto deadline = Deadline::after(timeout);
  if (!s.communicating) {
    begin(s, input);
  } else if (input && !input->empty()) {
    throw std::logic_error("concur::subprocess::Popen::communicate: input after the first call");
  }
  detail::SigpipeGuard guard;
  while (Ends(s).any_open() || !s.returncode) {
    if (!serve_once(s, deadline, guard)) throw timed_out(s, timeout);
  }
  return take_output(s);
}

}  // namespace concur::subprocess
