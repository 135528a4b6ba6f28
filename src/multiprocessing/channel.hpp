// Internal: framed messages over a unix stream socket, with fds beside them (SCM_RIGHTS).
//
// A frame is a fixed 40-byte header (kind, fd count, three 64-bit words, a 64-bit body
// length) followed by the body. Lengths are 64-bit and every read and write loops over
// short transfers and EINTR, so bodies over 4 GiB travel intact. Sends use MSG_NOSIGNAL: a
// dead peer is an error (EPIPE), never a SIGPIPE.
#pragma once

#include <cstdint>
#include <string>

#include "concur/multiprocessing/wire.hpp"

namespace concur::multiprocessing::detail {

enum class Kind : std::uint32_t {
  task = 1,          // parent → worker: id, a = trampoline, b = user fn, body = arguments
  process_task = 2,  // the same for a Process: the child exits after it
  stop = 3,          // parent → worker: exit now
  result = 4,        // worker → parent: id, body = results
  error = 5,         // worker → parent: id, body = type '\0' message
  spawn = 6,         // parent → forkserver: start a worker
  spawned = 7,       // forkserver → parent: a = pid; fds = [channel, status]
  bytes = 8,         // Connection / Queue payload
};

struct Message {
  Kind kind = Kind::bytes;
  std::uint64_t id = 0, a = 0, b = 0;
  std::string body;
  FdList fds;
};

/// Sends `m` whole (blocking). Returns false if the peer is gone (EPIPE, ECONNRESET);
/// throws std::system_error on other failures.
bool send_message(int sock, const Message& m);
/// Receives one whole message (blocking). Returns false on EOF before a header (and throws
/// ProcessError on EOF inside a frame); throws std::system_error on failure.
bool recv_message(int sock, Message& m);

/// Blocking full write to a pipe or socket; false if the peer is gone.
bool write_all(int fd, const void* data, std::size_t n);
/// Blocking full read; returns the bytes read (< n only at EOF).
std::size_t read_all(int fd, void* data, std::size_t n);
/// waits until `fd` is readable or `timeout_ms` passes (-1: forever); true if readable.
bool wait_readable(int fd, int timeout_ms);
/// Larger kernel buffers on a channel end (fewer wake-ups per large message); best effort.
void tune_channel(int sock) noexcept;
/// close() that ignores EINTR (Linux closes the fd anyway).
void close_fd(int fd) noexcept;
/// Throws std::system_error naming `call`.
[[noreturn]] void throw_errno(const char* call);

}  // namespace concur::multiprocessing::detail
