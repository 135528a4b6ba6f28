// Popen: waiting, signals, and stop() — the one way concur ends a child and its group.
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "concur/detail/core/error.hpp"
#include "concur/detail/core/exit_status.hpp"
#include "concur/subprocess.hpp"
#include "subprocess/state.hpp"

namespace concur::subprocess {

using concur::detail::Deadline;
using concur::detail::throw_errno;

std::optional<int> Popen::poll() {
  state_->reap_nohang();
  return state_->returncode;
}

int Popen::wait(std::optional<Duration> timeout) {
  if (!state_->wait_until(Deadline::after(timeout))) throw TimeoutExpired(state_->args, *timeout);
  return *state_->returncode;
}

std::optional<int> Popen::wait_for(Duration timeout) {
  try {
    if (!state_->wait_until(Deadline::after(timeout))) return std::nullopt;
  } catch (...) {
    return std::nullopt;
  }
  return state_->returncode;
}

void Popen::send_signal(int sig) { state_->signal(sig); }
void Popen::terminate() { send_signal(SIGTERM); }
void Popen::kill() { send_signal(SIGKILL); }

int Popen::stop(Duration grace) {
  State& s = *state_;
  if (s.returncode) return *s.returncode;
  // The child is not reaped before the SIGKILL below: while it is (at least) a zombie its pid
  // and group id cannot be recycled, so the group signal never reaches a stranger.
  if (grace > Duration::zero()) {
    s.signal_tree(SIGTERM);
    s.signal_tree(SIGCONT);  // a stopped child could not act on the SIGTERM
    s.wait_exited(Deadline::after(grace));
  }
  s.signal_tree(SIGKILL);
  s.wait_until(Deadline::never());
  return *s.returncode;
}

int Popen::pidfd() const { return state_->reaped.load() ? -1 : state_->pidfd.get(); }

// ---- State ----

void Popen::State::set_status(int status) {
  if (!WIFEXITED(status) && !WIFSIGNALED(status)) return;  // stopped/continued: not an end
  returncode = concur::detail::returncode_of(status);
  reaped.store(true);
}

bool Popen::State::reap_nohang() {
  if (returncode) return true;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid) set_status(status);
  if (r < 0 && errno == ECHILD) {  // reaped behind our back (SIGCHLD ignored): Python says 0
    returncode = 0;
    reaped.store(true);
  }
  return returncode.has_value();
}

bool Popen::State::wait_until(const Deadline& deadline) {
  if (reap_nohang()) return true;
  if (deadline.is_never()) {
    while (!returncode) {
      int status = 0;
      const pid_t r = ::waitpid(pid, &status, 0);
      if (r == pid) set_status(status);
      if (r < 0 && errno == ECHILD) reap_nohang();
      if (r < 0 && errno != EINTR && errno != ECHILD) throw_errno("waitpid");
    }
    return true;
  }
  while (!reap_nohang()) {
    if (!wait_exited(deadline)) return false;
  }
  return true;
}

bool Popen::State::wait_exited(const Deadline& deadline) {
  auto backoff = std::chrono::microseconds(500);
  while (!returncode) {
    if (pidfd) {  // readable once the child has exited
      pollfd p{pidfd.get(), POLLIN, 0};
      const auto left = deadline.rel_timespec();
      const int r = ::ppoll(&p, 1, left ? &*left : nullptr, nullptr);
      if (r > 0) return true;
      if (r < 0 && errno != EINTR) throw_errno("ppoll(pidfd)");
    } else {  // no pidfd (kernel < 5.3): a short sleep loop is the only portable way
      siginfo_t info{};
      const int r = ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT);
      if (r == 0 && info.si_pid == pid) return true;
      if (r < 0 && errno == ECHILD) return reap_nohang();
      if (!deadline.expired())
        std::this_thread::sleep_for(std::min<Duration>(backoff, deadline.remaining()));
      backoff = std::min(backoff * 2, std::chrono::microseconds(50'000));
    }
    if (deadline.expired()) return false;
  }
  return true;
}

void Popen::State::signal(int sig) {
  if (reaped.load()) return;
  if (pidfd) {
    if (syscall(SYS_pidfd_send_signal, pidfd.get(), sig, nullptr, 0) == 0 || errno == ESRCH) return;
    if (errno != ENOSYS) throw_errno("pidfd_send_signal");
  }
  if (::kill(pid, sig) != 0 && errno != ESRCH) throw_errno("kill");
}

void Popen::State::signal_tree(int sig) {
  if (reaped.load()) return;
  // While the leader is unreaped the group id is its pid and cannot be recycled. SIGKILL also
  // goes to the child itself, in case it left its group; a catchable signal is sent once.
  const bool reached_group = leads_group && ::killpg(pid, sig) == 0;
  if (!reached_group || sig == SIGKILL) signal(sig);
}

}  // namespace concur::subprocess
