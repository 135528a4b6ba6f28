// Private: writing to a pipe without dying of SIGPIPE and without touching process-wide state.
//
// SIGPIPE from write() is sent to the writing thread. We block it in this thread only
// (pthread_sigmask) around the writes; if a write failed with EPIPE and no SIGPIPE was pending
// before, we consume the one we caused with sigtimedwait(0) before unblocking (as folly does).
#pragma once

#include <signal.h>

namespace concur::subprocess::detail {

class SigpipeGuard {
 public:
  SigpipeGuard();
  ~SigpipeGuard();
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;
  /// Call after a write failed with EPIPE: the SIGPIPE it raised is consumed on destruction.
  void note_epipe() { epipe_ = true; }

 private:
  sigset_t old_{};
  bool was_pending_ = false;  // a SIGPIPE pending before us belongs to someone else
  bool was_blocked_ = false;
  bool epipe_ = false;
};

}  // namespace concur::subprocess::detail
