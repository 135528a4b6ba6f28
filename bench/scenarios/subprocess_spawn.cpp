// spawn_true and spawn_true_4gib_parent: 100 x spawn+wait of /bin/true (20 under --quick), from
// this small process and from one holding 4 GiB of touched memory (1 GiB under --quick).
//
// concur_run_small_parent measures concur in the same run without the ballast: it releases the
// ballast before its timed loop and rebuilds (and re-touches) it afterwards, outside the timing,
// so every other impl of the scenario still runs with the full ballast in place.
//
// fork() from a 4 GiB parent costs ~0.5 s here (page tables copied), so the fork-based impls
// (raw_fork_exec, boost_process_v2) time a tenth of the spawns and scale the time by 10.
#include <sys/mman.h>

#include <cstring>

#include "subprocess_spawn_support.hpp"

namespace {

using namespace concur::bench;
using namespace concur::bench::spawn;

std::size_t ballast_size() { return (quick() ? std::size_t{1} : std::size_t{4}) << 30; }

void* ballast = nullptr;

void allocate_ballast() {
  void* p =
      ::mmap(nullptr, ballast_size(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw Skip("cannot map the ballast");
  std::memset(p, 1, ballast_size());  // touched: real pages, real page tables
  ballast = p;
}

void free_ballast() {
  if (ballast != nullptr) ::munmap(ballast, ballast_size());
  ballast = nullptr;
}

Register spawn_true{[] {
  return Scenario{
      .id = "spawn_true",
      .description = std::to_string(spawns()) + " x spawn+wait /bin/true",
      .reference = "concur_run",
      .impls = {{"concur_run", [] { return concur_run(); }},
                {"raw_posix_spawn", [] { return raw_posix_spawn(); }},
                {"python_subprocess_run",
                 [] { return run_python("spawn_true.py", {std::to_string(spawns())}); }},
                {"boost_process_v2", [] { return boost_process_v2(); }}},
      .repetitions = 7,
  };
}};

Register spawn_true_4gib_parent{[] {
  return Scenario{
      .id = "spawn_true_4gib_parent",
      .description = std::to_string(spawns()) + " x spawn+wait /bin/true from a parent holding " +
                     std::to_string(ballast_size() >> 30) + " GiB (touched)",
      .reference = "concur_run",
      // The spawn loops start with a few untimed spawns: a neighbour that just freed or
      // re-touched 4 GiB leaves the kernel busy for a moment, and that is not spawn cost.
      .impls = {{"concur_run", [] { return concur_run(10), concur_run(); }},
                {"raw_posix_spawn", [] { return raw_posix_spawn(10), raw_posix_spawn(); }},
                {"raw_fork_exec", [] { return 10 * raw_fork_exec(spawns() / 10); }},
                {"boost_process_v2", [] { return 10 * boost_process_v2(spawns() / 10); }},
                {"concur_run_small_parent",
                 [] {
                   free_ballast();
                   concur_run(10);
                   const double t = concur_run();
                   allocate_ballast();
                   return t;
                 }}},
      .repetitions = 3,
      .setup = allocate_ballast,
      .teardown = free_ballast,
      .warmup = 0,
  };
}};

}  // namespace
