// concur run on other machines: the small POSIX-sh wrapper every remote job runs under.
//
// The remote side runs the job in its own session (setsid), so its whole tree is one process
// group, and relays what the local side asks through the job's ssh stdin: a line "T" sends
// SIGTERM to that group, "K" SIGKILL; end of input (the local ssh was killed, or the
// connection dropped) sends SIGTERM, then SIGKILL after the grace. When the job's main
// process exits, whatever it left in its group is killed, so nothing outlives the job.
//
//   std::string cmd = remote_command(spec, 2.0);   // ssh host -- cmd
//
// Thread safety: pure functions.
#pragma once

#include <string>

#include "launcher.hpp"

namespace concur::cli::run {

/// The shell command line (for the remote login shell) that runs `spec` under the wrapper:
/// cwd, the job's extra environment (spec.env: --env, CONCUR_JOB, CONCUR_SLOT — never the
/// whole local environment) and the command itself.
std::string remote_command(const LaunchSpec& spec, double grace_seconds);

}  // namespace concur::cli::run
