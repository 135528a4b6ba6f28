// The lecture's compute-bound sum, split over the ranks of an MPI job:
//
//   mpirun -np 3 build/release/examples/example_mpi_sum        (as root, on loopback: README)
//   build/release/examples/example_mpi_sum                     (no launcher: local workers)
//
// Rank 0 cuts [0, n) into parts, one MPIPoolExecutor task each; the agents on ranks 1 and 2 run
// them in their worker processes (the kernel: four dependent modular squarings per number, which
// the compiler cannot fold). The result is checked against a plain loop on rank 0.
#include <chrono>
#include <concur/mpi.hpp>
#include <cstdint>
#include <iostream>
#include <tuple>
#include <vector>

#include "kernels/kernels.hpp"

using Clock = std::chrono::steady_clock;

std::int64_t part_sum(std::int64_t lo, std::int64_t hi) {
  return concur::kernels::modular_squarings(lo, hi);
}

int main(int argc, char** argv) {
  concur::mpi::init(argc, argv);  // ranks != 0 become agents here
  constexpr std::int64_t n = 10'000'000;
  concur::mpi::MPIPoolExecutor pool;
  const auto parts = static_cast<std::int64_t>(4 * pool.max_workers());
  std::cout << concur::mpi::size() << " rank(s), " << pool.max_workers() << " worker(s), " << parts
            << " parts\n";

  auto t0 = Clock::now();
  std::vector<concur::futures::Future<std::int64_t>> futures;
  for (std::int64_t i = 0; i < parts; ++i)
    futures.push_back(pool.submit(&part_sum, n * i / parts, n * (i + 1) / parts));
  std::int64_t total = 0;
  for (auto& f : futures) total += f.result();
  const double spread_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();

  t0 = Clock::now();
  const std::int64_t want = part_sum(0, n);
  const double alone_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();

  std::cout << "sum over the ranks: " << total << " in " << spread_ms << " ms\n"
            << "sum on rank 0 alone: " << want << " in " << alone_ms << " ms\n";
  return total == want ? 0 : 1;
}
