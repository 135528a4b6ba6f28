// concur_bench_lean: pool_startup measured inside a program that links nothing but concur and
// the C++ runtime, the least a user's program can be. A spawned worker is a fresh exec of the
// program, so what the program links is paid per worker; concur_bench itself links fmt, TBB,
// CLI11's and the harness's code, and its pool_startup rows show that heavier case.
//   concur_bench_lean fork|spawn   one Pool(2) until its first result
//   concur_bench_lean floor        two execs of this binary until the first runs main()
// Prints the seconds as its last line (run_timed()'s protocol).
#include <concur/multiprocessing.hpp>

#include <cstdio>
#include <cstring>
#include <memory>

#include "harness/exec_floor.hpp"
#include "harness/harness.hpp"

namespace {

namespace mp = concur::multiprocessing;

int twice(int x) { return x * 2; }

volatile int sink;

double pool_startup(mp::StartMethod method) {
  std::unique_ptr<mp::Pool> pool;
  const double t = concur::bench::time_it([&] {
    pool = std::make_unique<mp::Pool>(2, mp::PoolOptions{.start_method = method});
    sink = pool->apply_async(&twice, 1).get();
  });
  pool.reset();  // teardown is not part of start-up
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  concur::bench::answer_if_exec_floor_child();
  concur::multiprocessing::freeze_support(argc, argv);
  const char* mode = argc > 1 ? argv[1] : "";
  double seconds = 0;
  if (std::strcmp(mode, "fork") == 0)
    seconds = pool_startup(mp::StartMethod::fork);
  else if (std::strcmp(mode, "spawn") == 0)
    seconds = pool_startup(mp::StartMethod::spawn);
  else if (std::strcmp(mode, "floor") == 0)
    seconds = concur::bench::exec_floor(2);
  else {
    std::fprintf(stderr, "usage: concur_bench_lean fork|spawn|floor\n");
    return 2;
  }
  std::printf("%.9f\n", seconds);
  return 0;
}
