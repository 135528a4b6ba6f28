// init(), rank(), size(): the MPI job's start, the build-id check and rank 0's exit.
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "concur/mpi/runtime.hpp"
#include "concur/multiprocessing/start_method.hpp"
#include "mpi/runtime.hpp"

namespace concur::mpi::detail {

Runtime& runtime() {
  static Runtime r;
  return r;
}

namespace {

// Variables that MPI launchers set in every rank's environment: Open MPI's mpirun, PMIx
// (srun --mpi=pmix, prterun), and the PMI of MPICH's Hydra.
bool under_launcher() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(v) != nullptr) return true;
  return false;
}

constexpr int id_len = 80;

// Every rank sends its build-id to rank 0, which names the ranks that differ from its own.
void check_builds(Runtime& rt) {
  char mine[id_len] = {};
  const std::string id = build_id();
  std::strncpy(mine, id.c_str(), id_len - 1);
  std::vector<char> all(rt.rank == 0 ? static_cast<std::size_t>(rt.size) * id_len : 0);
  MPI_Gather(mine, id_len, MPI_CHAR, all.data(), id_len, MPI_CHAR, 0, rt.comm);
  int verdict = 0;
  if (rt.rank == 0) {
    for (int r = 1; r < rt.size; ++r) {
      const std::string theirs(all.data() + static_cast<std::size_t>(r) * id_len);
      if (theirs == mine) continue;
      if (rt.mismatch.empty())
        rt.mismatch = "concur::mpi: rank " + std::to_string(r) +
                      " runs another build of the program (build-id " + theirs + "; rank 0 has " +
                      mine +
                      "): every rank must run the same executable (rebuild and copy it to every "
                      "host)";
      verdict = 1;
    }
  }
  MPI_Bcast(&verdict, 1, MPI_INT, 0, rt.comm);
  if (verdict != 0 && rt.rank != 0) {
    std::fprintf(stderr,
                 "concur::mpi: rank %d: the ranks do not all run the same build; this agent "
                 "does no work (rank 0 reports which)\n",
                 rt.rank);
  }
  if (verdict != 0) rt.mismatch = rt.mismatch.empty() ? "mismatch" : rt.mismatch;
}

void at_exit() {
  Runtime& rt = runtime();
  if (!rt.launched || rt.rank != 0) return;
  hub_exit();
  MPI_Comm_free(&rt.comm);
  MPI_Finalize();
}

}  // namespace

}  // namespace concur::mpi::detail

namespace concur::mpi {

void init(int& argc, char**& argv) {
  multiprocessing::freeze_support(argc, argv);  // a spawned worker never returns from it
  detail::Runtime& rt = detail::runtime();
  if (rt.initialized) throw std::logic_error("concur::mpi::init: called twice");
  rt.initialized = true;
  if (!detail::under_launcher()) return;  // plain ./app: local workers only, no MPI
  int provided = 0;
  if (MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS)
    throw std::runtime_error("concur::mpi::init: MPI_Init_thread failed");
  if (provided < MPI_THREAD_SERIALIZED) {
    MPI_Finalize();
    throw std::runtime_error(
        "concur::mpi::init: this MPI does not provide MPI_THREAD_SERIALIZED (the dispatcher "
        "thread must own MPI)");
  }
  rt.launched = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &rt.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &rt.size);
  MPI_Comm_dup(MPI_COMM_WORLD, &rt.comm);
  // Die with the launcher: a killed mpirun must not leave ranks behind.
  const pid_t launcher = ::getppid();
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != launcher) ::_exit(1);
  detail::check_builds(rt);
  if (rt.rank == 0) {
    std::atexit(&detail::at_exit);
    return;
  }
  detail::agent_main();
  MPI_Comm_free(&rt.comm);
  MPI_Finalize();
  std::exit(0);
}

int rank() noexcept { return detail::runtime().rank; }
int size() noexcept { return detail::runtime().size; }

}  // namespace concur::mpi
