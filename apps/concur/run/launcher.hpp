// concur run: the narrow interface through which the scheduler starts jobs, so a
// second backend (e.g. MPI ranks) can replace local processes later.
//
//   PopenLauncher launcher;                    // concur::subprocess::Popen underneath
//   auto job = launcher.start(spec);           // throws LaunchError if it cannot start
//   poll(job->stdout_fd(), ...);               // the scheduler reads the pipes itself
//   if (auto rc = job->try_reap()) ...;        // after SIGCHLD / when the pid is a zombie
//
// A started job leads its own process group (pgid == pid). Not thread-safe: one
// event loop owns the launcher and its jobs.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace concur::cli::run {

/// The job could not start (program missing, cwd missing...): a failed job, not a crash.
struct LaunchError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct LaunchSpec {
  std::vector<std::string> argv;  // under shell: argv[0] is the command line
  bool shell = false;
  std::optional<std::string> cwd;
  std::map<std::string, std::string> env;  // the complete environment
};

class RunningJob {
 public:
  virtual ~RunningJob() = default;
  virtual pid_t pid() const = 0;
  virtual pid_t process_group() const = 0;
  virtual int stdout_fd() const = 0;  // -1 once closed
  virtual int stderr_fd() const = 0;
  virtual void close_stdout() = 0;
  virtual void close_stderr() = 0;
  /// Reaps the job's own process if it has exited: its returncode (negative N: signal N).
  virtual std::optional<int> try_reap() = 0;
  /// Signals the job's whole process group (no-op once the group is gone). Remote launchers
  /// relay it: SIGTERM/SIGINT ask the remote tree to stop, SIGKILL ends it.
  virtual void signal_group(int sig) = 0;
  /// Where the job runs, for the joblog's Host column: ":" for this machine (GNU parallel's).
  virtual std::string host() const { return ":"; }
};

class Launcher {
 public:
  virtual ~Launcher() = default;
  virtual std::unique_ptr<RunningJob> start(const LaunchSpec& spec) = 0;
};

/// Local processes through concur::subprocess::Popen: stdin /dev/null, stdout and
/// stderr piped, process_group = 0.
class PopenLauncher : public Launcher {
 public:
  std::unique_ptr<RunningJob> start(const LaunchSpec& spec) override;
};

}  // namespace concur::cli::run
