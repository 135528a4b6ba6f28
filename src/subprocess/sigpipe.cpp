// SIGPIPE suppression for the writing thread only (see sigpipe.hpp).
#include "subprocess/sigpipe.hpp"

#include <pthread.h>
#include <time.h>

#include <cerrno>

namespace concur::subprocess::detail {

SigpipeGuard::SigpipeGuard() {
  sigset_t pipe_only;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  sigset_t pending;
  sigemptyset(&pending);
  if (sigpending(&pending) == 0) was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  pthread_sigmask(SIG_BLOCK, &pipe_only, &old_);
  was_blocked_ = sigismember(&old_, SIGPIPE) == 1;
}

SigpipeGuard::~SigpipeGuard() {
  if (epipe_ && !was_pending_) {
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    const timespec zero{0, 0};
    const int saved = errno;
    while (sigtimedwait(&pipe_only, nullptr, &zero) < 0 && errno == EINTR) {
    }
    errno = saved;
  }
  if (!was_blocked_) pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}

}  // namespace concur::subprocess::detail
