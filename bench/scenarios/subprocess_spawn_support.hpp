// Spawn loops shared by the spawn_true scenarios: concur, the raw posix_spawn / fork+exec limits,
// and Boost.Process v2.
#pragma once

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <concur/subprocess.hpp>
#include <stdexcept>

#include "harness/harness.hpp"

namespace concur::bench::spawn {

inline int spawns() { return quick() ? 20 : 100; }

inline void wait_ok(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error("waitpid failed");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error("true failed");
}

inline double concur_run(int n = spawns()) {
  return time_it([n] {
    for (int i = 0; i < n; ++i)
      if (concur::subprocess::run({"/bin/true"}).returncode != 0) throw std::runtime_error("true");
  });
}

inline double raw_posix_spawn(int n = spawns()) {
  return time_it([n] {
    char* argv[] = {const_cast<char*>("/bin/true"), nullptr};
    for (int i = 0; i < n; ++i) {
      pid_t pid;
      if (::posix_spawn(&pid, "/bin/true", nullptr, nullptr, argv, environ) != 0)
        throw std::runtime_error("posix_spawn failed");
      wait_ok(pid);
    }
  });
}

inline double raw_fork_exec(int n = spawns()) {
  return time_it([n] {
    char* argv[] = {const_cast<char*>("/bin/true"), nullptr};
    for (int i = 0; i < n; ++i) {
      const pid_t pid = ::fork();
      if (pid < 0) throw std::runtime_error("fork failed");
      if (pid == 0) {
        ::execve("/bin/true", argv, environ);
        ::_exit(127);
      }
      wait_ok(pid);
    }
  });
}

/// Boost.Process v2 (fork-based by default on Linux); throws Skip without Boost.
double boost_process_v2(int n = spawns());

}  // namespace concur::bench::spawn
