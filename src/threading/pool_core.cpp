// concur::detail::PoolCore: the workers of ThreadPoolExecutor. See the header for the design;
// comments here say why.
#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "concur/detail/core/cpu.hpp"
#include "concur/detail/core/futex.hpp"
#include "concur/detail/sync/spin.hpp"
#include "concur/detail/threading_pool.hpp"
#include "concur/futures/errors.hpp"

namespace concur::detail {
namespace {

thread_local const PoolCore* t_pool = nullptr;
// Tasks this worker took from the queue in one go and has not run yet (oldest first).
thread_local PoolTask* t_batch = nullptr;

// An idle worker looks for work this many times (a few pauses apart), then this many times
// more with a sched_yield() before each look, and then sleeps. Yielding rather than spinning: the
// pool usually has as many workers as cores, so with the submitter (and anything else the machine
// runs) there are more threads than cores, and a spinning worker takes the core the submitter
// needs; a yield hands it over, and on an idle core it returns at once (a cheap look).
constexpr int kIdleChecks = 8;
constexpr int kPausesPerCheck = 4;
constexpr int kIdleYields = sync::kYields;
// A worker takes up to this many tasks per visit to the queue, and only while the queue holds
// at least 2 x workers x that many: the others still find plenty.
constexpr std::size_t kMaxBatch = 16;

// Bit 0 of the queue's tail word: the queue is closed to pushes (shutdown, or a broken pool).
// Nodes are at least pointer-aligned, so a node's address never has it.
constexpr std::uintptr_t kClosed = 1;

// The queue's permanent dummy node (Vyukov's intrusive MPSC queue needs one).
struct Stub final : PoolTask {
  void run() noexcept override {}
  void cancel() noexcept override {}
  void abandon(std::exception_ptr) noexcept override {}
};

PoolTask* load_next(PoolTask* t) noexcept {
  return std::atomic_ref<PoolTask*>(t->next).load(std::memory_order_acquire);
}

void backoff(int& spins) noexcept {
  if (++spins < 64)
    cpu_relax();
  else
    sched_yield();  // the holder was preempted
}

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
  // The queue's tail node and kClosed: written by every push (a CAS, the push's only atomic
  // read-modify-write), and by a consumer that empties the queue.
  alignas(64) std::atomic<std::uintptr_t> tail;
  // Tasks pushed so far (mod 2^32), approximately: a load and a store, not an atomic add, so two
  // submitters at the same instant may lose a count. It only sizes the workers' batches
  // (queued()), and it shares the tail's line, which every push owns for its CAS anyway.
  std::atomic<std::uint32_t> pushed{0};
  // The consumers' side: a spin lock held for a few pointer moves, the head, the pop count.
  alignas(64) std::atomic<bool> consumer_busy{false};
  PoolTask* head;                        // guarded by consumer_busy
  std::atomic<std::uint32_t> popped{0};  // written under consumer_busy
  // Sleeping workers: bit 0 = someone sleeps (or is about to); the rest a wake-up sequence.
  alignas(64) std::atomic<std::uint32_t> epoch{0};
  std::atomic<bool> stopping{false};        // shutdown() was called
  std::atomic<bool> cancel_batches{false};  // shutdown(cancel_futures): drop taken tasks too
  alignas(64) Stub stub;
  std::mutex m;  // guards the two below (the slow paths only)
  bool shutdown = false;
  std::string broken;  // why, once an initializer failed
  std::function<void()> initializer;
  std::size_t nworkers = 1;  // set before the first worker starts (threads grows meanwhile)
  std::mutex join_m;
  std::vector<std::thread> threads;

  Impl() : tail(reinterpret_cast<std::uintptr_t>(&stub)), head(&stub) {}

