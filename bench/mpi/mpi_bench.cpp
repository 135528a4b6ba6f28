// concur_bench_mpi: the measured part of the mpi_* scenarios, run by concur_bench under
// `mpirun -np 3` (bench/scenarios/mpi.cpp). Rank 0 warms an executor up, times one repetition
// and prints the seconds as its last line; ranks 1 and 2 are agents.
//
//   concur_bench_mpi submit N    N tiny submits (all submitted, then every result awaited)
//   concur_bench_mpi map N       map(x * 2) over N ints, chunksize 1000
//   concur_bench_mpi compute N   the compute kernel over [0, N) in 2 parts, one worker per agent
//                                (without mpirun: on a local 2-worker pool)
#include <chrono>
#include <concur/mpi.hpp>
#include <cstdint>
#include <cstdio>
#include <numeric>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "kernels/kernels.hpp"

namespace {

int twice(int x) { return x * 2; }
std::int64_t kernel(std::int64_t lo, std::int64_t hi) {
  return concur::kernels::modular_squarings(lo, hi);
}

template <class F>
double seconds(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  concur::mpi::init(argc, argv);
  if (argc < 3) {
    std::fprintf(stderr, "usage: concur_bench_mpi submit|map|compute N\n");
    return 2;
  }
  const std::string what = argv[1];
  const long n = std::stol(argv[2]);
  double s = 0;
  if (what == "compute") {
    // One worker per agent over mpirun -np 3; without a launcher a local 2-worker pool.
    concur::mpi::Pool pool({.workers_per_rank = concur::mpi::size() == 1 ? 2u : 1u});
    const std::vector<std::tuple<std::int64_t, std::int64_t>> args{{0, n / 2}, {n / 2, n}};
    pool.starmap(&kernel, args);  // warm
    std::int64_t total = 0;
    s = seconds([&] {
      const auto parts = pool.starmap(&kernel, args);
      total = parts[0] + parts[1];
    });
    if (total != kernel(0, n)) throw std::logic_error("wrong sum");
  } else {
    concur::mpi::MPIPoolExecutor pool;
    pool.map(&twice, std::vector<int>(100, 1), 1);  // every worker up
    if (what == "submit") {
      s = seconds([&] {
        std::vector<concur::futures::Future<int>> fs;
        fs.reserve(static_cast<std::size_t>(n));
        for (int i = 0; i < n; ++i) fs.push_back(pool.submit(&twice, i));
        for (int i = 0; i < n; ++i)
          if (fs[static_cast<std::size_t>(i)].result() != 2 * i) throw std::logic_error("bad");
      });
    } else {
      std::vector<int> items(static_cast<std::size_t>(n));
      std::iota(items.begin(), items.end(), 0);
      s = seconds([&] {
        const auto out = pool.map(&twice, items, 1000);
        if (out.back() != 2 * (static_cast<int>(n) - 1)) throw std::logic_error("bad");
      });
    }
  }
  std::printf("%.9f\n", s);
}
