// concur::detail::PoolCore: the workers of ThreadPoolExecutor. See the header for the design;
// comments here say why.
#include "concur/detail/threading_pool.hpp"

#include "concur/detail/core/cpu.hpp"

#include <sched.h>

#include <stdexcept>
#include <string>

namespace concur::detail {
namespace {

thread_local const PoolCore* t_pool = nullptr;

constexpr int kIdleSpins = 100;

}  // namespace

PoolCore::PoolCore(unsigned workers) {
  if (workers == 0) workers = concur::detail::usable_cpu_count();  // affinity and cgroup quota
  threads_.reserve(workers);
  try {
    for (unsigned i = 0; i < workers; ++i) threads_.emplace_back([this] { worker_loop(); });
  } catch (...) {
    shutdown(true, false);
    throw;
  }
  for (unsigned i = 0; i < workers; ++i) {
    const std::string name = "concur-pool-" + std::to_string(i);
    pthread_setname_np(threads_[i].native_handle(), name.c_str());
  }
}

PoolCore::~PoolCore() { shutdown(true, false); }

bool PoolCore::on_worker() const noexcept { return t_pool == this; }

PoolTask* PoolCore::pop_locked() noexcept {
  PoolTask* t = head_;
  head_ = t->next;
  if (!head_) tail_ = nullptr;
  queued_.store(queued_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  return t;
}

void PoolCore::push(PoolTask* task) {
  task->next = nullptr;
  push_list(task, task, 1);
}

void PoolCore::push_list(PoolTask* first, PoolTask* last, std::size_t count) {
  std::unique_lock lk(m_);
  if (shutdown_) {
    lk.unlock();
    while (first) {
      PoolTask* next = first->next;
      delete first;
      first = next;
    }
    throw std::runtime_error("cannot schedule new futures after shutdown");
  }
  last->next = nullptr;
  if (tail_)
    tail_->next = first;
  else
    head_ = first;
  tail_ = last;
  queued_.store(queued_.load(std::memory_order_relaxed) + count, std::memory_order_relaxed);
  // Wake only as many sleepers as have not been signalled yet: a burst of submissions must not
  // turn into a burst of futex wakes.
  for (std::size_t i = 0; i < count && sleepers_ > signalled_; ++i) {
    ++signalled_;
    cv_.notify_one();
  }
}

void PoolCore::check_open() {
  std::lock_guard lk(m_);
  if (shutdown_) throw std::runtime_error("cannot schedule new futures after shutdown");
}

bool PoolCore::run_one() {
  PoolTask* t = nullptr;
  {
    std::lock_guard lk(m_);
    if (!head_) return false;
    t = pop_locked();
  }
  t->run();
  return true;
}

void PoolCore::worker_loop() noexcept {
  t_pool = this;
  std::unique_lock lk(m_);
  for (;;) {
    if (head_) {
      PoolTask* t = pop_locked();
      lk.unlock();
      t->run();
      lk.lock();
      continue;
    }
    if (shutdown_) return;
    // A short unlocked spin catches the next submission of a busy submitter without a sleep.
    lk.unlock();
    for (int i = 0; i < kIdleSpins && queued_.load(std::memory_order_relaxed) == 0 &&
                    !stopping_.load(std::memory_order_relaxed);
         ++i)
      cpu_relax();
    lk.lock();
    if (head_ || shutdown_) continue;
    ++sleepers_;
    cv_.wait(lk);
    --sleepers_;
    if (signalled_ > 0) --signalled_;
  }
}

void PoolCore::shutdown(bool wait, bool cancel_futures) {
  PoolTask* cancelled = nullptr;
  {
    std::lock_guard lk(m_);
    shutdown_ = true;
    stopping_.store(true, std::memory_order_relaxed);
    if (cancel_futures) {
      cancelled = head_;
      head_ = tail_ = nullptr;
      queued_.store(0, std::memory_order_relaxed);
    }
    cv_.notify_all();
  }
  while (cancelled) {
    PoolTask* next = cancelled->next;
    cancelled->cancel();
    cancelled = next;
  }
  if (!wait) return;
  std::lock_guard jl(join_m_);
  for (auto& t : threads_) {
    // A worker shutting down its own pool cannot join itself; it is joined by the destructor.
    if (t.joinable() && t.get_id() != std::this_thread::get_id()) t.join();
  }
}

}  // namespace concur::detail
