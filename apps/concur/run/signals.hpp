// concur run: SIGINT, SIGTERM and SIGCHLD delivered to the event loop as readable
// data on a signalfd, so poll() wakes on them and nothing runs in signal context.
//
//   SignalFd sigs;                        // blocks the three signals, opens the signalfd
//   poll({sigs.fd(), POLLIN}, ...);
//   for (int sig : sigs.drain()) ...;
//
// The signals stay blocked after the SignalFd is gone: a late Ctrl-C while the
// reports are written must not kill the runner half-way (it exits soon anyway).
// A signal ignored when we start (SIG_IGN inherited, as under a shell's `cmd &` or
// nohup) stays ignored. Jobs are unaffected: each starts with an empty signal mask and
// every disposition at SIG_DFL (Options::reset_ignored_signals). (A self-pipe written from a
// handler works too, but sanitizers defer handlers while poll() blocks; a signalfd has no handler
// at all.) One instance per process at a time; not thread-safe.
#pragma once

#include <signal.h>

#include <vector>

namespace concur::cli::run {

class SignalFd {
 public:
  SignalFd();  // throws std::system_error
  ~SignalFd();
  SignalFd(const SignalFd&) = delete;
  SignalFd& operator=(const SignalFd&) = delete;

  int fd() const { return fd_; }
  /// The signals received since the last call, in order.
  std::vector<int> drain();

 private:
  int fd_ = -1;
};

}  // namespace concur::cli::run
