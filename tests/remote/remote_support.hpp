// Test support for the remote launchers: the services of scripts/ci-services, reading a job's
// output, waiting for it, and the remote process table.
#pragma once

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>
#include <concur/subprocess.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "launcher.hpp"
#include "support/leak_check.hpp"

namespace concur::test::remote {

namespace sp = concur::subprocess;
using namespace std::chrono_literals;

inline std::string services_dir() {
  const char* d = std::getenv("CONCUR_SERVICES_DIR");
  return d && *d ? d : "/tmp/concur-services";
}
inline std::string ssh_config() { return services_dir() + "/ssh_config"; }
inline const char* kLogin = "concurtest@127.0.0.1";

/// True when the loopback sshd of scripts/ci-services answers.
inline bool ssh_available() {
  static const bool up = [] {
    if (!std::filesystem::exists(ssh_config())) return false;
    try {
      return sp::run({"ssh", "-F", ssh_config(), kLogin, "true"},
                     {.in = sp::DEVNULL, .out = sp::DEVNULL, .err = sp::DEVNULL, .timeout = 10s})
                 .returncode == 0;
    } catch (...) {
      return false;
    }
  }();
  return up;
}

/// True when a Slurm partition is up (scripts/ci-services start).
inline bool slurm_available() {
  static const bool up = [] {
    try {
      const auto r = sp::run({"sinfo", "-h", "-o", "%a"},
                             {.in = sp::DEVNULL, .capture_output = true, .timeout = 10s});
      return r.returncode == 0 && r.out.find("up") != std::string::npos;
    } catch (...) {
      return false;
    }
  }();
  return up;
}

#define CONCUR_REQUIRE_SSH()                  \
  if (!concur::test::remote::ssh_available()) \
  GTEST_SKIP() << "no loopback sshd: run `scripts/ci-services start` (as .ci/run does)"
#define CONCUR_REQUIRE_SLURM()                  \
  if (!concur::test::remote::slurm_available()) \
  GTEST_SKIP() << "no Slurm: run `scripts/ci-services start` (as .ci/run does)"

/// Reads the job's stdout and stderr to EOF, then waits for its status (10 s limit).
struct Finished {
  int status = -1000;
  std::string out, err;
};
inline Finished finish(cli::run::RunningJob& job, std::chrono::milliseconds limit = 10000ms) {
  Finished f;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (job.stdout_fd() >= 0 || job.stderr_fd() >= 0) {
    pollfd p[2] = {{job.stdout_fd(), POLLIN, 0}, {job.stderr_fd(), POLLIN, 0}};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return f;
    if (::poll(p, 2, static_cast<int>(left.count())) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[4096];
      const ssize_t n = ::read(p[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? f.out : f.err).append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        i == 0 ? job.close_stdout() : job.close_stderr();
      }
    }
  }
  eventually(
      [&] {
        if (auto rc = job.try_reap()) f.status = *rc;
        return f.status != -1000;
      },
      limit);
  return f;
}

/// Processes of `user` whose command line contains `marker` (the remote side's process table).
inline int count_processes(const std::string& marker, const std::string& user = "concurtest") {
  try {
    const auto r = sp::run({"pgrep", "-c", "-u", user, "-f", marker},
                           {.in = sp::DEVNULL, .capture_output = true, .timeout = 10s});
    return std::atoi(r.out.c_str());
  } catch (...) {
    return -1;
  }
}

/// A job spec that runs `line` through the shell.
inline cli::run::LaunchSpec shell_spec(std::string line) {
  cli::run::LaunchSpec s;
  s.argv = {std::move(line)};
  s.shell = true;
  return s;
}

}  // namespace concur::test::remote
