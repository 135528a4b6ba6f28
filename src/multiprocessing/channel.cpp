#include "multiprocessing/channel.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "concur/multiprocessing/errors.hpp"

namespace concur::multiprocessing::detail {
namespace {

struct Header {
  std::uint32_t kind;
  std::uint32_t nfds;
  std::uint64_t id, trampoline, fn, count, len;
  std::uint32_t flags;
  std::uint32_t reserved;
};
static_assert(sizeof(Header) == 56);

constexpr std::uint32_t body_in_memfd = 1;

bool peer_gone(int err) { return err == EPIPE || err == ECONNRESET; }

[[noreturn]] void malformed(const std::string& what) {
  throw ProcessError("concur::multiprocessing: malformed message: " + what);
}

}  // namespace

void tune_channel(int sock) noexcept {
  const int size = 1 << 20;  // capped by net.core.wmem_max / rmem_max
  ::setsockopt(sock, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  ::setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
}

bool send_message(int sock, Message& m) {
  m.body.finish();
  const bool spilled = m.body.spilled();
  const std::size_t nfds = m.fds.size() + (spilled ? 1 : 0);
  if (nfds > max_frame_fds)
    throw ProcessError("concur::multiprocessing: too many handles in one message");
  const std::string_view inline_body = spilled ? std::string_view{} : m.body.view();
  Header h{static_cast<std::uint32_t>(m.kind),
           static_cast<std::uint32_t>(nfds),
           m.id,
           m.trampoline,
           m.fn,
           m.count,
           m.body.size(),
           spilled ? body_in_memfd : 0u,
           0};
  // The first sendmsg carries the fds with (part of) the header; the kernel attaches them to
  // the first byte, and the receiver collects fds on every recvmsg of the frame.
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * max_frame_fds)];
  iovec iov[2] = {{&h, sizeof h}, {const_cast<char*>(inline_body.data()), inline_body.size()}};
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = inline_body.empty() ? 1 : 2;
  if (nfds > 0) {
    const std::size_t bytes = sizeof(int) * nfds;
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(bytes);
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(bytes);
    if (!m.fds.empty()) std::memcpy(CMSG_DATA(c), m.fds.fds().data(), sizeof(int) * m.fds.size());
    if (spilled) {
      const int fd = m.body.memfd();
      std::memcpy(CMSG_DATA(c) + sizeof(int) * m.fds.size(), &fd, sizeof fd);
    }
  }
  ssize_t w;
  do w = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (w < 0 && errno == EINTR);
  if (w < 0) {
    if (peer_gone(errno)) return false;
    throw_errno("concur::multiprocessing: sendmsg");
  }
  std::size_t sent = static_cast<std::size_t>(w);
  if (sent < sizeof h) {
    if (!write_all(sock, reinterpret_cast<const char*>(&h) + sent, sizeof h - sent)) return false;
    sent = sizeof h;
  }
  const std::size_t body_sent = sent - sizeof h;
  return write_all(sock, inline_body.data() + body_sent, inline_body.size() - body_sent);
}

namespace {

// Reads exactly n bytes with recvmsg, collecting any fds that arrive (at most max_frame_fds).
// Returns bytes read.
std::size_t recv_collect(int sock, char* p, std::size_t n, FdList& fds) {
  std::size_t got = 0;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * max_frame_fds)];
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
      throw_errno("concur::multiprocessing: recvmsg");
    }
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (std::size_t i = 0; i < count; ++i) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        fds.push(fd);  // owned now: closed with `fds` whatever happens next
      }
    }
    if (msg.msg_flags & MSG_CTRUNC) malformed("file descriptors truncated");
    if (fds.size() > max_frame_fds) malformed("too many file descriptors");
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
  if (got == 0 && fds.empty()) return false;
  if (got < sizeof h) throw ProcessError("concur::multiprocessing: connection closed mid-message");
  if (h.kind == 0 || h.kind > max_kind) malformed("unknown kind " + std::to_string(h.kind));
  if (h.nfds > max_frame_fds) malformed("too many file descriptors");
  if ((h.flags & ~body_in_memfd) != 0 || h.reserved != 0) malformed("unknown flags");
  const bool spilled = (h.flags & body_in_memfd) != 0;
  if (spilled && h.nfds == 0) malformed("a memfd body without its fd");
  if (!spilled && h.len > max_inline_body)
    malformed("an in-socket body of " + std::to_string(h.len) + " bytes");
  m.kind = static_cast<Kind>(h.kind);
  m.id = h.id;
  m.trampoline = static_cast<std::uintptr_t>(h.trampoline);
  m.fn = static_cast<std::uintptr_t>(h.fn);
  m.count = h.count;
  m.body.clear();
  if (!spilled) {
    std::string& buf = m.body.buffer();
    buf.resize(h.len);
    if (h.len > 0 && recv_collect(sock, buf.data(), h.len, fds) < h.len)
      throw ProcessError("concur::multiprocessing: connection closed mid-message");
    m.body.set_buffer_size();
  }
  if (fds.size() != h.nfds) malformed("handle count mismatch");
  if (spilled) {
    std::vector<int> raw = fds.release();
    concur::detail::UniqueFd body_fd(raw.back());
    raw.pop_back();
    for (int fd : raw) fds.push(fd);
    m.body = Payload::adopt(std::move(body_fd), h.len);
  }
  m.fds = std::move(fds);
  return true;
}

}  // namespace concur::multiprocessing::detail