  // --- the queue (Vyukov's intrusive MPSC list; consumers take turns under consumer_busy) ---
  static PoolTask* node(std::uintptr_t t) noexcept {
    return reinterpret_cast<PoolTask*>(t & ~kClosed);
  }
  PoolTask* tail_node(std::memory_order o) const noexcept { return node(tail.load(o)); }
  // Appends first..last; false (nothing appended) once the queue is closed, unless `force` (a
  // consumer putting the stub back). The closed bit lives in the tail word so that the CAS
  // which appends also checks it: a push is refused, or its task is reachable from the queue
  // (perhaps not linked yet: consumers see that as "half done" and wait, see drain()).
  bool link(PoolTask* first, PoolTask* last, bool force) noexcept {
    std::atomic_ref<PoolTask*>(last->next).store(nullptr, std::memory_order_relaxed);
    std::uintptr_t t = tail.load(std::memory_order_relaxed);
    do {
      if ((t & kClosed) && !force) return false;
    } while (!tail.compare_exchange_weak(t, reinterpret_cast<std::uintptr_t>(last) | (t & kClosed),
                                         std::memory_order_seq_cst, std::memory_order_relaxed));
    // The seq_cst CAS is what orders the push before the submitter's look at `epoch` (see
    // wake_sleepers); the link itself only has to publish the task to its consumer.
    std::atomic_ref<PoolTask*>(node(t)->next).store(first, std::memory_order_release);
    return true;
  }
  // Under consumer_busy. Null when empty, or when a push is half done (its link not stored yet).
  PoolTask* pop_one() noexcept {
    PoolTask* h = head;
    PoolTask* next = load_next(h);
    if (h == &stub) {
      if (!next) return nullptr;
      head = h = next;
      next = load_next(h);
    }
    if (next) {
      head = next;
      return h;
    }
    if (tail_node(std::memory_order_acquire) != h) return nullptr;
    link(&stub, &stub, true);
    next = load_next(h);
    if (!next) return nullptr;
    head = next;
    return h;
  }
  void lock_consumers() noexcept {
    int spins = 0;
    while (consumer_busy.exchange(true, std::memory_order_acquire)) {
      while (consumer_busy.load(std::memory_order_relaxed)) backoff(spins);
    }
  }
  void unlock_consumers() noexcept { consumer_busy.store(false, std::memory_order_release); }
  // Whether a task is queued (or being pushed). The queue is empty exactly when its tail is the
  // stub (a consumer that takes the last task links the stub back in).
  // Once the queue is closed, an empty queue stays empty and a non-empty one has pushes
  // that are only half done (appended, not linked yet) or tasks left.
  bool has_work() const noexcept { return tail_node(std::memory_order_seq_cst) != &stub; }
  // Tasks pushed and not yet taken, approximately (see `pushed`; may even be negative).
  std::int32_t queued() const noexcept {
    return static_cast<std::int32_t>(pushed.load(std::memory_order_relaxed) -
                                     popped.load(std::memory_order_relaxed));
  }
  // Takes the head task (null if none), plus up to `max_batch`-1 more into t_batch when the
  // queue is long.
  PoolTask* take(std::size_t max_batch) noexcept {
    lock_consumers();
    PoolTask* first = pop_one();
    std::uint32_t n = 0;
    if (first) {
      n = 1;
      std::size_t k = 1;
      // Only when a second task is already linked: a queue of one (a worker keeping pace with
      // the submitter) then costs no read of the submitters' line.
      if (max_batch > 1 && load_next(head) != nullptr) {
        const std::int32_t q = queued();
        k = q > 0 ? static_cast<std::size_t>(q) / (2 * nworkers) : 1;
        if (k > max_batch) k = max_batch;
      }
      PoolTask* last = first;
      while (n < k) {
        PoolTask* t = pop_one();
        if (!t) break;
        last->next = t;
        last = t;
        ++n;
      }
      last->next = nullptr;
      popped.store(popped.load(std::memory_order_relaxed) + n, std::memory_order_seq_cst);
    }
    unlock_consumers();
    return first;
  }
  // Once the queue is closed: everything queued, including the tasks of pushes still linking
  // (a few instructions away; we wait for them).
  PoolTask* take_all() noexcept {
    lock_consumers();
    PoolTask* first = nullptr;
    PoolTask* last = nullptr;
    std::uint32_t n = 0;
    int spins = 0;
    while (has_work()) {
      PoolTask* t = pop_one();
      if (!t) {
        backoff(spins);  // a push appended its task and is about to link it
        continue;
      }
      (last ? last->next : first) = t;
      last = t;
      ++n;
    }
    if (last) last->next = nullptr;
    popped.store(popped.load(std::memory_order_relaxed) + n, std::memory_order_seq_cst);
    unlock_consumers();
    return first;
  }

  // --- closing ---
  [[noreturn]] void throw_closed() {
    std::lock_guard lk(m);
    check_open_locked();
    throw std::logic_error("concur::futures: the thread pool is closed");  // not reached
  }
  void check_open_locked() const {
    if (!broken.empty()) throw futures::BrokenThreadPool(broken);
    if (shutdown)
      throw std::logic_error("concur::futures: cannot schedule new futures after shutdown");
  }
  // Refuses all later pushes (the reason is already recorded under m). Pushes that got in
  // first may still be linking their task: take_all() and exiting workers wait for those.
  void close() noexcept { tail.fetch_or(kClosed, std::memory_order_seq_cst); }

