// Internal to concur::mpi: bundles — several tiny tasks an agent hands to one worker process as
// one task, so a worker runs them back to back instead of paying a round trip (two context
// switches and four syscalls) through the local pool's dispatch thread for each.
//
// Every semantic of a single task is kept, crashes included, through the outcome board: a
// region of shared memory the agent maps before it forks any worker (so every worker, and
// every replacement, shares it). A bundle owns one slot of it. In the worker, the bundle's
// trampoline marks sub-task i as started, runs it like the worker's loop runs a task, and
// appends its outcome to the slot; only a complete record is counted (release store). When
// the bundle's outcome reaches the agent:
//   - the recorded outcomes complete their tasks;
//   - a worker that died while a sub-task had started and not recorded: that sub-task alone
//     fails with WorkerCrashed;
//   - sub-tasks that never started are sent again (never run twice);
//   - a bundle failed as a whole (pool terminated, initializer failed: the pool is broken)
//     fails every sub-task without an outcome the same way.
// An outcome that does not fit the slot's room comes back in the bundle's reply, and the
// sub-tasks after it are sent again. A result that holds handles fails as it would over MPI.
//
// Thread safety: Board's members are safe from any thread; a slot is written by the one
// worker that runs its bundle and read by the agent after that bundle's outcome arrived.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "concur/multiprocessing/detail/pool_core.hpp"

namespace concur::mpi::detail {

/// One task received from rank 0, its code addresses already mapped in this process.
struct Call {
  std::uint64_t id = 0;  // rank 0's task id
  std::uintptr_t trampoline = 0, fn = 0;
  std::uint64_t count = 0;
  std::string body;
};

/// The outcome board: shared memory holding each running bundle's outcomes.
class Board {
 public:
  static constexpr unsigned slots = 64;
  static constexpr std::size_t slot_bytes = std::size_t{512} << 10;

  /// Maps the board; call before the first worker is forked. Throws std::system_error.
  Board();
  ~Board();
  Board(const Board&) = delete;
  Board& operator=(const Board&) = delete;

  /// A free slot, reset; nullopt when every slot is taken.
  std::optional<unsigned> acquire();
  void release(unsigned slot);

  /// The board this process (an agent or a worker forked from it) maps; nullptr if none.
  static Board* current();

  /// Slot `slot`'s start (its header, then its records). Throws ProcessError when out of range.
  char* slot(std::uint64_t slot) const;

 private:
  char* base_ = nullptr;
  std::mutex mutex_;
  std::vector<unsigned> free_;
};

/// The tasks worth bundling: small arguments.
inline constexpr std::size_t bundle_body_max = 4096;
/// A bundle's arguments at most (about; beyond a Payload's spill threshold they travel in a
/// memfd).
inline constexpr std::size_t bundle_bytes_max = 256 << 10;
/// Sub-tasks in one bundle at most.
inline constexpr std::size_t bundle_tasks_max = 256;

/// The bundle task for `calls`, using `slot`: its outcomes go to `sink` (index 0).
multiprocessing::detail::Task make_bundle(unsigned slot, const std::vector<Call>& calls,
                                          std::shared_ptr<multiprocessing::detail::TaskSink> sink);

/// What a finished bundle yields: the outcomes of the sub-tasks that have one, and the
/// sub-tasks to send again (they never started).
struct Unbundled {
  std::vector<std::pair<std::uint64_t, multiprocessing::detail::Outcome>> done;
  std::vector<Call> again;
};

/// Reads slot `slot` and the bundle's own outcome `o` (see the file comment); frees nothing.
Unbundled unbundle(const Board& board, unsigned slot, std::vector<Call> calls,
                   multiprocessing::detail::Outcome&& o);

/// A task's call from a frame as this process runs it (addresses mapped). Throws ProcessError
/// when an address cannot be mapped.
multiprocessing::detail::Message to_message(const Call& c);

}  // namespace concur::mpi::detail
