// Internal: byte streams with fds beside them (SCM_RIGHTS) — the one sendmsg/recvmsg loop
// that the pool's channel (channel.cpp), Connection frames (frame.cpp) and the queue's fd
// side channel (queue_ring.cpp) share.
//
// Sending: the fds ride on the first sendmsg (the kernel attaches them to its first byte);
// whatever it did not take is finished with the core's write_all(). Receiving: every recvmsg
// collects the fds that came with its bytes, so a reader never loses one however the stream
// was split. Both retry EINTR; a dead peer is reported (EPIPE, ECONNRESET), never a SIGPIPE.
//
// Thread safety: one sender and one receiver per socket at a time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <span>
#include <string_view>

#include "concur/multiprocessing/detail/wire.hpp"

namespace concur::multiprocessing::detail {

/// The most fds one message may carry (SCM_MAX_FD is 253): 250 handles and a memfd body.
inline constexpr std::size_t max_passed_fds = 251;

/// Sends `head` then `body` whole (blocking), `fds` with the first byte. On a pipe end
/// (ENOTSOCK) without fds, plain writes. Returns false if the peer is gone (EPIPE,
/// ECONNRESET); throws std::system_error naming `what` on other failures, std::invalid_argument
/// for more than max_passed_fds fds.
bool send_with_fds(int sock, std::string_view head, std::string_view body, std::span<const int> fds,
                   const char* what);

/// One non-blocking sendmsg of `bytes` with `fds` (a datagram on a SOCK_SEQPACKET socket).
/// Returns false when the socket is full (EAGAIN, ENOBUFS); throws std::system_error naming
/// `what` on other failures.
bool try_send_with_fds(int sock, std::string_view bytes, std::span<const int> fds,
                       const char* what);

/// What one recvmsg brought.
struct Received {
  std::size_t bytes = 0;     ///< 0: end of stream (EOF or a reset connection)
  bool truncated = false;    ///< the kernel dropped fds (more than the control buffer holds)
  bool would_block = false;  ///< only with `flags` holding MSG_DONTWAIT: nothing there
};

/// One recvmsg into [p, p + n): fds that come with the bytes are pushed onto `fds` (owned by
/// it; closed when `fds` is null). A pipe end (ENOTSOCK) is read with read(2). EINTR is
/// retried; ECONNRESET counts as end of stream; other errors throw std::system_error naming
/// `what`. `flags` adds to MSG_CMSG_CLOEXEC (e.g. MSG_DONTWAIT).
Received recv_with_fds(int sock, void* p, std::size_t n, FdList* fds, const char* what,
                       int flags = 0);

/// recv_with_fds() for a reader that expects bytes within microseconds: non-blocking reads,
/// the core given away (sched_yield) between them, for up to `poll_for`; then one blocking
/// read. Caught by the poll, a message costs no sleep and no wake-up of this process (80–100 µs
/// on a virtual machine, measured: most of a blocking round trip), and on a loaded machine the
/// yield lets the peer run on this core now. A zero `poll_for` is one blocking read. A pipe end
/// (no MSG_DONTWAIT for read(2)) blocks in the first read.
Received recv_polling(int sock, void* p, std::size_t n, FdList* fds, const char* what,
                      std::chrono::microseconds poll_for);

}  // namespace concur::multiprocessing::detail
