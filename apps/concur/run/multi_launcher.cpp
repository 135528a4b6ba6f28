// Slots across hosts (see multi_launcher.hpp). A job holds its host's slot through a small
// decorator, so the count is right however the job ends: reaped, or dropped by the scheduler.
#include "multi_launcher.hpp"

namespace concur::cli::run {
namespace {

class SlotJob : public RunningJob {
 public:
  SlotJob(std::unique_ptr<RunningJob> job, std::shared_ptr<unsigned> running)
      : job_(std::move(job)), running_(std::move(running)) {
    ++*running_;
  }
  ~SlotJob() override { release(); }
  pid_t pid() const override { return job_->pid(); }
  pid_t process_group() const override { return job_->process_group(); }
  int stdout_fd() const override { return job_->stdout_fd(); }
  int stderr_fd() const override { return job_->stderr_fd(); }
  void close_stdout() override { job_->close_stdout(); }
  void close_stderr() override { job_->close_stderr(); }
  std::optional<int> try_reap() override {
    auto rc = job_->try_reap();
    if (rc) release();
    return rc;
  }
  void signal_group(int sig) override { job_->signal_group(sig); }
  std::string host() const override { return job_->host(); }

 private:
  void release() {
    if (held_ && *running_ > 0) --*running_;
    held_ = false;
  }
  std::unique_ptr<RunningJob> job_;
  std::shared_ptr<unsigned> running_;
  bool held_ = true;
};

}  // namespace

void MultiLauncher::add(std::unique_ptr<Launcher> launcher, unsigned slots) {
  Host h;
  h.launcher = std::move(launcher);
  h.slots = slots == 0 ? 1 : slots;
  hosts_.push_back(std::move(h));
}

unsigned MultiLauncher::total_slots() const {
  unsigned n = 0;
  for (const auto& h : hosts_) n += h.slots;
  return n;
}

std::unique_ptr<RunningJob> MultiLauncher::start(const LaunchSpec& spec) {
  Host* best = nullptr;
  for (auto& h : hosts_) {
    if (*h.running >= h.slots) continue;
    if (!best || h.slots - *h.running > best->slots - *best->running) best = &h;
  }
  if (!best) throw LaunchError("every host's job slots are busy");
  return std::make_unique<SlotJob>(best->launcher->start(spec), best->running);
}

}  // namespace concur::cli::run
