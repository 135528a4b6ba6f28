// concur/detail/core/fd.hpp — the one owned-fd type of concur, and fd helpers.
//
// Internal (used by every module and by the concur app); not part of the API.
// Every fd concur opens is O_CLOEXEC from birth. close() is never retried on EINTR: Linux
// always releases the descriptor.
//
//   auto [r, w] = concur::detail::make_pipe();
//   concur::detail::write_all(w.get(), "x", 1);
//
// Thread safety: UniqueFd is a value type (one owner); the functions are thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <utility>

namespace concur::detail {

/// Owns one fd; closes it on destruction. Move-only.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  ~UniqueFd() {
    if (fd_ >= 0) reset();
  }
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) reset(std::exchange(o.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const noexcept { return fd_; }
  /// Gives up ownership: the caller closes the returned fd.
  int release() noexcept { return std::exchange(fd_, -1); }
  /// Closes the owned fd (if any) and owns `fd` instead.
  void reset(int fd = -1) noexcept;
  explicit operator bool() const noexcept { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

/// Closes `fd` if >= 0, preserving errno. Never retries on EINTR.
void close_fd(int fd) noexcept;

/// A pipe, both ends O_CLOEXEC: {read end, write end}. Throws std::system_error.
std::pair<UniqueFd, UniqueFd> make_pipe();

/// A connected AF_UNIX SOCK_STREAM socketpair, both ends O_CLOEXEC. Throws std::system_error.
std::pair<UniqueFd, UniqueFd> make_socketpair();

/// Sets O_NONBLOCK on `fd` (on = true) or clears it. Throws std::system_error.
void set_nonblocking(int fd, bool on = true);

/// Writes all `n` bytes: EINTR and short writes are retried; sockets use MSG_NOSIGNAL, so a
/// closed peer never raises SIGPIPE. Returns false (errno set) when the peer is gone (EPIPE,
/// ECONNRESET); throws std::system_error naming the call on any other error.
bool write_all(int fd, const void* data, std::size_t n);

/// Reads until `n` bytes, EOF or a reset connection; EINTR is retried. Returns the bytes read
/// (< n at EOF). Throws std::system_error naming the call on any other error.
std::size_t read_all(int fd, void* data, std::size_t n);

/// Everything `fd` yields until EOF (or a reset connection), at most `cap` bytes (the rest is
/// left unread). The buffer grows with what arrives, from 4 KiB: a small /proc file costs one
/// small allocation, a pipe's 1 GiB costs what it sends. Throws std::system_error naming the
/// call on a read error.
std::string read_to_end(int fd, std::size_t cap = std::string::npos);

/// Waits until `fd` is readable (or hung up) for at most `timeout_ms` (-1: forever); EINTR
/// restarts with the time left. Returns false on timeout. Throws std::system_error.
bool wait_readable(int fd, int timeout_ms);

}  // namespace concur::detail
