// Fuzzes multiprocessing's message framing (src/multiprocessing/channel.*) as a parent reading
// a worker's reply: arbitrary bytes from the peer give whole messages, a clean EOF or an error
// (ProcessError for a malformed frame) — never a crash, and never an allocation beyond the
// in-socket body cap whatever length a header claims.
#include <sys/socket.h>
#include <unistd.h>

#include <concur/multiprocessing/errors.hpp>
#include <system_error>

#include "fuzz_support.hpp"
#include "multiprocessing/channel.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace concur::multiprocessing;
  if (size > 65536) return 0;  // stays within one socket buffer: no writer thread needed
  int sv[2];
  concur::fuzz::require(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0,
                        "socketpair");
  const int buf = 1 << 20;
  ::setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  ::setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  concur::fuzz::require(
      size == 0 || ::send(sv[0], data, size, MSG_NOSIGNAL) == static_cast<ssize_t>(size), "send");
  ::close(sv[0]);
  std::size_t received = 0;
  try {
    detail::Message m;
    while (detail::recv_message(sv[1], m)) {
      received += m.body.size();
      concur::fuzz::require(received <= size, "no body longer than the bytes sent");
      concur::fuzz::require(m.fds.empty(), "no fds out of thin air");
    }
  } catch (const ProcessError&) {
  } catch (const std::system_error&) {
  }
  ::close(sv[1]);
  return 0;
}
