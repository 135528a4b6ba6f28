// Python's connection framing over a stream socket (or a pipe), with fds beside it.
#include "multiprocessing/frame.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "concur/detail/core/error.hpp"
#include "concur/detail/core/fd.hpp"

namespace concur::multiprocessing::detail {
namespace {

constexpr std::size_t max_fds = 250;          // SCM_MAX_FD is 253
constexpr std::size_t first_chunk = 1 << 20;  // what a length may make us allocate up front
constexpr std::uint64_t short_limit = 0x7fffffff;

[[noreturn]] void protocol_error(const std::string& what) {
  throw std::system_error(EPROTO, std::generic_category(),
                          "concur::multiprocessing: Connection: " + what);
}

void put_be(char* p, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i, v >>= 8) p[i] = static_cast<char>(v & 0xff);
}

std::uint64_t get_be(const char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

bool peer_gone(int err) { return err == EPIPE || err == ECONNRESET; }

// One recvmsg into [p, p + n), collecting any fds (into `fds`, or closing them). Returns the
// bytes read, 0 at EOF.
std::size_t recv_some(int sock, char* p, std::size_t n, FdList* fds) {
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * max_fds)];
  for (;;) {
    iovec iov{p, n};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t r = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    if (r < 0 && errno == ENOTSOCK) r = ::read(sock, p, n);  // a pipe end
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == ECONNRESET) return 0;
      concur::detail::throw_errno("concur::multiprocessing: Connection: recvmsg");
    }
    if (r > 0 || msg.msg_controllen > 0) {
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < count; ++i) {
          int fd;
          std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
          if (fds != nullptr)
            fds->push(fd);
          else
            concur::detail::close_fd(fd);
        }
      }
      if (msg.msg_flags & MSG_CTRUNC) protocol_error("too many file descriptors in one message");
    }
    return static_cast<std::size_t>(r);
  }
}

// Reads exactly n bytes; false at EOF before the first, throws at EOF after it.
bool recv_exact(int sock, char* p, std::size_t n, FdList* fds, bool eof_ok) {
  std::size_t got = 0;
  while (got < n) {
    const std::size_t r = recv_some(sock, p + got, n - got, fds);
    if (r == 0) {
      if (got == 0 && eof_ok) return false;
      protocol_error("the peer closed the connection in the middle of a message");
    }
    got += r;
  }
  return true;
}

}  // namespace

bool send_frame(int fd, std::string_view body, const FdList* fds) {
  const std::size_t nfds = fds != nullptr ? fds->size() : 0;
  if (nfds > max_fds)
    throw std::invalid_argument("concur::multiprocessing: more than 250 handles in one message");
  char header[12];
  std::size_t hlen = 4;
  if (body.size() > short_limit) {
    put_be(header, 0xffffffffu, 4);  // -1: an 8-byte length follows
    put_be(header + 4, body.size(), 8);
    hlen = 12;
  } else {
    put_be(header, body.size(), 4);
  }
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * max_fds)];
  iovec iov[2] = {{header, hlen}, {const_cast<char*>(body.data()), body.size()}};
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = body.empty() ? 1 : 2;
  if (nfds > 0) {
    const std::size_t bytes = sizeof(int) * nfds;
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(bytes);
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(bytes);
    std::memcpy(CMSG_DATA(c), fds->fds().data(), bytes);
  }
  ssize_t w;
  do w = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
  while (w < 0 && errno == EINTR);
  if (w < 0 && errno == ENOTSOCK && nfds == 0) {  // a pipe end: no fds, plain writes
    return concur::detail::write_all(fd, header, hlen) &&
           concur::detail::write_all(fd, body.data(), body.size());
  }
  if (w < 0) {
    if (peer_gone(errno)) return false;
    concur::detail::throw_errno("concur::multiprocessing: Connection: sendmsg");
  }
  auto sent = static_cast<std::size_t>(w);
  if (sent < hlen) {
    if (!concur::detail::write_all(fd, header + sent, hlen - sent)) return false;
    sent = hlen;
  }
  const std::size_t done = sent - hlen;
  return concur::detail::write_all(fd, body.data() + done, body.size() - done);
}

bool recv_frame(int fd, std::size_t max, std::string& body, FdList* fds) {
  char header[8];
  if (!recv_exact(fd, header, 4, fds, true)) return false;
  std::uint64_t n = get_be(header, 4);
  if (n == 0xffffffffu) {
    recv_exact(fd, header, 8, fds, false);
    n = get_be(header, 8);
  } else if (n > short_limit) {
    protocol_error("negative message length " +
                   std::to_string(static_cast<std::int32_t>(static_cast<std::uint32_t>(n))) +
                   " (malformed header)");
  }
  if (n > max)
    throw std::system_error(EMSGSIZE, std::generic_category(),
                            "concur::multiprocessing: Connection: a message of " +
                                std::to_string(n) + " bytes exceeds the limit of " +
                                std::to_string(max) + " bytes");
  // Grow with what actually arrives: a peer announcing 1 GiB and sending 5 bytes costs 1 MiB.
  const auto len = static_cast<std::size_t>(n);
  body.clear();
  std::size_t got = 0;
  while (got < len) {
    if (body.size() == got) {
      const std::size_t want = std::min(len, std::max(first_chunk, 2 * body.size()));
      body.resize(want);
    }
    const std::size_t r = recv_some(fd, body.data() + got, body.size() - got, fds);
    if (r == 0) protocol_error("the peer closed the connection in the middle of a message");
    got += r;
  }
  body.resize(len);
  return true;
}

}  // namespace concur::multiprocessing::detail
