// Fuzzes what a Connection reads from an untrusted peer (src/multiprocessing/frame.* and the
// HMAC handshake parser of auth.*): arbitrary bytes on the socket give whole messages, a clean
// EOFError or a std::system_error (EMSGSIZE/EPROTO) after which the connection refuses to read
// on — never a crash, a hang, or an allocation of what a header merely claims. Every message
// received is also fed to the challenge parser and verifier, as Listener/Client would.
#include <sys/socket.h>
#include <unistd.h>

#include <concur/multiprocessing/connection.hpp>
#include <system_error>

#include "fuzz_support.hpp"
#include "multiprocessing/auth.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace mp = concur::multiprocessing;
  if (size < 1 || size > 65536) return 0;  // stays within one socket buffer: no writer thread
  int sv[2];
  concur::fuzz::require(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0,
                        "socketpair");
  const int buf = 1 << 20;
  ::setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  ::setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  // The first byte picks the reader's limit: small (as the handshake's 256) or the default.
  const std::size_t limit = (data[0] & 1) != 0 ? 256 : 0;
  concur::fuzz::require(
      ::send(sv[0], data + 1, size - 1, MSG_NOSIGNAL) == static_cast<ssize_t>(size - 1), "send");
  ::close(sv[0]);
  mp::Connection c(sv[1]);
  std::size_t received = 0;
  for (;;) {
    std::string m;
    try {
      m = limit != 0 ? c.recv_bytes(limit) : c.recv_bytes();
    } catch (const mp::EOFError&) {
      break;
    } catch (const std::system_error& e) {
      concur::fuzz::require(e.code().value() == EMSGSIZE || e.code().value() == EPROTO,
                            "unexpected errno from recv_bytes");
      bool refused = false;
      try {
        c.recv_bytes();
      } catch (const mp::ProcessError&) {
        refused = true;  // no longer readable, as Python's
      }
      concur::fuzz::require(refused, "a connection read on after a refused message");
      break;
    }
    received += m.size();
    concur::fuzz::require(received <= size, "more bytes received than sent");
    if (const auto parsed = mp::detail::digest_and_payload(m)) {
      try {
        (void)mp::detail::create_response("key", m);
        (void)mp::detail::verify_response("key", "message", m);
      } catch (const mp::connection::AuthenticationError&) {
      }
    }
  }
  return 0;
}
