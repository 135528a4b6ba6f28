// Connection: one end of a stream socket carrying Python-framed messages (frame.hpp), and
// wait() over any pollable fds.
#include "concur/multiprocessing/connection.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cmath>
#include <stdexcept>
#include <system_error>

#include "concur/detail/core/deadline.hpp"
#include "concur/detail/core/error.hpp"
#include "concur/detail/core/fd.hpp"
#include "multiprocessing/frame.hpp"

namespace concur::multiprocessing {

struct Connection::End {
  std::atomic<int> fd;
  std::atomic<bool> unreadable{false};  // a malformed or oversized message was refused
  std::atomic<std::size_t> max{detail::default_max_message};
  explicit End(int f) : fd(f) {}
  ~End() { concur::detail::close_fd(fd.exchange(-1)); }
};

Connection::Connection(int fd) {
  if (fd >= 0) end_ = std::make_shared<End>(fd);
}

int Connection::fileno() const { return end_ ? end_->fd.load() : -1; }
bool Connection::closed() const { return fileno() < 0; }

void Connection::close() {
  if (end_) concur::detail::close_fd(end_->fd.exchange(-1));
}

void Connection::set_max_message_size(std::size_t n) {
  if (!end_) throw ProcessError("concur::multiprocessing: an empty Connection handle");
  end_->max = n;
}

std::size_t Connection::max_message_size() const {
  return end_ ? end_->max.load() : detail::default_max_message;
}

void Connection::send_frame_(std::string_view body, detail::FdList* fds) {
  const int fd = fileno();
  if (fd < 0) throw ProcessError("concur::multiprocessing: send on a closed Connection");
  if (fds != nullptr && !fds->empty()) {
    int domain = 0;
    socklen_t len = sizeof domain;
    if (::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0 || domain != AF_UNIX)
      throw ProcessError(
          "concur::multiprocessing: handles (SharedArray, Connection...) travel only over "
          "AF_UNIX connections, not over TCP");
  }
  if (!detail::send_frame(fd, body, fds))
    throw std::system_error(EPIPE, std::generic_category(),
                            "concur::multiprocessing: Connection.send: the other end is closed");
}

void Connection::recv_frame_(std::string& body, detail::FdList* fds,
                             std::optional<std::size_t> max) {
  const int fd = fileno();
  if (fd < 0) throw ProcessError("concur::multiprocessing: recv on a closed Connection");
  if (end_->unreadable)
    throw ProcessError(
        "concur::multiprocessing: Connection no longer readable: an earlier message was "
        "refused (malformed or too long)");
  bool got = false;
  try {
    got = detail::recv_frame(fd, max.value_or(end_->max.load()), body, fds);
  } catch (const std::system_error& e) {
    if (e.code().value() == EMSGSIZE || e.code().value() == EPROTO) end_->unreadable = true;
    throw;
  }
  if (!got) throw EOFError("concur::multiprocessing: Connection closed by the other end");
}

bool Connection::poll(Duration timeout) {
  const int fd = fileno();
  if (fd < 0) throw ProcessError("concur::multiprocessing: poll() on a closed Connection");
  return !wait({fd}, timeout).empty();
}

void Connection::adopt_dup_(int fd) {
  const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) concur::detail::throw_errno("concur::multiprocessing: fcntl(F_DUPFD_CLOEXEC)");
  end_ = std::make_shared<End>(copy);
}

std::pair<Connection, Connection> Pipe(bool duplex) {
  auto [a, b] = concur::detail::make_socketpair();
  if (!duplex) {
    ::shutdown(a.get(), SHUT_WR);
    ::shutdown(b.get(), SHUT_RD);
  }
  return {Connection(a.release()), Connection(b.release())};
}

std::vector<std::size_t> wait(std::span<const int> fds, std::optional<Duration> timeout) {
  std::vector<pollfd> p(fds.size());
  for (std::size_t i = 0; i < fds.size(); ++i) p[i] = {fds[i], POLLIN, 0};
  const auto deadline = concur::detail::Deadline::after(timeout);
  for (;;) {
    const int r = ::poll(p.data(), p.size(), deadline.poll_ms());
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) concur::detail::throw_errno("concur::multiprocessing: wait: poll");
    std::vector<std::size_t> ready;
    for (std::size_t i = 0; i < p.size(); ++i) {
      if (p[i].revents & POLLNVAL)
        throw std::invalid_argument("concur::multiprocessing: wait: fd " + std::to_string(fds[i]) +
                                    " is not open");
      if (p[i].revents != 0) ready.push_back(i);
    }
    if (!ready.empty() || deadline.expired()) return ready;
  }
}

}  // namespace concur::multiprocessing
