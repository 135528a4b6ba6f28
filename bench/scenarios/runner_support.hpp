// Shared by the runner_* scenarios: spawning a whole command line (concur run,
// xargs, GNU parallel) and measuring its time or peak memory.
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "harness/harness.hpp"

extern char** environ;  // NOLINT

namespace concur::bench::runner {

inline std::string concur_cli() {
#ifdef CONCUR_CLI_PATH
  return CONCUR_CLI_PATH;
#else
  throw Skip("CONCUR_CLI_PATH is not defined for this build");
#endif
}

/// Looks `name` up in PATH; throws Skip if it is not installed.
inline std::string require_program(const std::string& name) {
  for (const char* dir : {"/usr/bin", "/bin", "/usr/local/bin"}) {
    const std::string p = std::string(dir) + "/" + name;
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  throw Skip(name + " is not installed");
}

struct Outcome {
  int status = -1;
  double seconds = 0;
  double peak_rss_mib = 0;  // of the command itself: its VmHWM, sampled while it runs
};

/// Runs argv (argv[0] a path) with stdin from `stdin_file` (or /dev/null) and stdout,
/// stderr to /dev/null; times it from spawn to reap. A non-zero exit throws unless
/// `allow_failure` (a test suite with a failing test still measures the runner).
inline Outcome run_command(std::vector<std::string> args, const std::string& stdin_file = "",
                           bool sample_rss = false, bool allow_failure = false) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, stdin_file.empty() ? "/dev/null" : stdin_file.c_str(),
                                   O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  Outcome o;
  pid_t pid = 0;
  const auto t0 = std::chrono::steady_clock::now();
  const int rc = ::posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error("posix_spawn " + args[0] + " failed");
  // Peak RSS comes from /proc/<pid>/status (VmHWM, the high-water mark of the program's own
  // memory), sampled until it exits. wait4's ru_maxrss would be wrong here: a child started
  // with vfork semantics shares this (large) process's memory until exec, and the kernel
  // carries that high-water mark across exec into the child's ru_maxrss.
  siginfo_t info{};
  while (sample_rss) {
    info.si_pid = 0;
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) < 0 &&
        errno != EINTR)
      break;
    if (info.si_pid == pid) break;
    std::ifstream status_file("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status_file, line);)
      if (line.rfind("VmHWM:", 0) == 0)
        o.peak_rss_mib = std::max(o.peak_rss_mib, std::stod(line.substr(6)) / 1024.0);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  o.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (o.status != 0 && !allow_failure)
    throw std::runtime_error(args[0] + " exited with " + std::to_string(o.status));
  return o;
}

}  // namespace concur::bench::runner
