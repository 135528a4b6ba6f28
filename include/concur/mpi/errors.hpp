// concur/mpi/errors.hpp — the error of a rank lost as a whole.
//
//   try { f.result(); } catch (const concur::mpi::RankLost& e) { std::cerr << e.rank; }
//
// With Open MPI 4.1 (Debian 12) there is no ULFM: when a rank dies, mpirun ends the whole job
// (every rank is killed within about 1.4 s; mpirun exits with 137), so no future ever sees
// RankLost there. It is the error futures would fail with on an MPI that survives a rank's
// death; a worker process that dies inside a live rank is multiprocessing::WorkerCrashed.
// Thread safety: an exception type.
#pragma once

#include <string>

#include "concur/multiprocessing/errors.hpp"

namespace concur::mpi {

/// A whole rank (its agent and its workers) was lost while tasks ran there.
struct RankLost : multiprocessing::ProcessError {
  /// `what` describes the loss; `lost` is the rank's number in MPI_COMM_WORLD.
  RankLost(const std::string& what, int lost) : multiprocessing::ProcessError(what), rank(lost) {}
  /// The rank that was lost.
  int rank;
};

}  // namespace concur::mpi
