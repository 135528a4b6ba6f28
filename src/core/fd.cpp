// The one owned-fd type and the EINTR-safe I/O loops of concur (concur/detail/core/fd.hpp).
#include "concur/detail/core/fd.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "concur/detail/core/deadline.hpp"
#include "concur/detail/core/error.hpp"

namespace concur::detail {

void UniqueFd::reset(int fd) noexcept { close_fd(std::exchange(fd_, fd)); }

void close_fd(int fd) noexcept {
  if (fd < 0) return;
  const int saved = errno;
  ::close(fd);  // no retry on EINTR: Linux always releases the fd
  errno = saved;
}

std::pair<UniqueFd, UniqueFd> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe2");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

std::pair<UniqueFd, UniqueFd> make_socketpair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) throw_errno("socketpair");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void set_nonblocking(int fd, bool on) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) throw_errno("fcntl(F_GETFL)");
  const int want = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
  if (want != flags && ::fcntl(fd, F_SETFL, want) < 0) throw_errno("fcntl(O_NONBLOCK)");
}

namespace {
bool peer_gone(int err) { return err == EPIPE || err == ECONNRESET; }
}  // namespace

bool write_all(int fd, const void* data, std::size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const char* call = "send";
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == ENOTSOCK) {
      call = "write";
      w = ::write(fd, p, n);
    }
    if (w < 0) {
      if (errno == EINTR) continue;
      if (peer_gone(errno)) return false;
      throw_errno(call);
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

std::size_t read_all(int fd, void* data, std::size_t n) {
  char* p = static_cast<char*>(data);
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = ::read(fd, p + got, n - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == ECONNRESET) return got;
      throw_errno("read");
    }
    if (r == 0) return got;
    got += static_cast<std::size_t>(r);
  }
  return got;
}

std::string read_to_end(int fd, std::size_t cap) {
  std::string data;
  std::size_t got = 0;
  for (std::size_t size = std::min<std::size_t>(cap, 4096);; size = std::min(cap, size * 4)) {
    data.resize(size);
    got += read_all(fd, data.data() + got, size - got);
    if (got < size || size == cap) break;
  }
  data.resize(got);
  return data;
}

bool wait_readable(int fd, int timeout_ms) {
  const Deadline deadline =
      timeout_ms < 0 ? Deadline::never() : Deadline::after(std::chrono::milliseconds(timeout_ms));
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, deadline.poll_ms());
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) throw_errno("poll");
  }
}

}  // namespace concur::detail
