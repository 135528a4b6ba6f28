// Jobs as Slurm steps (see slurm_launcher.hpp).
#include "slurm_launcher.hpp"

#include <unistd.h>
#include <concur/subprocess.hpp>

#include <cstdlib>
#include <sstream>

#include "popen_job.hpp"

namespace concur::cli::run {
namespace {

namespace sp = concur::subprocess;
using namespace std::chrono_literals;

std::string first_line(const std::string& s) {
  const auto nl = s.find('\n');
  std::string l = s.substr(0, nl);
  while (!l.empty() && (l.back() == '\r' || l.back() == ' ')) l.pop_back();
  return l;
}

// The id of the step (inside an allocation) or job named `name`, or "" if Slurm has none.
std::string find_id(const std::string& name, bool inside) {
  try {
    if (inside) {
      const auto r = sp::run({"squeue", "-h", "-s", "-o", "%i %j"},
                             {.in = sp::DEVNULL, .capture_output = true, .timeout = 10s});
      std::istringstream in(r.out);
      std::string id, n;
      while (in >> id >> n)
        if (n == name) return id;
      return {};
    }
    const auto r = sp::run({"squeue", "-h", "--name=" + name, "-o", "%i"},
                           {.in = sp::DEVNULL, .capture_output = true, .timeout = 10s});
    return first_line(r.out);
  } catch (const std::exception&) {
    return {};
  }
}

void scancel(const std::string& id, const char* signal) {
  if (id.empty()) return;
  std::vector<std::string> argv{"scancel", "--quiet"};
  if (signal) argv.push_back(std::string("--signal=") + signal);
  argv.push_back(id);
  try {
    sp::run(argv, {.in = sp::DEVNULL, .out = sp::DEVNULL, .err = sp::DEVNULL, .timeout = 10s});
  } catch (const std::exception&) {  // Slurm unreachable: the local kill below still ends srun
  }
}

class SrunJob : public PopenBackedJob {
 public:
  SrunJob(sp::Popen p, std::string name, bool inside)
      : PopenBackedJob(std::move(p), "slurm"), name_(std::move(name)), inside_(inside) {}
  ~SrunJob() override { kill_unless_reaped(); }
  void terminate() override {
    if (!popen_.returncode()) scancel(id(), "TERM");
  }
  int kill() override {
    if (auto rc = popen_.returncode()) return *rc;
    scancel(id(), nullptr);
    return popen_.stop(std::chrono::seconds(0));  // srun itself: the step is cancelled already
  }
  // kill_leftovers: nothing local; Slurm ends the step's processes with the step.

 private:
  const std::string& id() {
    if (id_.empty()) id_ = find_id(name_, inside_);
    return id_;
  }
  std::string name_, id_;
  bool inside_;
};

}  // namespace

SlurmLauncher::SlurmLauncher(std::vector<std::string> srun_args)
    : srun_args_(std::move(srun_args)) {
  const char* job = std::getenv("SLURM_JOB_ID");
  inside_ = job != nullptr && *job != '\0';
  if (inside_) return;
  std::string why;
  try {
    const auto r = sp::run({"sinfo", "-h", "-o", "%a"},
                           {.in = sp::DEVNULL, .capture_output = true, .timeout = 15s});
    if (r.returncode == 0 && r.out.find("up") != std::string::npos) return;
    why = r.returncode != 0 ? first_line(r.err) : "no partition is up";
  } catch (const sp::SpawnError&) {
    why = "Slurm's commands (sinfo, srun) are not installed";
  } catch (const sp::TimeoutExpired&) {
    why = "the Slurm controller does not answer";
  }
  throw LaunchError(
      "--slurm: not inside a Slurm allocation (SLURM_JOB_ID is unset) and none can be made: " +
      why);
}

std::unique_ptr<RunningJob> SlurmLauncher::start(const LaunchSpec& spec) {
  const std::string name = "concur-" + std::to_string(::getpid()) + "-" + std::to_string(++next_);
  std::vector<std::string> argv{"srun",    "--job-name=" + name,  "--ntasks=1", "--nodes=1",
                                "--quiet", "--kill-on-bad-exit=1"};
  argv.insert(argv.end(), srun_args_.begin(), srun_args_.end());
  if (spec.cwd) argv.push_back("--chdir=" + *spec.cwd);
  argv.push_back("--");
  if (spec.shell) argv.insert(argv.end(), {"/bin/sh", "-c"});
  argv.insert(argv.end(), spec.argv.begin(), spec.argv.end());
  sp::Options o;
  o.in = sp::DEVNULL;
  o.out = sp::PIPE;
  o.err = sp::PIPE;
  o.extra_env = spec.env;  // srun exports its environment to the step (--export=ALL)
  o.process_group = 0;
  try {
    return std::make_unique<SrunJob>(sp::Popen(std::move(argv), std::move(o)), name, inside_);
  } catch (const sp::SpawnError& e) {
    throw LaunchError(e.what());
  }
}

}  // namespace concur::cli::run
