// concur run: the narrow interface through which the scheduler starts jobs, so other
// backends (ssh logins, Slurm steps) can replace local processes.
//
//   PopenLauncher launcher;                    // concur::subprocess::Popen underneath
//   for (auto& t : launcher.targets()) ...;    // where jobs can run, and how many at once
//   auto job = launcher.start(spec);           // throws LaunchError if it cannot start
//   poll(job->stdout_fd(), ...);               // the scheduler reads the pipes itself
//   if (auto rc = job->try_reap()) ...;        // after SIGCHLD / when the pid is a zombie
//
// The scheduler owns the policy (when to stop a job, when it is leaky); the launcher owns
// the mechanism (how to signal a job's whole tree where it runs). Not thread-safe: one
// event loop owns the launcher and its jobs.
#pragma once

#include <sys/types.h>

#include <chrono>
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

/// A place jobs run: a host (":" is this machine, as GNU parallel writes it) and how many
/// jobs it takes at once (0: as many as -j says).
struct LaunchTarget {
  std::string host = ":";
  int slots = 0;
};

struct LaunchSpec {
  std::vector<std::string> argv;  // under shell: argv[0] is the command line
  bool shell = false;
  std::optional<std::string> cwd;
  std::map<std::string, std::string> env;  // added to the runner's own environment
  std::size_t target = 0;                  // index into Launcher::targets()
  std::string name;                        // the job's name (for a remote scheduler's logs)
  std::optional<std::chrono::duration<double>> timeout;  // the job's limit (e.g. srun --time)
};

class RunningJob {
 public:
  virtual ~RunningJob() = default;
  /// The process the runner waits for (a remote job: its local client, e.g. ssh).
  virtual pid_t pid() const = 0;
  /// Where it runs (the joblog's Host column).
  virtual const std::string& host() const = 0;
  /// The local process group whose members are the job's leftovers once pid() exited;
  /// nullopt when the job's processes are not local (the remote side cleans up).
  virtual std::optional<pid_t> local_process_group() const = 0;
  virtual int stdout_fd() const = 0;  // -1 once closed
  virtual int stderr_fd() const = 0;
  virtual void close_stdout() = 0;
  virtual void close_stderr() = 0;
  /// Reaps the job's own process if it has exited: its returncode (negative N: signal N).
  virtual std::optional<int> try_reap() = 0;
  /// Asks the job's whole tree to stop (SIGTERM); returns at once.
  virtual void terminate() = 0;
  /// Ends the job's whole tree now (SIGKILL) and reaps its own process: its returncode.
  virtual int kill() = 0;
  /// Once pid() has exited: ends whatever is left of its tree (no-op when nothing is).
  virtual void kill_leftovers() = 0;
};

class Launcher {
 public:
  virtual ~Launcher() = default;
  /// Where jobs can run; at least one target.
  virtual std::vector<LaunchTarget> targets() const { return {LaunchTarget{}}; }
  virtual std::unique_ptr<RunningJob> start(const LaunchSpec& spec) = 0;
};

/// Local processes through concur::subprocess::Popen: stdin /dev/null, stdout and
/// stderr piped, each job leading its own process group.
class PopenLauncher : public Launcher {
 public:
  std::unique_ptr<RunningJob> start(const LaunchSpec& spec) override;
};

}  // namespace concur::cli::run
