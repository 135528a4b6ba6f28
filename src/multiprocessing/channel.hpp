// Internal: framed messages over a unix stream socket, with fds beside them (SCM_RIGHTS).
//
// A frame is a fixed 128-byte block — a 56-byte header (kind, fd count, id, trampoline, fn,
// count, body length, flags, the sender's CPU) and the body's first 72 bytes, zero-padded —
// followed by the rest of the body; for a body in a sealed memfd (Payload), the block carries
// none of it and the memfd travels as the frame's last fd. A small message is thus read whole in
// one recvmsg. Every read and write loops over short transfers and EINTR. Sends use MSG_NOSIGNAL: a
// dead peer is an error (EPIPE), never a SIGPIPE. Received frames are untrusted: an unknown kind,
// an fd count or in-memory body over the caps, or a memfd body that is not sealed or shorter than
// announced is a ProcessError, never a crash or a huge allocation.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "concur/detail/core/error.hpp"
#include "concur/detail/core/fd.hpp"
#include "concur/multiprocessing/detail/message.hpp"

namespace concur::multiprocessing::detail {

// The private core's fd helpers, under the names this module's files use.
using concur::detail::close_fd;
using concur::detail::read_all;
using concur::detail::throw_errno;
using concur::detail::wait_readable;
using concur::detail::write_all;

/// The most fds one frame may carry (SCM_MAX_FD is 253).
inline constexpr std::size_t max_frame_fds = 250;
/// The largest body a receiver accepts in the socket itself (larger ones come as memfds).
inline constexpr std::size_t max_inline_body = 1 << 20;

/// Sends `m` whole (blocking), finishing its body first. Returns false if the peer is gone
/// (EPIPE, ECONNRESET); throws std::system_error on other failures, ProcessError if it carries
/// too many handles.
bool send_message(int sock, Message& m);
/// Receives one whole message (blocking). Returns false on EOF before a header; throws
/// ProcessError on EOF inside a frame or a malformed frame, std::system_error on failure.
/// `poll_for`: first poll that long (non-blocking reads, yielding the core between them)
/// before sleeping in the read — for a reader that expects a message within microseconds.
/// `sender_cpu`: where to put the CPU the sender ran on when it sent (a hint, untrusted: -1
/// when unknown).
bool recv_message(int sock, Message& m, std::chrono::microseconds poll_for = {},
                  int* sender_cpu = nullptr);

/// Larger kernel buffers on a channel end (fewer wake-ups per large message); best effort.
void tune_channel(int sock) noexcept;

}  // namespace concur::multiprocessing::detail
