// Internal: the transport to one worker process — the narrow interface the pool and Process
// are written against (a later backend may put MPI ranks behind it).
//
// A worker is a process running worker_main() on its end of a private socketpair. It is
// started by fork() from this process, or by the forkserver (which forks it and passes us the
// channel over SCM_RIGHTS, plus a status pipe on which it writes the worker's wait status
// when it reaps it). Either way, exited() is a pollable fd and wait_exit() reaps it.
#pragma once

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "concur/multiprocessing/start_method.hpp"
#include "multiprocessing/channel.hpp"
#include "multiprocessing/spawn.hpp"

namespace concur::multiprocessing::detail {

class WorkerLink {
 public:
  /// Starts a worker (fork, forkserver or spawn). Throws std::system_error, ProcessError
  /// (spawn: freeze_support() missing).
  static std::unique_ptr<WorkerLink> start(StartMethod method);
  /// Starts `n` workers; spawned ones start in parallel (all launched before any handshake is
  /// awaited). With `await_first`, the first handshake to arrive is awaited and checked: that
  /// worker comes first in the result. Every other spawned worker has handshake_pending() (the
  /// caller reads it, and enforces spawn_handshake_timeout()). Throws as start() (the first
  /// handshake's failure: a missing freeze_support()), leaving no worker behind.
  static std::vector<std::unique_ptr<WorkerLink>> start_many(StartMethod method, std::size_t n,
                                                             bool await_first = true);
  ~WorkerLink();  // kills (SIGKILL) and reaps the worker if wait_exit() was not called
  WorkerLink(const WorkerLink&) = delete;
  WorkerLink& operator=(const WorkerLink&) = delete;

  pid_t pid() const { return pid_; }
  /// The parent end of the channel: readable when a message or EOF (death) arrives.
  int channel() const { return channel_; }
  /// Sends `m` (left as it was: one message may go to several workers). For a spawned worker,
  /// code addresses travel as image offsets (image.hpp), new modules announced first.
  bool send(Message& m);
  /// False at EOF (the worker closed its end: it exited or is exiting). `worker_cpu`: the CPU
  /// the worker sent it from (-1: unknown).
  bool recv(Message& m, int* worker_cpu = nullptr) {
    return recv_message(channel_, m, {}, worker_cpu);
  }
  /// Readable once the worker has exited (a pidfd, or the forkserver's status pipe).
  int exit_fd() const { return exit_fd_; }
  /// A pidfd of the worker (-1 on kernels without pidfd_open).
  int pidfd() const { return pidfd_; }
  /// Sends `sig` unless the worker was already reaped.
  void kill(int sig);
  /// Blocks until the worker exited and is reaped; its exit code (negative N: signal N).
  /// kill(), wait_exit() and try_exit() may be called from different threads.
  int wait_exit();
  /// The exit code if the worker has exited (reaping it), else nullopt. Never blocks.
  std::optional<int> try_exit();
  /// Closes the parent end of the channel (the worker sees EOF).
  void close_channel();
  /// A spawned worker whose handshake was not read yet (start_many()): messages may be sent,
  /// but nothing may be read from the channel before finish_handshake().
  bool handshake_pending() const { return unverified_nonce_.has_value(); }
  /// Reads the pending handshake (call when the channel is readable), waiting for the rest of
  /// it at most until `deadline`. False if the worker died, sent a wrong one or did not finish
  /// it in time: treat it as dead.
  bool finish_handshake(const concur::detail::Deadline& deadline);

 private:
  WorkerLink() = default;
  static std::unique_ptr<WorkerLink> adopt_spawned(SpawnedWorker s);
  int reap_locked(bool block);  // -1: not exited yet (block = false)
  pid_t pid_ = -1;
  int channel_ = -1;
  int exit_fd_ = -1;
  int pidfd_ = -1;  // for kill(): names this very process even if its pid is reused
  bool via_server_ = false;
  bool spawned_ = false;
  std::optional<std::uint64_t> unverified_nonce_;  // spawned: handshake not read yet
  std::size_t modules_sent_ = 1;  // spawned: module numbers the worker knows (0: the program)
  std::mutex reap_mutex_;         // guards exitcode_ and reaping
  std::optional<int> exitcode_;
};

/// The worker's loop: runs tasks from `channel` until told to stop or the parent goes away.
[[noreturn]] void worker_main(int channel);

/// Runs one task as the worker's loop does: `reply` gets the result (Kind::result) or the
/// exception it threw, described (Kind::error). `after`, if given, runs on the result inside
/// the same try: what it throws becomes the reply's error (concur::mpi's bundles finish a big
/// result and refuse handles that way). Never throws.
void run_task(const Message& task, Message& reply, void (*after)(Message& reply) = nullptr);

/// Who a process started by this library is (Python's current_process().name, daemon, and
/// its parent's name and pid). Sent to a new worker as a Kind::identity message.
struct ProcessIdentity {
  std::string name = "MainProcess";
  bool daemon = false;
  std::string parent_name;
  std::int64_t parent_pid = 0;  // 0: no parent of ours (the main process)
  template <class Archive>
  void serialize(Archive& ar) {
    ar(name, daemon, parent_name, parent_pid);
  }
};
/// This process's identity.
ProcessIdentity own_identity();
/// The identity message for a child of this process named `name`.
Message identity_message(const std::string& name, bool daemon);
/// In a worker: adopts the identity a Kind::identity message carries (ignores malformed ones).
void set_identity(const Message& m);

/// The forkserver's side: asks it for a worker. Returns pid and fds [channel, status].
/// Starts the server first if needed. Throws std::system_error / ProcessError.
struct ServerWorker {
  pid_t pid;
  int channel, status;
};
ServerWorker forkserver_spawn();
/// Starts the forkserver if it is not running (forks now).
void ensure_forkserver();

}  // namespace concur::multiprocessing::detail
