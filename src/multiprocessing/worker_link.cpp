#include "multiprocessing/worker_link.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <vector>

#include "concur/detail/core/exit_status.hpp"
#include "multiprocessing/image.hpp"
#include "multiprocessing/registry.hpp"
#include "multiprocessing/spawn.hpp"

namespace concur::multiprocessing::detail {
namespace {

int pidfd_open(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));  // pidfds are always O_CLOEXEC
}

}  // namespace

std::unique_ptr<WorkerLink> WorkerLink::start(StartMethod method) {
  check_not_runaway_spawn_child();
  // spawn_worker() before the link exists: a failure leaves nothing.
  if (method == StartMethod::spawn) return adopt_spawned(spawn_worker());
  std::unique_ptr<WorkerLink> w(new WorkerLink);
  if (method == StartMethod::forkserver) {
    const ServerWorker s = forkserver_spawn();
    w->via_server_ = true;
    w->pid_ = s.pid;
    w->channel_ = s.channel;
    w->exit_fd_ = s.status;
    // Opened while the server cannot have reaped the worker yet unless it died at once (then
    // its status is already on exit_fd_ and kill() is skipped anyway).
    w->pidfd_ = pidfd_open(s.pid);
  } else {
    const LinkedChild c = fork_linked_child(true, [](int child_end) { worker_main(child_end); });
    w->pid_ = c.pid;
    w->channel_ = c.parent_end;
    w->exit_fd_ = pidfd_open(w->pid_);  // -1 on very old kernels: callers then poll
    w->pidfd_ = w->exit_fd_;
  }
  return w;
}

std::unique_ptr<WorkerLink> WorkerLink::adopt_spawned(SpawnedWorker s) {
  std::unique_ptr<WorkerLink> w(new WorkerLink);
  w->spawned_ = true;
  w->pid_ = s.pid;
  w->channel_ = s.channel.release();
  w->unverified_nonce_ = s.unverified_nonce;
  register_parent_fd(w->channel_);  // later fork()ed children must not keep it
  w->exit_fd_ = pidfd_open(w->pid_);
  w->pidfd_ = w->exit_fd_;
  return w;
}

std::vector<std::unique_ptr<WorkerLink>> WorkerLink::start_many(StartMethod method, std::size_t n,
                                                                bool await_first) {
  std::vector<std::unique_ptr<WorkerLink>> links;
  links.reserve(n);
  if (method != StartMethod::spawn) {
    for (std::size_t i = 0; i < n; ++i) links.push_back(start(method));
    return links;
  }
  // An exec and the program's start-up take milliseconds: overlap them, and wait only for
  // the first child ready (on a busy machine the next one may not even run yet: posix_spawn
  // returned once it exec'd). The pool hands its first task to that one; the dispatch thread
  // reads the others' handshakes as they arrive. A missing freeze_support() shows in the first
  // handshake, so the diagnosis still comes from here.
  check_not_runaway_spawn_child();
  std::vector<PendingSpawn> launched;
  launched.reserve(n);
  for (std::size_t i = 0; i < n; ++i) launched.push_back(launch_spawn());
  std::size_t first = n;  // none awaited
  if (await_first) {
    const auto deadline = concur::detail::Deadline::after(spawn_handshake_timeout());
    std::vector<pollfd> fds;
    for (const auto& p : launched) fds.push_back({p.channel(), POLLIN, 0});
    first = 0;
    for (;;) {
      const int r = ::poll(fds.data(), fds.size(), deadline.poll_ms());
      if (r < 0 && errno == EINTR) continue;
      if (r > 0)
        while (fds[first].revents == 0) ++first;
      break;  // none ready (timeout, poll error): finish_spawn() diagnoses the first one
    }
    links.push_back(adopt_spawned(finish_spawn(std::move(launched[first]), deadline)));
  }
  for (std::size_t i = 0; i < n; ++i)
    if (i != first) links.push_back(adopt_spawned(adopt_unverified(std::move(launched[i]))));
  return links;
}

