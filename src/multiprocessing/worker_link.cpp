#include "multiprocessing/worker_link.hpp"

#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include "concur/detail/core/exit_status.hpp"
#include "multiprocessing/registry.hpp"

namespace concur::multiprocessing::detail {
namespace {

int pidfd_open(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));  // pidfds are always O_CLOEXEC
}

}  // namespace

std::unique_ptr<WorkerLink> WorkerLink::start(StartMethod method) {
  if (method == StartMethod::spawn)
    throw std::invalid_argument("concur::multiprocessing: StartMethod::spawn is not implemented");
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
  if (exitcode_) return;
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
  if (via_server_ && !wait_readable(exit_fd_, 0)) return std::nullopt;
  reap_locked(false);
  return exitcode_;
}

}  // namespace concur::multiprocessing::detail
