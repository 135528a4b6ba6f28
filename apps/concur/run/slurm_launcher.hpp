// concur run on other machines: one Slurm job step per job, through srun.
//
// Inside an allocation (SLURM_JOB_ID set, e.g. under salloc or sbatch) every job is a step of
// it; outside one, every job is a one-task allocation of its own. Each step is named
// `concur-<pid>-<n>`, so a timeout finds it: `scancel --signal=TERM` first, then `scancel`
// after the grace — signalling the local srun either kills with no grace or leaves the step
// running for seconds, so it is never relied on. Extra SRUN ARGS (--partition, --mem...) are
// passed through.
//
//   SlurmLauncher slurm({"--partition=debug"});   // throws LaunchError if Slurm is unusable
//   auto job = slurm.start(spec);
//
// Thread safety: as Launcher (one event loop owns it).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "launcher.hpp"

namespace concur::cli::run {

class SlurmLauncher : public Launcher {
 public:
  /// Checks that jobs can run: inside an allocation, or a reachable controller with a partition
  /// that is up. Throws LaunchError saying which is missing.
  explicit SlurmLauncher(std::vector<std::string> srun_args);
  std::vector<LaunchTarget> targets() const override { return {LaunchTarget{"slurm", 0}}; }
  std::unique_ptr<RunningJob> start(const LaunchSpec& spec) override;
  bool inside_allocation() const { return inside_; }

 private:
  std::vector<std::string> srun_args_;
  bool inside_ = false;
  unsigned next_ = 0;
};

}  // namespace concur::cli::run
