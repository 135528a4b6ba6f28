#include "signals.hpp"

#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace concur::cli::run {

namespace {

// SIG_IGN at start means whoever started us wants us deaf to it (a non-interactive shell's
// `concur run ... &` ignores SIGINT so Ctrl-C meant for the foreground spares us): blocking it
// for the signalfd would make the kernel queue it after all, so an ignored one stays ignored.
bool ignored(int sig) {
  struct sigaction old {};
  return ::sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN;
}

}  // namespace

SignalFd::SignalFd() {
  sigset_t set;
  sigemptyset(&set);
  for (const int sig : {SIGINT, SIGTERM})
    if (!ignored(sig)) sigaddset(&set, sig);
  sigaddset(&set, SIGCHLD);
  // Blocked first, so no signal slips between here and the signalfd.
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0)
    throw std::system_error(errno, std::generic_category(), "concur run: sigprocmask");
  fd_ = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "concur run: signalfd");
}

SignalFd::~SignalFd() { ::close(fd_); }

std::vector<int> SignalFd::drain() {
  std::vector<int> sigs;
  signalfd_siginfo info[16];
  for (;;) {
    const ssize_t n = ::read(fd_, info, sizeof info);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return sigs;
    for (std::size_t i = 0; i < static_cast<std::size_t>(n) / sizeof info[0]; ++i)
      sigs.push_back(static_cast<int>(info[i].ssi_signo));
  }
}

}  // namespace concur::cli::run
