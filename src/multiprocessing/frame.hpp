// Internal: the frames of a Connection — Python's multiprocessing.connection wire format, so
// a Connection talks to Python's Listener/Client/Pipe ends as well as to ours.
//
// A frame is a 4-byte big-endian signed length n and n bytes of body; a body of 2^31 bytes or
// more is announced by n = -1 followed by an 8-byte big-endian unsigned length (Python 3.8+).
// Between our own processes, fds (SCM_RIGHTS) travel with the frame's first byte.
//
// Everything read here may come from an untrusted peer: a length is never trusted for an
// allocation (the body grows as bytes actually arrive, and a length above the caller's cap is
// refused before reading any of it), a malformed header is refused, and fds that arrive where
// none are expected are closed. recv_frame() leaves the stream in an unknown place when it
// throws: the caller must stop reading (Python's Connection does the same).
//
// Thread safety: one reader and one writer per fd at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "concur/multiprocessing/detail/wire.hpp"

namespace concur::multiprocessing::detail {

/// What a Connection accepts by default from its peer: 1 GiB per message.
inline constexpr std::size_t default_max_message = std::size_t{1} << 30;

/// Sends one frame whose body is `body`, with `fds` (may be null or empty; AF_UNIX only).
/// Returns false if the peer is gone (EPIPE, ECONNRESET; no SIGPIPE); throws
/// std::system_error on other failures.
bool send_frame(int fd, std::string_view body, const FdList* fds);

/// Receives one frame into `body` (replaced). Fds that arrive with it go to `fds`, or are
/// closed when `fds` is null. Returns false on EOF before the first byte of a frame.
/// Throws std::system_error: EMSGSIZE when the announced length exceeds `max` (nothing of the
/// body is read), EPROTO for a malformed header, EOF inside a frame, or fds the kernel had to
/// truncate; any other errno of recvmsg.
bool recv_frame(int fd, std::size_t max, std::string& body, FdList* fds);

}  // namespace concur::multiprocessing::detail
