// Internal to concur::mpi: rank 0's dispatcher (see hub.hpp), its members spread over
//   hub.cpp           the thread's loop, opening pools, stopping at exit
//   hub_lifecycle.cpp a pool's phases: open frames, close, terminate, shared libraries
//   hub_dispatch.cpp  sending tasks to the agents (and the local pool), receiving outcomes
//   hub_engine.cpp    the PoolEngine the executors talk to
// Thread safety: get(), open(), wake(), stop(), mutex() and phase_cv() from any thread; the
// rest is the hub thread's.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "mpi/frames.hpp"
#include "mpi/hub_pool.hpp"
#include "mpi/transport.hpp"

namespace concur::mpi::detail {

class Hub {
 public:
  /// The process's hub (its thread starts on first use).
  static Hub& get();
  static bool started() { return instance_made.load(); }

  /// Queues a new pool and waits until every agent answered; throws ProcessError (after
  /// closing it) when one could not start its workers.
  std::shared_ptr<HubPool> open(const MPIPoolOptions& options);
  /// Makes the thread look at the queues again.
  void wake();
  std::mutex& mutex() { return m_; }
  /// Notified on every phase change of any pool.
  std::condition_variable& phase_cv() { return phase_cv_; }
  /// At rank 0's exit: terminates every pool, tells the agents to leave, ends the thread.
  void stop();

 private:
  using Pools = std::vector<std::shared_ptr<HubPool>>;
  Hub();

  // hub.cpp
  void run();
  void loop();
  void set_phase(HubPool& p, HubPool::Phase phase);
  void to_agents(Transport& tx, const std::string& frame);
  void to_agents(Transport& tx, FrameType type, std::uint64_t pool);

  // hub_lifecycle.cpp
  bool step(HubPool& p, Transport& tx);
  void start(HubPool& p, Transport& tx);
  void terminate(HubPool& p, Transport& tx);
  void send_modules(Transport& tx);
  void on_opened(HubPool& p, Target& from, int rank, FrameReader& f);

  // hub_dispatch.cpp
  void on_frame(const Received& r, Pools& pools);
  void on_results(HubPool& p, Target& from, int rank, FrameReader& f);
  void note_broken(HubPool& p, const multiprocessing::detail::Outcome& o);
  std::optional<multiprocessing::detail::Task> next_task(HubPool& p);
  bool dispatch(HubPool& p, Transport& tx);
  void to_local(HubPool& p, multiprocessing::detail::Task&& t);

  static inline std::atomic<bool> instance_made{false};
  const int agents_;
  std::vector<std::size_t> modules_sent_;  // per agent: module numbers it knows
  std::mutex m_;
  std::condition_variable cv_, phase_cv_;
  bool dirty_ = false, stopping_ = false;  // guarded by m_
  std::uint64_t next_pool_ = 1;
  Pools new_pools_;
  std::vector<std::weak_ptr<HubPool>> all_;
  std::thread thread_;
};

}  // namespace concur::mpi::detail
