// The Slurm launcher against the single-node Slurm of scripts/ci-services: a job runs as a step
// and its output and status come back; a timeout goes through scancel and the step's whole tree
// dies; without Slurm the error says so.
#include <cstdlib>
#include <fstream>

#include "remote_support.hpp"
#include "remote_wrapper.hpp"
#include "slurm_launcher.hpp"

namespace {

using namespace concur::test::remote;
using concur::test::eventually;
namespace run = concur::cli::run;

TEST(SlurmLauncher, RunsAJobAsAStep) {
  CONCUR_REQUIRE_SLURM();
  run::SlurmLauncher l({});
  auto spec = shell_spec(
      "echo \"$SLURM_JOB_ID:$CONCUR_JOB\" | grep -q '^[0-9][0-9]*:9$' && echo step; exit 4");
  spec.env["CONCUR_JOB"] = "9";
  auto job = l.start(spec);
  const auto f = finish(*job, std::chrono::milliseconds(30000));
  EXPECT_EQ(f.out, "step\n");
  EXPECT_EQ(f.status, 4);
}

TEST(SlurmLauncher, TimeoutCancelsTheStepAndItsTree) {
  CONCUR_REQUIRE_SLURM();
  run::SlurmLauncher l({});
  auto job = l.start(shell_spec("sleep 1021.5 & sleep 1022.5"));
  ASSERT_TRUE(eventually([] { return count_processes("sleep 102[12].5", "root") >= 2; },
                         std::chrono::milliseconds(30000)));
  job->terminate();
  const auto f = finish(*job, std::chrono::milliseconds(30000));
  EXPECT_NE(f.status, 0);
  EXPECT_TRUE(eventually([] { return count_processes("sleep 102[12].5", "root") == 0; },
                         std::chrono::milliseconds(15000)));
}

TEST(SlurmLauncher, WithoutAnAllocationOrAControllerTheErrorSaysSo) {
  const char* job = std::getenv("SLURM_JOB_ID");
  const std::string saved_job = job ? job : "";
  ::unsetenv("SLURM_JOB_ID");
  // A controller that does not answer, as sinfo reports it (a fake sinfo first on PATH).
  concur::test::LeakGuard guard;
  const std::string dir = "/tmp/concur-fake-slurm-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  {
    std::ofstream f(dir + "/sinfo");
    f << "#!/bin/sh\necho 'sinfo: error: Unable to contact slurm controller (connect failure)' "
         ">&2\nexit 1\n";
  }
  std::filesystem::permissions(dir + "/sinfo", std::filesystem::perms::owner_all);
  const std::string saved_path = std::getenv("PATH");
  ::setenv("PATH", (dir + ":" + saved_path).c_str(), 1);
  try {
    run::SlurmLauncher l({});
    ADD_FAILURE() << "no error without Slurm";
  } catch (const run::LaunchError& e) {
    EXPECT_NE(std::string(e.what()).find("not inside a Slurm allocation"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("Unable to contact slurm controller"), std::string::npos)
        << e.what();
  }
  ::setenv("PATH", saved_path.c_str(), 1);
  std::filesystem::remove_all(dir);
  guard.check();
  if (!saved_job.empty()) ::setenv("SLURM_JOB_ID", saved_job.c_str(), 1);
}

}  // namespace
