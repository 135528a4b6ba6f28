#include "multiprocessing/channel.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "concur/multiprocessing/errors.hpp"

namespace concur::multiprocessing::detail {
namespace {

struct Header {
  std::uint32_t kind;
  std::uint32_t nfds;
  std::uint64_t id, a, b, len;
};
static_assert(sizeof(Header) == 40);

constexpr std::size_t max_fds = 250;  // SCM_MAX_FD is 253

bool peer_gone(int err) { return err == EPIPE || err == ECONNRESET; }

}  // namespace

void throw_errno(const char* call) {
  throw std::system_error(errno, std::generic_category(),
                          std::string("concur::multiprocessing: ") + call);
}

void tune_channel(int sock) noexcept {
  const int size = 1 << 20;  // capped by net.core.wmem_max / rmem_max
  ::setsockopt(sock, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  ::setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
}

void close_fd(int fd) noexcept {
  if (fd >= 0) ::close(fd);
}

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

bool wait_readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  for (;;) {
    const int r = ::poll(&p, 1, timeout_ms);
    if (r < 0 && errno == EINTR) continue;  // a retry may wait a little longer: harmless
    if (r < 0) throw_errno("poll");
    return r > 0;
  }
}

bool send_message(int sock, const Message& m) {
  if (m.fds.size() > max_fds)
    throw ProcessError("concur::multiprocessing: too many handles in one message");
  Header h{static_cast<std::uint32_t>(m.kind),
           static_cast<std::uint32_t>(m.fds.size()),
           m.id,
           m.a,
           m.b,
           m.body.size()};
  // The first sendmsg carries the fds with (part of) the header; the kernel attaches them to
  // the first byte, and the receiver collects fds on every recvmsg of the frame.
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * max_fds)];
  iovec iov[2] = {{&h, sizeof h}, {const_cast<char*>(m.body.data()), m.body.size()}};
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = m.body.empty() ? 1 : 2;
  if (!m.fds.empty()) {
    const std::size_t bytes = sizeof(int) * m.fds.size();
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(bytes);
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(bytes);
    std::memcpy(CMSG_DATA(c), m.fds.fds().data(), bytes);
  }
  ssize_t w;
  do w = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (w < 0 && errno == EINTR);
  if (w < 0) {
    if (peer_gone(errno)) return false;
    throw_errno("sendmsg");
  }
  std::size_t sent = static_cast<std::size_t>(w);
  if (sent < sizeof h) {
    if (!write_all(sock, reinterpret_cast<const char*>(&h) + sent, sizeof h - sent)) return false;
    sent = sizeof h;
  }
  const std::size_t body_sent = sent - sizeof h;
  return write_all(sock, m.body.data() + body_sent, m.body.size() - body_sent);
}

namespace {

// Reads exactly n bytes with recvmsg, collecting any fds that arrive. Returns bytes read.
std::size_t recv_collect(int sock, char* p, std::size_t n, FdList& fds) {
  std::size_t got = 0;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * max_fds)];
  while (got < n) {
    iovec iov{p + got, n - got};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t r = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == ECONNRESET) return got;
      throw_errno("recvmsg");
    }
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (std::size_t i = 0; i < count; ++i) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        fds.push(fd);
      }
    }
    if (msg.msg_flags & MSG_CTRUNC) throw ProcessError("concur::multiprocessing: fds truncated");
    if (r == 0) return got;
    got += static_cast<std::size_t>(r);
  }
  return got;
}

}  // namespace

bool recv_message(int sock, Message& m) {
  Header h{};
  FdList fds;
  const std::size_t got = recv_collect(sock, reinterpret_cast<char*>(&h), sizeof h, fds);
  if (got == 0) return false;
  if (got < sizeof h) throw ProcessError("concur::multiprocessing: connection closed mid-message");
  m.kind = static_cast<Kind>(h.kind);
  m.id = h.id;
  m.a = h.a;
  m.b = h.b;
  m.body.clear();
  m.body.resize(h.len);
  if (h.len > 0 && recv_collect(sock, m.body.data(), h.len, fds) < h.len)
    throw ProcessError("concur::multiprocessing: connection closed mid-message");
  if (fds.size() != h.nfds) throw ProcessError("concur::multiprocessing: handle count mismatch");
  m.fds = std::move(fds);
  return true;
}

}  // namespace concur::multiprocessing::detail
