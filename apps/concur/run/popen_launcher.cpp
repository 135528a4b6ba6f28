// The local backend: every job is a concur::subprocess::Popen (the library's one spawn path)
// leading its own process group, so one signal reaches the job's whole tree.
#include <concur/subprocess.hpp>

#include <signal.h>

#include <cerrno>

#include "launcher.hpp"

extern char** environ;  // NOLINT

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
    // Never block the event loop in ~Popen: the scheduler only drops reaped jobs, but if
    // it is torn down early, end the tree first so the wait is short.
    if (!popen_.returncode()) kill();
  }
  pid_t pid() const override { return popen_.pid(); }
  const std::string& host() const override { return host_; }
  std::optional<pid_t> local_process_group() const override { return pgid_; }
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
  void terminate() override {
    signal_group(SIGTERM);
    signal_group(SIGCONT);  // a stopped job must be able to act on the SIGTERM
  }
  int kill() override {
    signal_group(SIGKILL);
    return popen_.wait();
  }
  void kill_leftovers() override { signal_group(SIGKILL); }

 private:
  void signal_group(int sig) {
    // The group outlives its leader while members remain; its id cannot be reused meanwhile.
    if (::kill(-pgid_, sig) != 0 && errno == ESRCH && !popen_.returncode()) popen_.send_signal(sig);
  }

  sp::Popen popen_;
  pid_t pgid_;
  int out_fd_, err_fd_;
  std::string host_ = ":";
};

std::map<std::string, std::string> current_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string kv = *e;
    const auto eq = kv.find('=');
    if (eq != std::string::npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return env;
}

}  // namespace

std::unique_ptr<RunningJob> PopenLauncher::start(const LaunchSpec& spec) {
  static const std::map<std::string, std::string> base = current_environment();
  sp::Options o;
  o.in = sp::DEVNULL;
  o.out = sp::PIPE;
  o.err = sp::PIPE;
  o.shell = spec.shell;
  if (spec.cwd) o.cwd = *spec.cwd;
  o.env = base;
  for (const auto& [k, v] : spec.env) (*o.env)[k] = v;
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
