// concur/detail/threading_pool.hpp — the worker threads and task list under ThreadPoolExecutor
// (internal; the contract is in <concur/futures.hpp>).
//
// Tasks are intrusive nodes (one allocation each, no separate list node) in a FIFO guarded by one
// adaptive mutex. Workers that find the list empty spin briefly, then sleep on a condition
// variable; submit() signals only when a worker sleeps and no earlier signal is still on its way,
// so a steady stream of submissions makes no futex calls and an idle pool uses no CPU.
//
// Thread safety: every member may be called from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>
#include <thread>
#include <vector>

#include "concur/detail/threading_sync.hpp"

namespace concur::detail {

/// One queued unit of work. Exactly one of run()/cancel() is called, and it deletes the task.
struct PoolTask {
  virtual ~PoolTask() = default;
  virtual void run() noexcept = 0;
  virtual void cancel() noexcept = 0;
  PoolTask* next = nullptr;
};

class PoolCore {
 public:
  explicit PoolCore(unsigned workers);  // starts the workers; 0 = usable CPUs
  ~PoolCore();                          // shutdown(true, false)
  PoolCore(const PoolCore&) = delete;
  PoolCore& operator=(const PoolCore&) = delete;

  /// Queues `task` (taking ownership). After shutdown: deletes it and throws std::runtime_error.
  void push(PoolTask* task);
  /// Queues `count` tasks linked through `next` at once; same rules as push().
  void push_list(PoolTask* first, PoolTask* last, std::size_t count);
  /// Throws std::runtime_error after shutdown.
  void check_open();
  /// Runs one queued task on the calling thread if there is one ("helping"); false if none.
  bool run_one();
  void shutdown(bool wait, bool cancel_futures);
  /// True on one of this pool's worker threads.
  bool on_worker() const noexcept;
  unsigned workers() const noexcept { return static_cast<unsigned>(threads_.size()); }

 private:
  void worker_loop() noexcept;
  PoolTask* pop_locked() noexcept;

  Mutex m_;
  CondVar cv_;
  PoolTask* head_ = nullptr;
  PoolTask* tail_ = nullptr;
  std::atomic<std::size_t> queued_{0};  // mirror of the list length, for unlocked spinning
  std::atomic<bool> stopping_{false};   // mirror of shutdown_, for unlocked spinning
  std::size_t sleepers_ = 0, signalled_ = 0;
  bool shutdown_ = false;
  std::mutex join_m_;
  std::vector<std::thread> threads_;
};

}  // namespace concur::detail
