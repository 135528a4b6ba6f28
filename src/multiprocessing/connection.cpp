#include "concur/multiprocessing/connection.hpp"

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cmath>
#include <system_error>

#include "multiprocessing/channel.hpp"

namespace concur::multiprocessing {

struct Connection::End {
  std::atomic<int> fd;
  explicit End(int f) : fd(f) {}
  ~End() { detail::close_fd(fd.exchange(-1)); }
};

Connection::Connection(int fd) {
  if (fd >= 0) end_ = std::make_shared<End>(fd);
}

int Connection::fileno() const { return end_ ? end_->fd.load() : -1; }
bool Connection::closed() const { return fileno() < 0; }

void Connection::close() {
  if (end_) detail::close_fd(end_->fd.exchange(-1));
}

void Connection::send_bytes_(const std::string& body, detail::FdList& fds) {
  const int fd = fileno();
  if (fd < 0) throw ProcessError("concur::multiprocessing: send() on a closed Connection");
  detail::Message m;
  m.kind = detail::Kind::bytes;
  m.body = detail::Payload::from_string(body);
  m.fds = std::move(fds);
  if (!detail::send_message(fd, m))
    throw std::system_error(EPIPE, std::generic_category(),
                            "concur::multiprocessing: Connection.send");
}

void Connection::recv_bytes_(std::string& body, detail::FdList& fds) {
  const int fd = fileno();
  if (fd < 0) throw ProcessError("concur::multiprocessing: recv() on a closed Connection");
  detail::Message m;
  if (!detail::recv_message(fd, m)) throw EOFError("concur::multiprocessing: Connection closed");
  body = std::string(m.body.view());
  fds = std::move(m.fds);
}

bool Connection::poll(Duration timeout) {
  const int fd = fileno();
  if (fd < 0) throw ProcessError("concur::multiprocessing: poll() on a closed Connection");
  const double ms = std::ceil(timeout.count() * 1000.0);
  return detail::wait_readable(fd, ms > 2e9 ? -1 : static_cast<int>(ms < 0 ? 0 : ms));
}

void Connection::adopt_dup_(int fd) {
  const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) detail::throw_errno("fcntl(F_DUPFD_CLOEXEC)");
  end_ = std::make_shared<End>(copy);
}

std::pair<Connection, Connection> Pipe(bool duplex) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    detail::throw_errno("socketpair");
  if (!duplex) {
    ::shutdown(sv[0], SHUT_WR);
    ::shutdown(sv[1], SHUT_RD);
  }
  return {Connection(sv[0]), Connection(sv[1])};
}

}  // namespace concur::multiprocessing
