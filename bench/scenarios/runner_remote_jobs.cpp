// runner_ssh_true_jobs and runner_srun_true_jobs: the per-job cost of concur run's remote
// launchers. ssh: 200 x `true` over two logins to the loopback sshd of scripts/ci-services
// (2 slots each), concur run -S against GNU parallel -S with its own connection sharing (-M)
// on the same logins and ssh config. Slurm: 100 x `true` through `concur run --slurm` against
// a shell loop of bare `srun true`. Each skips, saying why, without its service.
#include <cstdlib>
#include <fstream>

#include "runner_support.hpp"

namespace {

using namespace concur::bench;
using namespace concur::bench::runner;

std::string services_dir() {
  const char* d = std::getenv("CONCUR_SERVICES_DIR");
  return d != nullptr && *d != '\0' ? d : "/tmp/concur-services";
}

std::string ssh_command() { return "ssh -F " + services_dir() + "/ssh_config"; }
const char* const kLogins = "2/concurtest@127.0.0.1,2/concurtest@localhost";

std::string input_file(int n) {
  const std::string p =
      "/tmp/concur-bench-remote-" + std::to_string(::getpid()) + "-" + std::to_string(n);
  std::ofstream f(p);
  for (int i = 1; i <= n; ++i) f << i << '\n';
  return p;
}

int ssh_jobs() { return quick() ? 20 : 200; }
int srun_jobs() { return quick() ? 10 : 100; }

void require_ssh() {
  const std::string ssh = require_program("ssh");
  if (::access((services_dir() + "/ssh_config").c_str(), R_OK) != 0)
    throw Skip("no loopback sshd (scripts/ci-services start)");
  if (run_command({ssh, "-F", services_dir() + "/ssh_config", "concurtest@127.0.0.1", "true"}, "",
                  false, true)
          .status != 0)
    throw Skip("the loopback sshd does not answer (scripts/ci-services start)");
}

void require_slurm() {
  require_program("srun");
  if (run_command({require_program("sinfo")}, "", false, true).status != 0)
    throw Skip("no Slurm controller (scripts/ci-services start)");
}

Register ssh{[] {
  return Scenario{
      .id = "runner_ssh_true_jobs",
      .description =
          std::to_string(ssh_jobs()) + " x `true` over 2 loopback ssh logins, 2 slots each",
      .reference = "concur_run_ssh",
      .impls = {{"concur_run_ssh",
                 [] {
                   return run_command({concur_cli(), "run", "-q", "-S", kLogins, "--ssh",
                                       ssh_command(), "true"},
                                      input_file(ssh_jobs()))
                       .seconds;
                 }},
                {"gnu_parallel_ssh",
                 [] {
                   return run_command({require_program("parallel"), "--will-cite", "-M", "--ssh",
                                       ssh_command(), "-S", kLogins, "true"},
                                      input_file(ssh_jobs()))
                       .seconds;
                 }}},
      .repetitions = 3,
      .setup = [] { require_ssh(); },
      .teardown = [] { ::unlink(input_file(ssh_jobs()).c_str()); },
      .warmup = 0,
  };
}};

Register srun{[] {
  return Scenario{
      .id = "runner_srun_true_jobs",
      .description = std::to_string(srun_jobs()) + " x `true` as Slurm steps",
      .reference = "concur_run_slurm",
      .impls = {{"concur_run_slurm",
                 [] {
                   return run_command({concur_cli(), "run", "-q", "--slurm", "--", "true"},
                                      input_file(srun_jobs()))
                       .seconds;
                 }},
                {"srun_loop",
                 [] {
                   const std::string loop = "for i in $(seq " + std::to_string(srun_jobs()) +
                                            "); do srun true || exit 1; done";
                   return run_command({"/bin/sh", "-c", loop}).seconds;
                 }}},
      .repetitions = 3,
      .setup = [] { require_slurm(); },
      .teardown = [] { ::unlink(input_file(srun_jobs()).c_str()); },
      .warmup = 0,
  };
}};

}  // namespace
