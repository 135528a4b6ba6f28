// The local backend: every job is a concur::subprocess::Popen (the library's one spawn path)
// leading its own process group, so one signal reaches the job's whole tree.
#include <concur/subprocess.hpp>

#include <signal.h>

#include <cerrno>

#include "launcher.hpp"
#include "popen_job.hpp"

namespace concur::cli::run {
namespace {

namespace sp = concur::subprocess;

class PopenJob : public PopenBackedJob {
 public:
  explicit PopenJob(sp::Popen p) : PopenBackedJob(std::move(p), ":"), pgid_(popen_.pid()) {}
  ~PopenJob() override { kill_unless_reaped(); }
  std::optional<pid_t> local_process_group() const override { return pgid_; }
  // The first step of Popen::stop's policy without its wait (the event loop must not
  // block): SIGTERM, and SIGCONT so a stopped job can act on it, to the whole group.
  void terminate() override {
    signal_group(SIGTERM);
    signal_group(SIGCONT);
  }
  // Popen::stop with no grace: SIGKILL to the group, then reaped (the library's one
  // tree-kill policy, as run()'s timeout).
  int kill() override { return popen_.stop(std::chrono::seconds(0)); }
  // Popen::stop does nothing once its child is reaped (the group is no longer its to signal);
  // the leftovers of a reaped job are the runner's business: its group, by id, which the
  // kernel does not reuse while any member lives.
  void kill_leftovers() override { signal_group(SIGKILL); }

 private:
  void signal_group(int sig) {
    // The group outlives its leader while members remain; its id cannot be reused meanwhile.
    if (::kill(-pgid_, sig) != 0 && errno == ESRCH && !popen_.returncode()) popen_.send_signal(sig);
  }

  pid_t pgid_;
};

}  // namespace

std::unique_ptr<RunningJob> PopenLauncher::start(const LaunchSpec& spec) {
  sp::Options o;
  o.in = sp::DEVNULL;
  o.out = sp::PIPE;
  o.err = sp::PIPE;
  o.shell = spec.shell;
  if (spec.cwd) o.cwd = *spec.cwd;
  o.extra_env = spec.env;  // our environment plus the job's
  o.process_group = 0;
  o.reset_ignored_signals = true;  // a job gets default signals even under `concur run ... &`
  try {
    return std::make_unique<PopenJob>(sp::Popen(spec.argv, std::move(o)));
  } catch (const sp::SpawnError& e) {
    throw LaunchError(e.what());
  } catch (const std::invalid_argument& e) {
    throw LaunchError(e.what());
  }
}

}  // namespace concur::cli::run
