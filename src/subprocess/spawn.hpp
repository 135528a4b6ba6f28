// Private: starting a child without fork(): clone(CLONE_VM | CLONE_VFORK) onto a small stack.
//
// Everything the child needs (argv, envp, every PATH candidate, the fd plan) is prepared here in
// the parent, so the child allocates nothing and calls only raw syscalls until execve.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "concur/detail/core/fd.hpp"

namespace concur::subprocess::detail {

struct SpawnPlan {
  std::string program;                  // for error messages
  std::vector<std::string> candidates;  // paths to try with execve, in order
  std::vector<std::string> argv;
  const std::vector<std::string>* env = nullptr;  // "K=V" entries; nullptr = inherit environ
  int stdio[3] = {-1, -1, -1};                    // fd to become 0/1/2 in the child; -1 = inherit
  bool err_to_stdout = false;                     // dup2(1, 2) after the others
  bool close_fds = true;
  std::vector<int> pass_fds;
  const char* cwd = nullptr;
  bool setsid = false;
  int pgid = -1;  // setpgid(0, pgid) when >= 0
  int umask = -1;
  const std::vector<std::pair<int, rlim_t>>* rlimits = nullptr;  // setrlimit(r, {v, v}) each
  const std::vector<gid_t>* groups = nullptr;                    // setgroups when set
  std::optional<gid_t> gid;                                      // setresgid(gid, gid, gid)
  std::optional<uid_t> uid;                                      // setresuid(uid, uid, uid)
  bool reset_ignored = false;  // SIG_IGN dispositions back to SIG_DFL too
};

struct Spawned {
  pid_t pid = -1;
  concur::detail::UniqueFd pidfd;  // -1 where pidfds are unavailable
};

/// Starts the child. Throws SpawnError: child-side failures (chdir, exec...) carry the child's
/// errno; the child is reaped before throwing.
Spawned spawn(const SpawnPlan& plan);

/// PATH candidates for `program` as execvp would try them (no '/' in program: every PATH entry).
std::vector<std::string> exec_candidates(const std::string& program, const char* path);

}  // namespace concur::subprocess::detail