bool WorkerLink::finish_handshake(const concur::detail::Deadline& deadline) {
  const std::uint64_t nonce = unverified_nonce_.value_or(0);
  if (!unverified_nonce_) return true;
  unverified_nonce_.reset();
  return read_handshake(channel_, nonce, deadline);
}

bool WorkerLink::send(Message& m) {
  if (!spawned_ || (m.kind != Kind::task && m.kind != Kind::process_task))
    return send_message(channel_, m);
  const std::uintptr_t trampoline = m.trampoline, fn = m.fn;
  m.trampoline = static_cast<std::uintptr_t>(encode_code_address(trampoline));
  m.fn = static_cast<std::uintptr_t>(encode_code_address(fn));
  bool sent = true;
  try {
    if (module_count() > modules_sent_) {  // a library the worker has not heard of yet
      Message mods;
      mods.kind = Kind::modules;
      mods.id = modules_sent_;
      const std::vector<std::string> paths = module_paths(modules_sent_);
      write_values(mods.body, mods.fds, paths);
      sent = send_message(channel_, mods);
      if (sent) modules_sent_ += paths.size();
    }
    if (sent) sent = send_message(channel_, m);
  } catch (...) {
    m.trampoline = trampoline;
    m.fn = fn;
    throw;
  }
  m.trampoline = trampoline;
  m.fn = fn;
  return sent;
}

WorkerLink::~WorkerLink() {
  kill(SIGKILL);  // nothing if it already exited
  wait_exit();
  close_channel();
  if (pidfd_ != exit_fd_) close_fd(pidfd_);
  close_fd(exit_fd_);
}

void WorkerLink::close_channel() {
  if (channel_ < 0) return;
  if (!via_server_) unregister_parent_fd(channel_);
  close_fd(channel_);
  channel_ = -1;
}

void WorkerLink::kill(int sig) {
  std::lock_guard lock(reap_mutex_);
  // pid_ <= 0: a link whose start failed. kill(-1) or kill(0) would signal every process we
  // may signal, or our own group: never.
  if (exitcode_ || pid_ <= 0) return;
  if (via_server_ && wait_readable(exit_fd_, 0)) return;  // already dead and reaped
  if (pidfd_ >= 0)
    ::syscall(SYS_pidfd_send_signal, pidfd_, sig, nullptr, 0);
  else
    ::kill(pid_, sig);
}

int WorkerLink::reap_locked(bool block) {
  int status = 0;
  if (via_server_) {
    if (read_all(exit_fd_, &status, sizeof status) != sizeof status)
      status = SIGKILL;  // server gone
  } else {
    pid_t r;
    do r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r == 0) return -1;
    if (r < 0) status = SIGKILL;  // reaped elsewhere (SIGCHLD=SIG_IGN): report it as killed
  }
  exitcode_ = concur::detail::returncode_of(status);
  return 0;
}

int WorkerLink::wait_exit() {
  {
    std::lock_guard lock(reap_mutex_);
    if (exitcode_) return *exitcode_;
    if (pid_ <= 0) return *(exitcode_ = -SIGKILL);  // never started
  }
  // Wait without the lock (another thread may poll try_exit() meanwhile), then reap.
  if (exit_fd_ >= 0) wait_readable(exit_fd_, -1);
  std::lock_guard lock(reap_mutex_);
  if (!exitcode_) reap_locked(true);
  return *exitcode_;
}

std::optional<int> WorkerLink::try_exit() {
  std::lock_guard lock(reap_mutex_);
  if (exitcode_) return exitcode_;
  if (pid_ <= 0) return exitcode_ = -SIGKILL;  // never started: waitpid(-1) would reap any child
  if (via_server_ && !wait_readable(exit_fd_, 0)) return std::nullopt;
  reap_locked(false);
  return exitcode_;
}

}  // namespace concur::multiprocessing::detail
