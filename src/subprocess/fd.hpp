// Private: a unique file descriptor and small syscall helpers shared by concur::subprocess.
#pragma once

#include <cerrno>
#include <string>
#include <system_error>
#include <utility>

namespace concur::subprocess::detail {

/// Owns one fd; closes it on destruction. close() ignores EINTR: on Linux the fd is gone anyway.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1);
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

/// Closes `fd` if >= 0, preserving errno.
void close_fd(int fd) noexcept;

/// A pipe: both ends O_CLOEXEC. Throws std::system_error.
std::pair<UniqueFd, UniqueFd> make_pipe();

/// Sets O_NONBLOCK on `fd`. Throws std::system_error.
void set_nonblocking(int fd);

/// Asks for a pipe buffer of `bytes` (F_SETPIPE_SZ); keeps the current size if refused
/// (pipe-max-size, or the user's pipe-user-pages quota).
void grow_pipe(int fd, int bytes) noexcept;

/// Throws std::system_error(errno, what).
[[noreturn]] void throw_errno(const std::string& what);

}  // namespace concur::subprocess::detail
