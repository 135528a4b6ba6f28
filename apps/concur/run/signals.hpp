// concur run: SIGINT, SIGTERM and SIGCHLD delivered to the event loop through a
// self-pipe (the handler only write()s the signal number: async-signal-safe), so
// poll() wakes on them and everything else happens outside signal context.
//
//   SignalPipe sigs;                      // installs handlers; the destructor restores them
//   poll({sigs.fd(), POLLIN}, ...);
//   for (int sig : sigs.drain()) ...;
//
// One instance per process at a time. Children get default handlers back at exec
// (concur::subprocess resets every handled signal), so jobs are unaffected.
#pragma once

#include <signal.h>

#include <vector>

namespace concur::cli::run {

class SignalPipe {
 public:
  SignalPipe();
  ~SignalPipe();
  SignalPipe(const SignalPipe&) = delete;
  SignalPipe& operator=(const SignalPipe&) = delete;

  int fd() const { return read_fd_; }
  /// The signals received since the last call, in order.
  std::vector<int> drain();

 private:
  int read_fd_ = -1;
  struct sigaction old_int_ {
  }, old_term_{}, old_chld_{};
  sigset_t old_mask_{};
};

}  // namespace concur::cli::run
