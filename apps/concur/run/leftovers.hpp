// concur run: finding the processes a job leaves behind. The runner is a child subreaper
// (PR_SET_CHILD_SUBREAPER), so every orphan of a job is re-parented to it; a job's
// leftovers are the live members of its process group, and the runner's children that are
// no job's main process but carry the job's launch id in their environment (those that
// left the group with setsid). Everything is read from /proc.
//
//   if (auto left = leftovers_of(pgid, "CONCUR_RUN_ID=42-7", mains); !left.empty()) ...
//
// Thread safety: functions only; they read /proc, nothing is cached.
#pragma once

#include <sys/types.h>

#include <set>
#include <string>
#include <vector>

namespace concur::cli::run {

/// Live (non-zombie) processes that are the job's leftovers: members of process group
/// `pgid`, and our children outside `mains` whose environment contains `marker` (NAME=VALUE).
/// `*uncertain` (if given) is set when a child's environment could not be read (it is in
/// the middle of an exec): ask again later.
std::vector<pid_t> leftovers_of(pid_t pgid, const std::string& marker, const std::set<pid_t>& mains,
                                bool* uncertain = nullptr);

/// "PID NAME ARGS..." of a process (for reports), or "PID" once it is gone.
std::string describe_process(pid_t pid);

/// Our live children (every thread's), read from /proc/self/task/*/children.
std::vector<pid_t> our_children();

/// SIGKILLs and reaps every child of ours: what escaped its job unattributed.
void kill_escaped_children();

}  // namespace concur::cli::run