  // --- sleeping (an eventcount: a submitter makes a syscall only when a worker sleeps) ---
  void wake_sleepers() noexcept {
    std::uint32_t e = epoch.load(std::memory_order_seq_cst);
    if ((e & 1u) && epoch.compare_exchange_strong(e, (e + 2) & ~1u, std::memory_order_seq_cst))
      futex_wake(epoch, INT_MAX);
  }
  void wake_all() noexcept {
    epoch.fetch_add(2, std::memory_order_seq_cst);
    epoch.fetch_and(~1u, std::memory_order_seq_cst);
    futex_wake(epoch, INT_MAX);
  }
  // Returns when there may be work, or shutdown() was called.
  void idle() noexcept {
    for (int i = 0; i < kIdleChecks + kIdleYields; ++i) {
      if (i < kIdleChecks) {
        for (int j = 0; j < kPausesPerCheck; ++j) cpu_relax();
      } else {
        sched_yield();
      }
      // While another worker holds the head it is taking what is there: keep looking rather
      // than queue up behind it (two idle workers chasing each task cost a lock handover each).
      if ((has_work() && !consumer_busy.load(std::memory_order_relaxed)) ||
          stopping.load(std::memory_order_relaxed))
        return;
    }
    std::uint32_t e = epoch.load(std::memory_order_seq_cst);
    if (!(e & 1u)) {
      if (!epoch.compare_exchange_strong(e, e | 1u, std::memory_order_seq_cst)) return;
      e |= 1u;
    }
    // After announcing the sleep: a push that this check misses sees the bit and wakes us.
    if (has_work() || stopping.load(std::memory_order_seq_cst)) return;
    futex_wait(epoch, e);
  }

  void run_with_batch(PoolTask* t) noexcept {
    t->run();
    while (PoolTask* b = t_batch) {
      t_batch = b->next;
      if (cancel_batches.load(std::memory_order_relaxed))
        b->cancel();
      else
        b->run();
    }
  }
  void worker_loop(const PoolCore* self) noexcept;
  void on_initializer_failure(std::exception_ptr e) noexcept;
};

PoolCore::PoolCore(unsigned workers, const std::string& name_prefix,
                   std::function<void()> initializer)
    : impl_(std::make_unique<Impl>()) {
  if (workers == 0) workers = usable_cpu_count();  // affinity and cgroup quota
  impl_->initializer = std::move(initializer);
  impl_->nworkers = workers;
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

void PoolCore::push(PoolTask* task) { push_list(task, task, 1); }

void PoolCore::push_list(PoolTask* first, PoolTask* last, std::size_t count) {
  Impl& d = *impl_;
  // One CAS appends the tasks or finds the queue closed: no lock, nothing a preempted worker
  // could hold, no other read-modify-write.
  if (!d.link(first, last, false)) d.throw_closed();
  d.pushed.store(d.pushed.load(std::memory_order_relaxed) + static_cast<std::uint32_t>(count),
                 std::memory_order_relaxed);
  d.wake_sleepers();
}

void PoolCore::check_open() const {
  if (impl_->tail.load(std::memory_order_acquire) & kClosed) impl_->throw_closed();
}

bool PoolCore::run_one() {
  if (t_pool == this && t_batch) {  // a worker helping: its own batch first (it may hold the
    PoolTask* t = t_batch;          // very task it waits for)
    t_batch = t->next;
    t->run();
    return true;
  }
  PoolTask* t = impl_->take(1);
  if (!t) return false;
  t->run();
  return true;
}

void PoolCore::Impl::on_initializer_failure(std::exception_ptr e) noexcept {
  const std::string why = describe(e);
  std::fprintf(stderr, "concur::futures: exception in initializer: %s\n", why.c_str());
  {
    std::lock_guard lk(m);
    if (broken.empty())
      broken = "concur::futures: a worker's initializer failed (" + why +
               "); the thread pool is broken and refuses new work";
  }
  close();
  PoolTask* dropped = take_all();
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
  for (;;) {
    if (PoolTask* t = take(kMaxBatch)) {
      t_batch = t->next;
      run_with_batch(t);
      continue;
    }
    if (stopping.load(std::memory_order_acquire)) {
      // shutdown() closed the queue before setting `stopping`: once it is empty it stays
      // empty. Until then a push that got in is linking its task (take() saw it half done).
      if (PoolTask* t = take(kMaxBatch)) {
        t_batch = t->next;
        run_with_batch(t);
        continue;
      }
      if (!has_work()) return;
      sched_yield();
      continue;
    }
    idle();
  }
}

void PoolCore::shutdown(bool wait, bool cancel_futures) {
  Impl& d = *impl_;
  {
    std::lock_guard lk(d.m);
    d.shutdown = true;
  }
  d.close();
  if (cancel_futures) d.cancel_batches.store(true, std::memory_order_relaxed);
  d.stopping.store(true, std::memory_order_seq_cst);
  PoolTask* cancelled = cancel_futures ? d.take_all() : nullptr;
  d.wake_all();
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
