#include "multiprocessing/channel.hpp"

#include <sched.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <system_error>

#include "concur/multiprocessing/errors.hpp"
#include "multiprocessing/fd_passing.hpp"

namespace concur::multiprocessing::detail {
namespace {

struct Header {
  std::uint32_t kind;
  std::uint32_t nfds;
  std::uint64_t id, trampoline, fn, count, len;
  std::uint32_t flags;
  std::uint32_t cpu;  // the sender's CPU + 1 when it sent (0: unknown), a scheduling hint
};
static_assert(sizeof(Header) == 56);

// Every frame starts with a block of this size: the header, then the body's first bytes (zero
// padding if the body is shorter or in a memfd). A small message — a task's arguments, a
// result — is then one fixed-size read: one recvmsg instead of a header's and a body's.
constexpr std::size_t block_size = 128;
constexpr std::size_t block_body = block_size - sizeof(Header);

constexpr std::uint32_t body_in_memfd = 1;

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
           static_cast<std::uint32_t>(::sched_getcpu() + 1)};  // -1 (unknown) travels as 0
  char block[block_size] = {};
  std::memcpy(block, &h, sizeof h);
  const std::size_t in_block = std::min(inline_body.size(), block_body);
  if (in_block > 0) std::memcpy(block + sizeof h, inline_body.data(), in_block);
  const std::string_view head{block, block_size};
  const std::string_view rest = inline_body.substr(in_block);
  constexpr const char* what = "concur::multiprocessing: sendmsg";
  if (!spilled) return send_with_fds(sock, head, rest, m.fds.fds(), what);
  std::vector<int> fds(m.fds.fds());  // the memfd travels as the frame's last fd
  fds.push_back(m.body.memfd());
  return send_with_fds(sock, head, rest, fds, what);
}

namespace {

// Reads exactly n bytes, collecting any fds that arrive (at most max_frame_fds). Returns the
// bytes read (fewer at end of stream).
std::size_t recv_collect(int sock, char* p, std::size_t n, FdList& fds) {
  std::size_t got = 0;
  while (got < n) {
    const Received r =
        recv_with_fds(sock, p + got, n - got, &fds, "concur::multiprocessing: recvmsg");
    if (r.truncated) malformed("file descriptors truncated");
    if (fds.size() > max_frame_fds) malformed("too many file descriptors");
    if (r.bytes == 0) return got;
    got += r.bytes;
  }
  return got;
}

// The first read of a frame's block. With `poll_for`, it polls that long first (recv_polling()):
// a worker waiting for the next task of a caller that submits one at a time finds it there
// without sleeping. Then, or without `poll_for`, it blocks. Returns the bytes read (0 at end of
// stream).
std::size_t recv_block_start(int sock, char* p, FdList& fds, std::chrono::microseconds poll_for) {
  constexpr const char* what = "concur::multiprocessing: recvmsg";
  const Received r = recv_polling(sock, p, block_size, &fds, what, poll_for);
  if (r.truncated) malformed("file descriptors truncated");
  if (fds.size() > max_frame_fds) malformed("too many file descriptors");
  return r.bytes;
}

}  // namespace

bool recv_message(int sock, Message& m, std::chrono::microseconds poll_for, int* sender_cpu) {
  char block[block_size];
  FdList fds;
  std::size_t got = recv_block_start(sock, block, fds, poll_for);
  if (got == 0 && fds.empty()) return false;
  if (got > 0 && got < block_size) got += recv_collect(sock, block + got, block_size - got, fds);
  if (got < block_size)
    throw ProcessError("concur::multiprocessing: connection closed mid-message");
  Header h;
  std::memcpy(&h, block, sizeof h);
  if (h.kind == 0 || h.kind > max_kind) malformed("unknown kind " + std::to_string(h.kind));
  if (h.nfds > max_frame_fds) malformed("too many file descriptors");
  if ((h.flags & ~body_in_memfd) != 0) malformed("unknown flags");
  const bool spilled = (h.flags & body_in_memfd) != 0;
  if (spilled && h.nfds == 0) malformed("a memfd body without its fd");
  if (!spilled && h.len > max_inline_body)
    malformed("an in-socket body of " + std::to_string(h.len) + " bytes");
  m.kind = static_cast<Kind>(h.kind);
  m.id = h.id;
  m.trampoline = static_cast<std::uintptr_t>(h.trampoline);
  m.fn = static_cast<std::uintptr_t>(h.fn);
  m.count = h.count;
  if (sender_cpu != nullptr) *sender_cpu = static_cast<int>(h.cpu) - 1;
  m.body.clear();
  if (!spilled) {
    std::string& buf = m.body.buffer();
    buf.resize(h.len);
    const std::size_t in_block = std::min<std::size_t>(h.len, block_body);
    if (in_block > 0) std::memcpy(buf.data(), block + sizeof h, in_block);
    const std::size_t rest = h.len - in_block;
    if (rest > 0 && recv_collect(sock, buf.data() + in_block, rest, fds) < rest)
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
