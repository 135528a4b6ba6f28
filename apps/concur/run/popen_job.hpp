// concur run: the plumbing every job whose own process is a local concur::subprocess::Popen
// shares — a local process (PopenLauncher), its ssh client (SshLauncher) or its srun
// (SlurmLauncher). A subclass says how to stop the job's tree where it runs (terminate, kill)
// and, for a local tree, where its leftovers are.
//
//   class MyJob : public PopenBackedJob {
//    public:
//     MyJob(sp::Popen p) : PopenBackedJob(std::move(p), "host") {}
//     ~MyJob() override { kill_unless_reaped(); }
//     void terminate() override { ... }
//     int kill() override { ... }
//   };
//
// Not thread-safe (one event loop owns its jobs).
#pragma once

#include <concur/subprocess.hpp>

#include <optional>
#include <string>

#include "launcher.hpp"

namespace concur::cli::run {

class PopenBackedJob : public RunningJob {
 public:
  /// `p` must have piped stdout and stderr.
  PopenBackedJob(concur::subprocess::Popen p, std::string host)
      : popen_(std::move(p)),
        out_fd_(popen_.out().fileno()),
        err_fd_(popen_.err().fileno()),
        host_(std::move(host)) {}

  pid_t pid() const override { return popen_.pid(); }
  const std::string& host() const override { return host_; }
  /// Default: the job's processes are not local (the remote side cleans up).
  std::optional<pid_t> local_process_group() const override { return std::nullopt; }
  // Popen::out() throws once the stream is closed: the fds are remembered here.
  int stdout_fd() const override { return out_fd_; }
  int stderr_fd() const override { return err_fd_; }
  void close_stdout() override {
    if (out_fd_ >= 0) popen_.out().close();
    out_fd_ = -1;
  }
  void close_stderr() override {
    if (err_fd_ >= 0) popen_.err().close();
    err_fd_ = -1;
  }
  std::optional<int> try_reap() override { return popen_.poll(); }
  /// Default: nothing is left locally (the remote side or the scheduler ends the tree).
  void kill_leftovers() override {}

 protected:
  /// For subclasses' destructors: never block the event loop in ~Popen — the scheduler
  /// drops only reaped jobs, but if it is torn down early, end the tree first (the
  /// subclass's kill(), which a base destructor could not call).
  void kill_unless_reaped() {
    if (!popen_.returncode()) kill();
  }

  concur::subprocess::Popen popen_;

 private:
  int out_fd_, err_fd_;
  std::string host_;
};

}  // namespace concur::cli::run
