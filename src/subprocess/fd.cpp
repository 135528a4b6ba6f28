// Small fd helpers of concur::subprocess.
#include "subprocess/fd.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace concur::subprocess::detail {

void UniqueFd::reset(int fd) { close_fd(std::exchange(fd_, fd)); }

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

void set_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) throw_errno("fcntl(O_NONBLOCK)");
}

void grow_pipe(int fd, int bytes) noexcept {
  const int saved = errno;
  ::fcntl(fd, F_SETPIPE_SZ, bytes);
  errno = saved;
}

void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace concur::subprocess::detail
