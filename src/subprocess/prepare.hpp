// Private: turning a Popen's args and Options into a SpawnPlan, and owning what that opens.
//
// Everything that can fail without a child is checked and done here, in the parent, before
// the clone: bad options (std::invalid_argument naming the field), unknown users and groups,
// redirect files, pipes and their size (SpawnError). If anything throws, the fds opened so far
// close with the Prepared object and no process ever existed.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "concur/detail/core/fd.hpp"
#include "concur/subprocess/options.hpp"
#include "subprocess/spawn.hpp"

namespace concur::subprocess::detail {

/// A SpawnPlan and everything it points into. Not movable: the plan holds pointers to members.
struct Prepared {
  Prepared() = default;
  Prepared(const Prepared&) = delete;
  Prepared& operator=(const Prepared&) = delete;

  SpawnPlan plan;
  concur::detail::UniqueFd child_end[3];  // closed once the child has exec'd
  concur::detail::UniqueFd ours[3];       // become the Popen's PipeStreams
  concur::detail::UniqueFd devnull;
  std::vector<std::string> env_entries;  // "K=V"
  std::string cwd;
  std::vector<gid_t> groups;
  std::vector<std::pair<int, rlim_t>> rlimits;
};

/// Throws std::invalid_argument naming the first field that only run()/call() read
/// (timeout, input, capture_output, check), or an invalid value (rlimits resource, pipesize,
/// an environment name with '=' or NUL).
void check_popen_options(const Options& options);

/// Fills `out` for `args` and `options` (already checked). Throws SpawnError, std::system_error,
/// std::invalid_argument (STDOUT for in/out).
void prepare(Prepared& out, const std::vector<std::string>& args, const Options& options);

}  // namespace concur::subprocess::detail
