// Built twice with different CONCUR_TEST_VARIANT values (two builds of "the same" program):
// `mpirun -np 1 variant_a : -np 2 variant_b`. Rank 0 must refuse to make an executor, with an
// error naming the rank that differs; exit status 0 means it did.
#include <concur/mpi.hpp>
#include <cstdio>
#include <string>

int square(int x) { return x * x; }

int main(int argc, char** argv) {
  concur::mpi::init(argc, argv);
  std::printf("variant %s, rank %d of %d\n", CONCUR_TEST_VARIANT, concur::mpi::rank(),
              concur::mpi::size());
  try {
    concur::mpi::MPIPoolExecutor pool;
    std::printf("FAIL: an executor over mismatched builds: %d\n", pool.submit(&square, 3).result());
    return 1;
  } catch (const concur::multiprocessing::ProcessError& e) {
    const std::string what = e.what();
    std::printf("refused: %s\n", e.what());
    return what.find("rank 1 runs another build") != std::string::npos ? 0 : 1;
  }
}
