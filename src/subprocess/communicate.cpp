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

#include "concur/subprocess/popen.hpp"
#include "subprocess/fd.hpp"
#include "subprocess/sigpipe.hpp"
#include "subprocess/state.hpp"
#include "subprocess/text.hpp"

namespace concur::subprocess {
namespace {

constexpr std::size_t min_read = 256 * 1024;
constexpr std::size_t big_input = 4 << 20;  // from here on, larger pipes pay for themselves
constexpr int big_pipe = 1 << 20;
constexpr std::size_t max_write = 1024 * 1024;

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
    if (errno != EINTR) detail::throw_errno("read from child");
  }
}

std::string text_of(std::string bytes, const Sink& sink) {
  bool pending_cr = sink.skip_lf;
  detail::normalise_newlines(bytes, pending_cr);
  return bytes;
}

std::string snapshot(const Sink& raw, bool text) {
  return text ? text_of(raw.copy(), raw) : raw.copy();
}

}  // namespace

Popen::Output Popen::communicate(std::optional<std::string> input,
                                 std::optional<Duration> timeout) {
  State& s = *state_;
  const auto deadline = deadline_after(timeout);
  int& in_fd = PopenAccess::fd(s.in);
  int& out_fd = PopenAccess::fd(s.out);
  int& err_fd = PopenAccess::fd(s.err);
  if (!s.communicating) {
    if (input && !input->empty() && in_fd < 0)
      throw std::logic_error("concur::subprocess::Popen::communicate: input without in=PIPE");
    s.communicating = true;
    if (input) s.input = std::move(*input);
    s.out_raw.hint = s.input.size() + 2 * Sink::ahead;  // room for the last reads: no regrowth
    if (in_fd >= 0 && s.input.size() >= big_input) detail::grow_pipe(in_fd, big_pipe);
    if (out_fd >= 0 && s.input.size() >= big_input) detail::grow_pipe(out_fd, big_pipe);
    if (in_fd >= 0 && s.input.empty()) s.in.close();
    // Whatever read()/readline() already buffered comes first.
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
  } else if (input && !input->empty()) {
    throw std::logic_error("concur::subprocess::Popen::communicate: input after the first call");
  }

  detail::SigpipeGuard guard;
  while (in_fd >= 0 || out_fd >= 0 || err_fd >= 0 || !s.returncode) {
    pollfd fds[4];
    nfds_t n = 0;
    if (in_fd >= 0) fds[n++] = {in_fd, POLLOUT, 0};
    if (out_fd >= 0) fds[n++] = {out_fd, POLLIN, 0};
    if (err_fd >= 0) fds[n++] = {err_fd, POLLIN, 0};
    const bool pipes_open = n > 0;
    if (!s.returncode && s.pidfd) fds[n++] = {s.pidfd.get(), POLLIN, 0};
    if (!pipes_open && (!s.pidfd || !deadline)) {  // only the exit is left: waitpid suffices
      if (!s.wait_until(deadline)) break;
      continue;
    }
    timespec ts{};
    timespec* tsp = nullptr;
    if (deadline) {
      const auto left =
          std::chrono::duration_cast<std::chrono::nanoseconds>(*deadline - Clock::now());
      if (left.count() <= 0) break;
      ts = {static_cast<time_t>(left.count() / 1'000'000'000),
            static_cast<long>(left.count() % 1'000'000'000)};
      tsp = &ts;
    }
    const int ready = ::ppoll(fds, n, tsp, nullptr);
    if (ready < 0) {
      if (errno == EINTR) continue;
      detail::throw_errno("ppoll");
    }
    if (ready == 0) break;  // timeout
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      const int fd = fds[i].fd;
      if (fd == in_fd) {
        const std::size_t left = s.input.size() - s.input_done;
        const ssize_t w = ::write(fd, s.input.data() + s.input_done, std::min(left, max_write));
        if (w > 0) s.input_done += static_cast<std::size_t>(w);
        if (w < 0 && errno == EPIPE) guard.note_epipe();  // child stopped reading: as Python
        if ((w < 0 && errno != EAGAIN && errno != EINTR) || s.input_done == s.input.size()) {
          s.in.close();
          s.input.clear();
          s.input.shrink_to_fit();
        }
      } else if (fd == out_fd) {
        if (!drain(fd, s.out_raw)) s.out.close();
      } else if (fd == err_fd) {
        if (!drain(fd, s.err_raw)) s.err.close();
      } else {
        s.reap_nohang();
      }
    }
  }
  if (in_fd >= 0 || out_fd >= 0 || err_fd >= 0 || !s.returncode) {
    throw TimeoutExpired(s.args, timeout.value_or(Duration::zero()), snapshot(s.out_raw, s.text),
                         snapshot(s.err_raw, s.text));
  }
  Output result{s.out_raw.take(), s.err_raw.take()};
  if (s.text) {
    result.out = text_of(std::move(result.out), s.out_raw);
    result.err = text_of(std::move(result.err), s.err_raw);
  }
  return result;
}

}  // namespace concur::subprocess
