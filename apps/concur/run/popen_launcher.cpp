// The local backend: every job is a concur::subprocess::Popen (the library's one spawn path).
#include <concur/subprocess.hpp>

#include <signal.h>

#include <cerrno>

#include "launcher.hpp"

namespace concur::cli::run {
namespace {

namespace sp = concur::subprocess;

class PopenJob : public RunningJob {
 public:
  explicit PopenJob(sp::Popen p)
      : popen_(std::move(p)),
        pgid_(popen_.pid()),
        out_fd_(popen_.out().fileno()),
        err_fd_(popen_.err().fileno()) {}
  ~PopenJob() override {
    // Never block the event loop in ~Popen: the scheduler only drops reaped jobs,
    // but if it is torn down early, kill the group first so the wait is short.
    if (!popen_.returncode()) signal_group(SIGKILL);
  }
  pid_t pid() const override { return popen_.pid(); }
  pid_t process_group() const override { return pgid_; }
  // Popen::out() throws once the stream is closed: remember the fds here.
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
  void signal_group(int sig) override {
    // The group outlives its leader while members remain; its id cannot be reused meanwhile.
    if (::kill(-pgid_, sig) != 0 && errno == ESRCH && !popen_.returncode()) popen_.send_signal(sig);
  }

 private:
  sp::Popen popen_;
  pid_t pgid_;
  int out_fd_, err_fd_;
};

}  // namespace

std::unique_ptr<RunningJob> PopenLauncher::start(const LaunchSpec& spec) {
  sp::Options o;
  o.in = sp::DEVNULL;
  o.out = sp::PIPE;
  o.err = sp::PIPE;
  o.shell = spec.shell;
  if (spec.cwd) o.cwd = *spec.cwd;
  o.env = spec.env;
  o.process_group = 0;
  try {
    return std::make_unique<PopenJob>(sp::Popen(spec.argv, std::move(o)));
  } catch (const sp::SpawnError& e) {
    throw LaunchError(e.what());
  } catch (const std::invalid_argument& e) {
    throw LaunchError(e.what());
  }
}

}  // namespace concur::cli::run
