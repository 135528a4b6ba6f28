// concur::detail::PoolCore: the workers of ThreadPoolExecutor. See the header for the design;
// comments here say why.
#include "concur/detail/threading_pool.hpp"

#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "concur/detail/core/cpu.hpp"
#include "concur/detail/threading_sync.hpp"
#include "concur/futures/errors.hpp"

namespace concur::detail {
namespace {

thread_local const PoolCore* t_pool = nullptr;

constexpr int kIdleSpins = 100;

// Linux keeps 15 bytes of a thread's name.
void set_thread_name(pthread_t t, const std::string& name) {
  pthread_setname_np(t, name.substr(0, 15).c_str());
}

std::string describe(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "unknown exception";
  }
}

}  // namespace

struct PoolCore::Impl {
  Mutex m;
  CondVar cv;
  PoolTask* head = nullptr;
  PoolTask* tail = nullptr;
  std::atomic<std::size_t> queued{0};  // mirror of the list length, for unlocked spinning
  std::atomic<bool> stopping{false};   // mirror of shutdown, for unlocked spinning
  std::size_t sleepers = 0, signalled = 0;
  bool shutdown = false;
  std::string broken;  // why, once an initializer failed
  std::function<void()> initializer;
  std::mutex join_m;
  std::vector<std::thread> threads;

  PoolTask* pop_locked() noexcept {
    PoolTask* t = head;
    head = t->next;
    if (!head) tail = nullptr;
    queued.store(queued.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
    return t;
  }
  // Under the lock.
  void check_open_locked() const {
    if (!broken.empty()) throw futures::BrokenThreadPool(broken);
    if (shutdown)
      throw std::logic_error("concur::futures: cannot schedule new futures after shutdown");
  }
  PoolTask* take_all_locked() noexcept {
    PoolTask* all = head;
    head = tail = nullptr;
    queued.store(0, std::memory_order_relaxed);
    return all;
  }
  void worker_loop(const PoolCore* self) noexcept;
  void on_initializer_failure(std::exception_ptr e) noexcept;
};

PoolCore::PoolCore(unsigned workers, const std::string& name_prefix,
                   std::function<void()> initializer)
    : impl_(std::make_unique<Impl>()) {
  if (workers == 0) workers = usable_cpu_count();  // affinity and cgroup quota
  impl_->initializer = std::move(initializer);
  impl_->threads.reserve(workers);
  try {
    for (unsigned i = 0; i < workers; ++i) {
      std::string name = name_prefix + "-" + std::to_string(i);
      impl_->threads.emplace_back([this, name] {
        set_thread_name(pthread_self(), name);  // before the initializer runs
        impl_->worker_loop(this);
      });
      // Also from here, so that the name is visible as soon as the constructor returns.
      set_thread_name(impl_->threads.back().native_handle(), name);
    }
  } catch (...) {
    shutdown(true, false);
    throw;
  }
}

PoolCore::~PoolCore() { shutdown(true, false); }

unsigned PoolCore::workers() const noexcept { return static_cast<unsigned>(impl_->threads.size()); }

bool PoolCore::help(const PoolCore* pool) noexcept {
  if (pool == nullptr || t_pool != pool) return false;
  return const_cast<PoolCore*>(pool)->run_one();
}

void PoolCore::push(PoolTask* task) {
  task->next = nullptr;
  push_list(task, task, 1);
}

void PoolCore::push_list(PoolTask* first, PoolTask* last, std::size_t count) {
  Impl& d = *impl_;
  std::lock_guard lk(d.m);
  d.check_open_locked();
  last->next = nullptr;
  if (d.tail)
    d.tail->next = first;
  else
    d.head = first;
  d.tail = last;
  d.queued.store(d.queued.load(std::memory_order_relaxed) + count, std::memory_order_relaxed);
  // Wake only as many sleepers as have not been signalled yet: a burst of submissions must not
  // turn into a burst of futex wakes.
  for (std::size_t i = 0; i < count && d.sleepers > d.signalled; ++i) {
    ++d.signalled;
    d.cv.notify_one();
  }
}

void PoolCore::check_open() const {
  std::lock_guard lk(impl_->m);
  impl_->check_open_locked();
}

bool PoolCore::run_one() {
  PoolTask* t = nullptr;
  {
    std::lock_guard lk(impl_->m);
    if (!impl_->head) return false;
    t = impl_->pop_locked();
  }
  t->run();
  return true;
}

void PoolCore::Impl::on_initializer_failure(std::exception_ptr e) noexcept {
  const std::string why = describe(e);
  std::fprintf(stderr, "concur::futures: exception in initializer: %s\n", why.c_str());
  PoolTask* dropped = nullptr;
  {
    std::lock_guard lk(m);
    if (broken.empty())
      broken = "concur::futures: a worker's initializer failed (" + why +
               "); the thread pool is broken and refuses new work";
    dropped = take_all_locked();
  }
  const auto error = std::make_exception_ptr(futures::BrokenThreadPool(broken));
  while (dropped) {
    PoolTask* next = dropped->next;
    dropped->abandon(error);
    dropped = next;
  }
}

void PoolCore::Impl::worker_loop(const PoolCore* self) noexcept {
  t_pool = self;
  if (initializer) {
    try {
      initializer();
    } catch (...) {
      on_initializer_failure(std::current_exception());
      return;  // as Python's worker: this thread ends
    }
  }
  std::unique_lock lk(m);
  for (;;) {
    if (head) {
      PoolTask* t = pop_locked();
      lk.unlock();
      t->run();
      lk.lock();
      continue;
    }
    if (shutdown) return;
    // A short unlocked spin catches the next submission of a busy submitter without a sleep.
    lk.unlock();
    for (int i = 0; i < kIdleSpins && queued.load(std::memory_order_relaxed) == 0 &&
                    !stopping.load(std::memory_order_relaxed);
         ++i)
      cpu_relax();
    lk.lock();
    if (head || shutdown) continue;
    ++sleepers;
    cv.wait(lk);
    --sleepers;
    if (signalled > 0) --signalled;
  }
}

void PoolCore::shutdown(bool wait, bool cancel_futures) {
  Impl& d = *impl_;
  PoolTask* cancelled = nullptr;
  {
    std::lock_guard lk(d.m);
    d.shutdown = true;
    d.stopping.store(true, std::memory_order_relaxed);
    if (cancel_futures) cancelled = d.take_all_locked();
    d.cv.notify_all();
  }
  while (cancelled) {
    PoolTask* next = cancelled->next;
    cancelled->cancel();
    cancelled = next;
  }
  if (!wait) return;
  std::lock_guard jl(d.join_m);
  for (auto& t : d.threads) {
    // A worker shutting down its own pool cannot join itself; it is joined by the destructor.
    if (t.joinable() && t.get_id() != std::this_thread::get_id()) t.join();
  }
}

}  // namespace concur::detail
