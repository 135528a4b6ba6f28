// Internal: the spawn start method — a worker is a fresh exec of this program
// (/proc/self/exe, the same argv) that enters the worker loop from freeze_support().
//
// The parent posix_spawn()s the program (no fork of a big or threaded parent: glibc uses
// clone(CLONE_VM|CLONE_VFORK)) with the child end of a socketpair as fd 3, every other fd
// closed, stdin on /dev/null and CONCUR_SPAWN_WORKER=3,<parent pid>,<nonce> in its
// environment. freeze_support(argc, argv), first in main, sees the marker, removes it, sends
// the nonce back (the handshake), arms PR_SET_PDEATHSIG and runs the worker loop.
//
// A program that never reaches freeze_support() in the child cannot hang the parent or
// multiply: the parent refuses to spawn if freeze_support() was not called in its own
// process; a child that starts workers of its own while still carrying the marker exits at
// once with a message; and the parent gives up after a handshake timeout, killing the child,
// with an error that names the cause.
//
// Thread safety: every function may be called from any thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "concur/detail/core/deadline.hpp"
#include "concur/detail/core/fd.hpp"
#include "concur/duration.hpp"

namespace concur::multiprocessing::detail {

struct SpawnedWorker {
  pid_t pid = -1;
  concur::detail::UniqueFd channel;  // our end, CLOEXEC
  /// Set when the handshake was not read yet (adopt_unverified()): it is the first thing
  /// on `channel`, to be checked with read_handshake() before anything else is read.
  std::optional<std::uint64_t> unverified_nonce;
};

/// A spawned child whose handshake is not read yet. Destroying it kills and reaps the child
/// (a batch whose other start failed leaves nothing behind).
class PendingSpawn {
 public:
  PendingSpawn(pid_t pid, concur::detail::UniqueFd channel, std::uint64_t nonce)
      : pid_(pid), channel_(std::move(channel)), nonce_(nonce) {}
  PendingSpawn(PendingSpawn&& o) noexcept
      : pid_(std::exchange(o.pid_, -1)), channel_(std::move(o.channel_)), nonce_(o.nonce_) {}
  PendingSpawn& operator=(PendingSpawn&&) = delete;
  ~PendingSpawn();
  /// Our end of the child's channel: readable once its handshake (or EOF) arrived.
  int channel() const { return channel_.get(); }

 private:
  friend SpawnedWorker finish_spawn(PendingSpawn p, const concur::detail::Deadline& deadline);
  friend SpawnedWorker adopt_unverified(PendingSpawn p);
  pid_t pid_ = -1;
  concur::detail::UniqueFd channel_;
  std::uint64_t nonce_ = 0;
};

/// Starts a worker by spawn (posix_spawn; does not wait for it). Throws ProcessError when
/// freeze_support() was not called here, std::system_error when posix_spawn fails.
PendingSpawn launch_spawn();
/// Waits for the child's handshake (spawn_handshake_timeout()). Throws ProcessError (with the
/// freeze_support() diagnosis); never leaves a child behind on failure. Children launched
/// together start in parallel: launch them all first, then finish each.
SpawnedWorker finish_spawn(PendingSpawn p);
/// finish_spawn() waiting until `deadline` (a timeout is still reported as
/// spawn_handshake_timeout()'s).
SpawnedWorker finish_spawn(PendingSpawn p, const concur::detail::Deadline& deadline);
/// Takes the child over without waiting for its handshake (a pool's later workers: the first
/// task goes to the first one ready). The caller reads the handshake with read_handshake()
/// once the channel is readable, before reading anything else from it.
SpawnedWorker adopt_unverified(PendingSpawn p);
/// Reads and checks a child's handshake from `fd`, waiting for its 16 bytes until `deadline`;
/// false on EOF, an error, the deadline or a wrong handshake (the caller treats the child as
/// dead).
bool read_handshake(int fd, std::uint64_t nonce, const concur::detail::Deadline& deadline);
/// launch_spawn() and finish_spawn() in one.
inline SpawnedWorker spawn_worker() { return finish_spawn(launch_spawn()); }

/// The error message for spawned child `pid` that never answered its handshake: it exited
/// with `exit_code` (negative N: signal N) or, `timed_out`, did not answer within
/// spawn_handshake_timeout(). Names the likely cause (freeze_support() missing or late).
std::string handshake_failure(pid_t pid, int exit_code, bool timed_out);

/// True in a spawned worker (code addresses arrive as image offsets).
bool in_spawned_worker();

/// Throws ProcessError if this process is a spawned worker whose main() went on without
/// calling freeze_support() (it is about to start workers of its own: a fork bomb). Called
/// by every worker-start path.
void check_not_runaway_spawn_child();

/// How long the parent waits for a spawned child's handshake (default 60 s; the environment
/// variable CONCUR_SPAWN_TIMEOUT, in seconds, overrides it).
Duration spawn_handshake_timeout();

}  // namespace concur::multiprocessing::detail
