// concur/multiprocessing/detail/message.hpp — internal: the one unit that travels between
// processes: a pool task, its reply, a Process start, a forkserver request, a Connection item.
//
// Every field is named; the channel (src/multiprocessing/channel.hpp) frames it as a fixed
// header, the body's bytes (or the body's sealed memfd) and the fds of the handles it carries.
//
// Not part of the public API. Thread safety: a value type.
#pragma once

#include <cstdint>

#include "concur/multiprocessing/detail/payload.hpp"
#include "concur/multiprocessing/detail/wire.hpp"

namespace concur::multiprocessing::detail {

enum class Kind : std::uint32_t {
  task = 1,          // parent → worker: trampoline, fn, count, body = arguments
  process_task = 2,  // the same for a Process: the child exits after it
  stop = 3,          // parent → worker: exit now
  result = 4,        // worker → parent: count, body = results
  error = 5,         // worker → parent: body = a WireError
  spawn = 6,         // parent → forkserver: start a worker
  spawned = 7,       // forkserver → parent: id = pid; fds = [channel, status]
  bytes = 8,         // Connection / Queue payload
  identity = 9,      // parent → worker: body = the worker's ProcessIdentity (names, daemon)
  modules = 10,      // parent → spawned worker: id = first module number, body = library paths
};

/// The largest Kind value a receiver accepts.
inline constexpr std::uint32_t max_kind = 10;

struct Message {
  Kind kind = Kind::bytes;
  std::uint64_t id = 0;           // spawned: the worker's pid; otherwise free for the sender
  std::uintptr_t trampoline = 0;  // task: the worker-side entry point (see trampolines.hpp)
  std::uintptr_t fn = 0;          // task: the user's function (0: a capture-less lambda)
  std::uint64_t count = 0;        // task: items in the body; result: results in the body
  Payload body;
  FdList fds;  // handles travelling with the body (not the body's own memfd)
};

}  // namespace concur::multiprocessing::detail
