// Prints the sum of squares 0..9 computed over the ranks, and the job's size.
#include <concur/mpi.hpp>
#include <iostream>
#include <numeric>
#include <vector>

int square(int x) { return x * x; }

int main(int argc, char** argv) {
  concur::mpi::init(argc, argv);
  concur::mpi::MPIPoolExecutor pool({.workers_per_rank = 1});
  std::vector<int> items(10);
  std::iota(items.begin(), items.end(), 0);
  const auto squares = pool.map(&square, items, 2);
  std::cout << "concur::mpi size " << concur::mpi::size() << " sum "
            << std::accumulate(squares.begin(), squares.end(), 0) << "\n";
}
