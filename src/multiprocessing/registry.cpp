#include "multiprocessing/registry.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <set>

#include "multiprocessing/channel.hpp"

namespace concur::multiprocessing::detail {
namespace {

std::mutex& spawn_mutex() {
  static auto* m = new std::mutex;  // leaked on purpose: used by forked children
  return *m;
}

std::set<int>& parent_fds() {
  static auto* s = new std::set<int>;
  return *s;
}

bool worker_flag = false;
thread_local bool t_outlives_children = false;

}  // namespace

void children_die_with_this_thread() noexcept { t_outlives_children = true; }

bool may_arm_parent_death_signal() noexcept {
  return t_outlives_children || ::gettid() == ::getpid();
}

std::mutex& registry_mutex() {
  static auto* m = new std::mutex;
  return *m;
}

bool in_worker() { return worker_flag; }
void mark_worker() { worker_flag = true; }

void register_parent_fd(int fd) {
  std::lock_guard lock(spawn_mutex());
  parent_fds().insert(fd);
}

void unregister_parent_fd(int fd) {
  std::lock_guard lock(spawn_mutex());
  parent_fds().erase(fd);
}

pid_t fork_child(const std::function<void()>& child) {
  std::unique_lock spawn_lock(spawn_mutex());
  std::fflush(nullptr);  // or buffered output would be written twice, by parent and child
  const pid_t parent = ::getpid();
  const bool arm = may_arm_parent_death_signal();
  registry_mutex().lock();
  const pid_t pid = ::fork();
  if (pid == 0) {
    registry_mutex().unlock();
    for (int fd : parent_fds()) close_fd(fd);
    parent_fds().clear();
    spawn_lock.unlock();
    worker_flag = true;
    // Die with the parent; if it died before prctl took effect, getppid() has changed.
    if (arm) ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
    child();
    ::_exit(0);
  }
  registry_mutex().unlock();
  if (pid < 0) throw_errno("fork");
  return pid;
}

LinkedChild fork_linked_child(bool tune, const std::function<void(int child_end)>& child_main) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) throw_errno("socketpair");
  if (tune) {
    tune_channel(sv[0]);
    tune_channel(sv[1]);
  }
  register_parent_fd(sv[0]);
  const int child_end = sv[1];
  pid_t pid = -1;
  try {
    pid = fork_child([&child_main, child_end] { child_main(child_end); });
  } catch (...) {
    unregister_parent_fd(sv[0]);
    close_fd(sv[0]);
    close_fd(sv[1]);
    throw;
  }
  close_fd(sv[1]);
  return {pid, sv[0]};
}

}  // namespace concur::multiprocessing::detail
