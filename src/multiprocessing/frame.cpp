// Python's connection framing over a stream socket (or a pipe), with fds beside it.
#include "multiprocessing/frame.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <system_error>

#include "concur/detail/core/error.hpp"
#include "concur/detail/core/fd.hpp"
#include "multiprocessing/fd_passing.hpp"

namespace concur::multiprocessing::detail {
namespace {

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

// One read of [p, p + n), collecting any fds (into `fds`, or closing them). Returns the bytes
// read, 0 at EOF.
std::size_t recv_some(int sock, char* p, std::size_t n, FdList* fds) {
  const Received r = recv_with_fds(sock, p, n, fds, "concur::multiprocessing: Connection: recvmsg");
  if (r.truncated) protocol_error("too many file descriptors in one message");
  return r.bytes;
}

// How long the first read of a frame polls before it blocks (recv_polling()). A request's
// answer, or a stream's next message, usually arrives within microseconds; measured here, an
// 8-byte round trip between two processes takes 5 µs (AF_UNIX) to 9 µs (TCP loopback) when
// both poll, and ~90–100 µs when the reader sleeps (the wake-up of a virtual CPU). Long enough
// for a TCP round trip with its softirq work, short enough that a reader with nothing coming
// wastes little: at most this much CPU per message, and none on a loaded machine (it yields).
constexpr auto first_read_poll = std::chrono::microseconds(50);

std::size_t recv_first(int sock, char* p, std::size_t n, FdList* fds) {
  const Received r = recv_polling(sock, p, n, fds, "concur::multiprocessing: Connection: recvmsg",
                                  first_read_poll);
  if (r.truncated) protocol_error("too many file descriptors in one message");
  return r.bytes;
}

// Reads exactly n bytes; false at EOF before the first, throws at EOF after it. `first`: the
// frame's first read (recv_first()).
bool recv_exact(int sock, char* p, std::size_t n, FdList* fds, bool eof_ok, bool first = false) {
  std::size_t got = 0;
  if (first && n > 0) {
    got = recv_first(sock, p, n, fds);
    if (got == 0) {
      if (eof_ok) return false;
      protocol_error("the peer closed the connection in the middle of a message");
    }
  }
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
  char header[12];
  std::size_t hlen = 4;
  if (body.size() > short_limit) {
    put_be(header, 0xffffffffu, 4);  // -1: an 8-byte length follows
    put_be(header + 4, body.size(), 8);
    hlen = 12;
  } else {
    put_be(header, body.size(), 4);
  }
  return send_with_fds(fd, {header, hlen}, body,
                       fds != nullptr ? std::span<const int>(fds->fds()) : std::span<const int>{},
                       "concur::multiprocessing: Connection: sendmsg");
}

bool recv_frame(int fd, std::size_t max, std::string& body, FdList* fds) {
  char header[8];
  if (!recv_exact(fd, header, 4, fds, true, true)) return false;
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
