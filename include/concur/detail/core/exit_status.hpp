// concur/detail/core/exit_status.hpp — the one decoder of a child's exit status.
//
// Internal; not part of the API. Python's convention everywhere: the exit code, or -N for a
// child killed by signal N.
//
//   int status; waitpid(pid, &status, 0);  int rc = concur::detail::returncode_of(status);
//
// Thread safety: pure functions.
#pragma once

#include <signal.h>
#include <sys/wait.h>

namespace concur::detail {

/// waitpid()'s status as a Python returncode: exit code, or -signal. Anything else (a stopped
/// child reported by mistake) counts as killed by SIGKILL.
inline int returncode_of(int wait_status) noexcept {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return -WTERMSIG(wait_status);
  return -SIGKILL;
}

/// waitid()'s siginfo as a Python returncode (CLD_EXITED: si_status; CLD_KILLED/CLD_DUMPED:
/// -signal).
inline int returncode_of(const siginfo_t& info) noexcept {
  if (info.si_code == CLD_EXITED) return info.si_status;
  if (info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED) return -info.si_status;
  return -SIGKILL;
}

}  // namespace concur::detail
