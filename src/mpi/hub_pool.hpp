// Internal to concur::mpi: what rank 0's hub knows of one open pool (one MPIPoolExecutor or
// mpi::Pool) and of each agent serving it.
// Thread safety: the fields marked so are guarded by the hub's mutex; the others are the hub
// thread's.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "concur/mpi/options.hpp"
#include "concur/multiprocessing/detail/pool_core.hpp"
#include "mpi/window.hpp"

namespace concur::mpi::detail {

/// One agent, as one pool sees it.
struct Target {
  unsigned workers = 0;
  Window window;
  unsigned inflight = 0;  // tasks sent, outcome not back yet
  unsigned room() const { return window.size() > inflight ? window.size() - inflight : 0; }
};

struct HubPool {
  enum class Phase { created, opening, open, stopping, closed };
  std::uint64_t id = 0;
  MPIPoolOptions options;

  // Guarded by the hub's mutex:
  std::deque<multiprocessing::detail::Task> pending;
  std::deque<std::shared_ptr<multiprocessing::detail::TaskSource>> new_sources;
  bool closing = false, terminating = false;
  Phase phase = Phase::created;
  std::string error;                  // opening failed
  unsigned total = 0;                 // workers on every rank
  std::optional<std::string> broken;  // an initializer failed on some rank

  // The hub thread's (and, once open, read-only for pids()):
  std::unique_ptr<multiprocessing::detail::ProcessPoolCore> local;
  std::shared_ptr<std::atomic<unsigned>> local_inflight =
      std::make_shared<std::atomic<unsigned>>(0);
  unsigned local_window = 0;
  std::deque<multiprocessing::detail::Task> ready;
  std::deque<std::shared_ptr<multiprocessing::detail::TaskSource>> sources;
  std::unordered_map<std::uint64_t, multiprocessing::detail::Task> inflight;
  std::vector<Target> targets;  // [rank - 1]
  unsigned awaiting = 0;        // opened / closed replies still to come
  std::uint64_t next_id = 1;
  bool closing_seen = false, terminating_seen = false;
};

/// Completes `t` with `o`.
inline void finish(multiprocessing::detail::Task&& t, multiprocessing::detail::Outcome&& o) {
  t.sink->complete(t.index, std::move(o));
}

}  // namespace concur::mpi::detail
