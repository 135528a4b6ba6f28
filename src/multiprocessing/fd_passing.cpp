// sendmsg/recvmsg with SCM_RIGHTS: see fd_passing.hpp.
#include "multiprocessing/fd_passing.hpp"

#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "concur/detail/core/error.hpp"
#include "concur/detail/core/fd.hpp"

namespace concur::multiprocessing::detail {
namespace {

bool peer_gone(int err) { return err == EPIPE || err == ECONNRESET; }

// A control buffer holding `fds` as one SCM_RIGHTS message, attached to `msg`.
struct Control {
  alignas(cmsghdr) char buf[CMSG_SPACE(sizeof(int) * max_passed_fds)];
  void attach(msghdr& msg, std::span<const int> fds) {
    if (fds.empty()) return;
    if (fds.size() > max_passed_fds)
      throw std::invalid_argument("concur::multiprocessing: more than " +
                                  std::to_string(max_passed_fds) + " handles in one message");
    const std::size_t bytes = sizeof(int) * fds.size();
    msg.msg_control = buf;
    msg.msg_controllen = CMSG_SPACE(bytes);
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(bytes);
    std::memcpy(CMSG_DATA(c), fds.data(), bytes);
  }
};

}  // namespace

bool send_with_fds(int sock, std::string_view head, std::string_view body, std::span<const int> fds,
                   const char* what) {
  Control control;
  iovec iov[2] = {{const_cast<char*>(head.data()), head.size()},
                  {const_cast<char*>(body.data()), body.size()}};
  msghdr msg{};
  msg.msg_iov = head.empty() ? iov + 1 : iov;
  msg.msg_iovlen = head.empty() || body.empty() ? 1 : 2;
  control.attach(msg, fds);
  ssize_t w;
  do w = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (w < 0 && errno == EINTR);
  if (w < 0 && errno == ENOTSOCK && fds.empty())  // a pipe end: plain writes
    return concur::detail::write_all(sock, head.data(), head.size()) &&
           concur::detail::write_all(sock, body.data(), body.size());
  if (w < 0) {
    if (peer_gone(errno)) return false;
    concur::detail::throw_errno(what);
  }
  auto sent = static_cast<std::size_t>(w);
  if (sent < head.size()) {
    if (!concur::detail::write_all(sock, head.data() + sent, head.size() - sent)) return false;
    sent = head.size();
  }
  const std::size_t done = sent - head.size();
  return concur::detail::write_all(sock, body.data() + done, body.size() - done);
}

bool try_send_with_fds(int sock, std::string_view bytes, std::span<const int> fds,
                       const char* what) {
  Control control;
  iovec iov{const_cast<char*>(bytes.data()), bytes.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  control.attach(msg, fds);
  for (;;) {
    if (::sendmsg(sock, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) return true;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) return false;
    concur::detail::throw_errno(what);
  }
}

Received recv_with_fds(int sock, void* p, std::size_t n, FdList* fds, const char* what, int flags) {
  // Room for a few more than we send: a peer that sends too many is told apart (truncated).
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * (max_passed_fds + 4))];
  for (;;) {
    iovec iov{p, n};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t r = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | flags);
    if (r < 0 && errno == ENOTSOCK) {  // a pipe end
      r = ::read(sock, p, n);
      msg.msg_controllen = 0;
      msg.msg_flags = 0;
    }
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == ECONNRESET) return {};
      if ((flags & MSG_DONTWAIT) != 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return {0, false, true};
      concur::detail::throw_errno(what);
    }
    for (cmsghdr* c = msg.msg_controllen > 0 ? CMSG_FIRSTHDR(&msg) : nullptr; c != nullptr;
         c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (std::size_t i = 0; i < count; ++i) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        if (fds != nullptr)
          fds->push(fd);  // owned now: closed with `fds` whatever happens next
        else
          concur::detail::close_fd(fd);
      }
    }
    return {static_cast<std::size_t>(r), (msg.msg_flags & MSG_CTRUNC) != 0, false};
  }
}

Received recv_polling(int sock, void* p, std::size_t n, FdList* fds, const char* what,
                      std::chrono::microseconds poll_for) {
  if (poll_for.count() <= 0) return recv_with_fds(sock, p, n, fds, what);
  const auto until = std::chrono::steady_clock::now() + poll_for;
  Received r = recv_with_fds(sock, p, n, fds, what, MSG_DONTWAIT);
  while (r.would_block && std::chrono::steady_clock::now() < until) {
    ::sched_yield();
    r = recv_with_fds(sock, p, n, fds, what, MSG_DONTWAIT);
  }
  if (r.would_block) r = recv_with_fds(sock, p, n, fds, what);
  return r;
}

}  // namespace concur::multiprocessing::detail
