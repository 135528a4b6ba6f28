// concur/detail/threading_basic_queue.hpp — the one engine behind every concur::queue class.
//
// Internal; the public contract is in <concur/queue.hpp>. One adaptive mutex guards the store
// and the counters; three condition variables (not_empty_, not_full_, all_done_) are notified
// only when a waiter is registered (counted under the mutex), so a busy producer/consumer pair
// never pays for a futex wake. A caller about to sleep first spins briefly on an atomic copy of
// the size, which keeps a fast 1-producer/1-consumer handoff out of the kernel altogether.
//
// Thread safety: every member may be called from any thread concurrently.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>

#include "concur/detail/threading_sync.hpp"
#include "concur/duration.hpp"

namespace concur::detail {

enum class QueueStatus { ok, would_block, shut_down };

template <class T, class Store>
class BasicQueue {
 public:
  explicit BasicQueue(std::size_t maxsize = 0) : maxsize_(maxsize) {}
  BasicQueue(const BasicQueue&) = delete;
  BasicQueue& operator=(const BasicQueue&) = delete;

  /// Puts `item` (moved from only on success). would_block: full (and the wait, if any, timed out).
  QueueStatus put_impl(T& item, bool block, const std::optional<Duration>& timeout) {
    if (block) check_timeout(timeout);
    std::unique_lock lk(m_);
    if (shutdown_) return QueueStatus::shut_down;
    if (maxsize_ > 0 && store_.size() >= maxsize_) {
      if (!block) return QueueStatus::would_block;
      spin_while(lk, [&] { return size_.load(std::memory_order_relaxed) >= maxsize_; });
      if (shutdown_) return QueueStatus::shut_down;
      if (store_.size() >= maxsize_) {
        const auto deadline = timeout ? deadline_after(*timeout) : Clock::time_point{};
        ++putters_waiting_;
        while (store_.size() >= maxsize_) {
          if (timeout && Clock::now() >= deadline) {
            --putters_waiting_;
            return QueueStatus::would_block;
          }
          if (timeout)
            not_full_.wait_until(lk, deadline);
          else
            not_full_.wait(lk);
          if (shutdown_) {
            --putters_waiting_;
            return QueueStatus::shut_down;
          }
        }
        --putters_waiting_;
      }
    }
    store_.push(std::move(item));
    size_.store(store_.size(), std::memory_order_relaxed);
    ++unfinished_;
    if (getters_waiting_ > 0) not_empty_.notify_one();
    return QueueStatus::ok;
  }

  /// Gets into `out`. would_block: empty (and the wait, if any, timed out); shut_down: shut down
  /// and drained.
  QueueStatus get_impl(std::optional<T>& out, bool block, const std::optional<Duration>& timeout) {
    if (block) check_timeout(timeout);
    std::unique_lock lk(m_);
    if (store_.empty()) {
      if (shutdown_) return QueueStatus::shut_down;
      if (!block) return QueueStatus::would_block;
      spin_while(lk, [&] { return size_.load(std::memory_order_relaxed) == 0; });
      if (store_.empty()) {
        if (shutdown_) return QueueStatus::shut_down;
        const auto deadline = timeout ? deadline_after(*timeout) : Clock::time_point{};
        ++getters_waiting_;
        while (store_.empty()) {
          if (timeout && Clock::now() >= deadline) {
            --getters_waiting_;
            return QueueStatus::would_block;
          }
          if (timeout)
            not_empty_.wait_until(lk, deadline);
          else
            not_empty_.wait(lk);
          if (shutdown_ && store_.empty()) {
            --getters_waiting_;
            return QueueStatus::shut_down;
          }
        }
        --getters_waiting_;
      }
    }
    out.emplace(store_.pop());
    size_.store(store_.size(), std::memory_order_relaxed);
    if (putters_waiting_ > 0) not_full_.notify_one();
    return QueueStatus::ok;
  }

  std::size_t qsize() const noexcept { return size_.load(std::memory_order_relaxed); }
  bool empty() const noexcept { return qsize() == 0; }
  bool full() const noexcept { return maxsize_ > 0 && qsize() >= maxsize_; }
  std::size_t maxsize() const noexcept { return maxsize_; }

  void task_done() {
    std::lock_guard lk(m_);
    if (unfinished_ == 0) throw std::logic_error("task_done() called too many times");
    if (--unfinished_ == 0 && joiners_ > 0) all_done_.notify_all();
  }

  void join() {
    std::unique_lock lk(m_);
    ++joiners_;
    while (unfinished_ > 0) all_done_.wait(lk);
    --joiners_;
  }

  void shutdown(bool immediate) {
    Store drained;  // destroyed after the lock is released: item destructors may touch the queue
    {
      std::lock_guard lk(m_);
      shutdown_ = true;
      if (immediate) {
        const std::size_t n = store_.size();
        unfinished_ -= std::min(unfinished_, n);
        store_.swap(drained);
        size_.store(0, std::memory_order_relaxed);
        all_done_.notify_all();
      }
      not_empty_.notify_all();
      not_full_.notify_all();
    }
  }

  bool is_shutdown() const {
    std::lock_guard lk(m_);
    return shutdown_;
  }

 private:
  // Spin (unlocked) while `busy()` for a short while, then re-lock. Worth it when the other side
  // is running right now: a futex sleep + wake costs microseconds, a spin iteration nanoseconds.
  template <class Busy>
  void spin_while(std::unique_lock<Mutex>& lk, Busy busy) {
    lk.unlock();
    for (int i = 0; i < kSpins && busy(); ++i) cpu_relax();
    lk.lock();
  }
  static constexpr int kSpins = 200;

  mutable Mutex m_;
  CondVar not_empty_, not_full_, all_done_;
  Store store_;
  std::atomic<std::size_t> size_{0};
  const std::size_t maxsize_;
  std::size_t unfinished_ = 0;
  std::size_t getters_waiting_ = 0, putters_waiting_ = 0, joiners_ = 0;
  bool shutdown_ = false;
};

}  // namespace concur::detail
