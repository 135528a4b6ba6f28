// The forkserver: a process forked by set_start_method(StartMethod::forkserver) while the
// program is still single-threaded. It stays single-threaded, holds no locks, and forks a
// worker whenever a pool or Process asks over its unix socket; so workers are clean even when
// the program later has busy threads holding locks (a fork() from such a program copies the
// locks held, never their owners).
//
// Each worker gets a channel (socketpair) and a status pipe; both parent ends go back to the
// requester over SCM_RIGHTS. The server reaps its children (SIGCHLD via signalfd) and writes
// each one's wait status to its status pipe, so the requester learns the exit code although the
// worker is not its child. The server dies with the program (PR_SET_PDEATHSIG), and its
// workers with it.
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <atomic>
#include <cerrno>
#include <map>
#include <mutex>

#include "concur/multiprocessing/errors.hpp"
#include "multiprocessing/registry.hpp"
#include "multiprocessing/worker_link.hpp"

namespace concur::multiprocessing::detail {
namespace {

struct ServerState {
  std::mutex mutex;
  int sock = -1;
  pid_t pid = -1;
};

ServerState& server() {
  static auto* s = new ServerState;
  return *s;
}

std::atomic<StartMethod> default_method{StartMethod::fork};

void reap(std::map<pid_t, int>& status_fds) {
  for (;;) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid < 0 && errno == EINTR) continue;
    if (pid <= 0) return;
    auto it = status_fds.find(pid);
    if (it == status_fds.end()) continue;
    write_all(it->second, &status, sizeof status);
    unregister_parent_fd(it->second);
    close_fd(it->second);
    status_fds.erase(it);
  }
}

void spawn_one(int sock, std::map<pid_t, int>& status_fds, const sigset_t& old_mask) {
  int ch[2], st[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ch) < 0) throw_errno("socketpair");
  if (::pipe2(st, O_CLOEXEC) < 0) throw_errno("pipe2");
  tune_channel(ch[0]);
  tune_channel(ch[1]);
  register_parent_fd(ch[0]);
  register_parent_fd(st[0]);
  register_parent_fd(st[1]);
  const int child_end = ch[1];
  const pid_t pid = fork_child([child_end, &old_mask] {
    ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    worker_main(child_end);
  });
  close_fd(ch[1]);
  unregister_parent_fd(ch[0]);
  unregister_parent_fd(st[0]);
  status_fds[pid] = st[1];
  Message reply;
  reply.kind = Kind::spawned;
  reply.id = static_cast<std::uint64_t>(pid);
  reply.fds.push(ch[0]);
  reply.fds.push(st[0]);  // both closed here once sent
  send_message(sock, reply);
}

[[noreturn]] void server_main(int sock) {
  sigset_t chld, old_mask;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &chld, &old_mask);
  const int sigfd = ::signalfd(-1, &chld, SFD_CLOEXEC);
  if (sigfd < 0) ::_exit(1);
  register_parent_fd(sock);
  register_parent_fd(sigfd);
  std::map<pid_t, int> status_fds;
  for (;;) {
    pollfd p[2] = {{sock, POLLIN, 0}, {sigfd, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      ::_exit(1);
    }
    if (p[1].revents != 0) {
      signalfd_siginfo info;
      while (::read(sigfd, &info, sizeof info) < 0 && errno == EINTR) {
      }
      reap(status_fds);
    }
    if (p[0].revents != 0) {
      Message req;
      bool got = false;
      try {
        got = recv_message(sock, req);
        if (got && req.kind == Kind::spawn) spawn_one(sock, status_fds, old_mask);
      } catch (...) {
        got = false;
      }
      if (!got) ::_exit(0);  // the program closed the socket or died: our workers follow
    }
  }
}

}  // namespace

void ensure_forkserver() {
  ServerState& s = server();
  std::lock_guard lock(s.mutex);
  if (s.sock >= 0) return;
  const LinkedChild c = fork_linked_child(false, [](int server_end) { server_main(server_end); });
  s.pid = c.pid;
  s.sock = c.parent_end;
}

ServerWorker forkserver_spawn() {
  ensure_forkserver();
  ServerState& s = server();
  std::lock_guard lock(s.mutex);
  Message req;
  req.kind = Kind::spawn;
  if (!send_message(s.sock, req))
    throw ProcessError("concur::multiprocessing: the forkserver died");
  Message reply;
  if (!recv_message(s.sock, reply) || reply.kind != Kind::spawned || reply.fds.size() != 2)
    throw ProcessError("concur::multiprocessing: the forkserver died");
  const auto fds = reply.fds.release();
  return {static_cast<pid_t>(reply.id), fds[0], fds[1]};
}

}  // namespace concur::multiprocessing::detail

namespace concur::multiprocessing {

void set_start_method(StartMethod method) {
  if (method == StartMethod::forkserver) detail::ensure_forkserver();
  detail::default_method.store(method);
}

StartMethod get_start_method() { return detail::default_method.load(); }

std::vector<StartMethod> get_all_start_methods() {
  return {StartMethod::fork, StartMethod::spawn, StartMethod::forkserver};  // Python's order
}

}  // namespace concur::multiprocessing
