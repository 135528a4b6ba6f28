// bench/harness/harness.hpp — side-by-side benchmark scenarios.
//
// A scenario is one piece of work (e.g. "100 spawns of /bin/true") done by
// several implementations (concur, the raw syscall loop, Python, a peer
// library). The harness runs every implementation of a scenario in the same
// process run, interleaved (rep 1 of each, then rep 2 of each, ...), takes the
// median of each and reports it as a ratio to the scenario's reference, so
// the machine's noise hits all implementations alike.
//
//   static concur::bench::Register r{[] {
//     using namespace concur::bench;
//     return Scenario{.id = "spawn_true", .description = "100 x spawn+wait /bin/true",
//                     .reference = "concur_run",
//                     .impls = {{"concur_run", [] { return time_it([] { ... }); }},
//                               {"python_subprocess_run", [] { return run_python("spawn_true.py");
//                               }}}};
//   }};
//
// Thread safety: registration happens during static initialisation; running
// is single-threaded.
#pragma once

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace concur::bench {

/// Thrown by an implementation that cannot run on this machine (python3 or a
/// peer missing): its row is left out of the results.
struct Skip : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// One implementation of a scenario. run() performs ONE repetition and returns
/// what it measured: seconds of the timed part (setup excluded), or a value in
/// the scenario's unit.
struct Impl {
  std::string id;
  std::function<double()> run;
};

struct Scenario {
  std::string id;
  std::string description;
  std::string reference;  // impl id the ratios are relative to
  std::vector<Impl> impls;
  int repetitions = 5;                  // measured repetitions per implementation
  std::string unit = "s";               // "s": times; anything else ("MiB"): a value per repetition
  std::function<void()> setup = {};     // once, before all repetitions; Skip skips them all
  std::function<void()> teardown = {};  // once, after all repetitions
  int warmup = 1;                       // unmeasured repetitions per implementation first
};

/// Registers a scenario at static-initialisation time; `make` runs only when
/// the scenario is selected.
struct Register {
  explicit Register(std::function<Scenario()> make);
};

/// Seconds that one call of `f` takes, on the monotonic clock.
template <class F>
double time_it(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  std::forward<F>(f)();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Runs `python3 <source>/bench/python/<script> args...` (a `script` with a '/' is relative to
/// the source tree instead: "common/python/queue_sum.py", the twins shared with the demo). The
/// script does its own setup, times only the measured part and prints the seconds as the last
/// line of its stdout — a number, or the shared twins' JSON {"seconds": ..., "result": ...};
/// the seconds are returned. Throws Skip when python3 is missing, std::runtime_error when the
/// script fails.
double run_python(const std::string& script, const std::vector<std::string>& args = {});

/// Runs `argv` (a program on PATH or a path), which times its own measured part and prints
/// the seconds as the last line of its stdout, as run_python's scripts do (MPI jobs under
/// mpirun). Throws Skip when the program is missing, std::runtime_error when it fails.
double run_timed(const std::vector<std::string>& argv);

/// True under --quick: scenarios shrink their sizes (for a smoke run).
bool quick();

/// The source tree (for scripts and data).
std::string source_dir();

/// Keeps the optimiser from discarding a computed value.
template <class T>
inline void do_not_optimize(const T& value) {
  asm volatile("" : : "r,m"(value) : "memory");
}

}  // namespace concur::bench
