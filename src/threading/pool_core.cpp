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
#include "concur/detail/threading_pool.hpp"
#include "concur/futures/errors.hpp"

namespace concur::detail {
namespace {

thread_local const PoolCore* t_pool = nullptr;
// Tasks this worker took from the queue in one go and has not run yet (oldest first).
thread_local PoolTask* t_batch = nullptr;

// An idle worker looks for work this many times (a few pauses apart) before it sleeps.
constexpr int kIdleChecks = 64;
constexpr int kPausesPerCheck = 4;
// A worker takes up to this many tasks per visit to the queue, and only while the queue holds
// at least 2 x workers x that many: the others still find plenty.
constexpr std::size_t kMaxBatch = 16;

// gate: bit 0 closed (shutdown or broken: no new pushes), bits 1-31 pushes in flight (2 each),
// bits 32-63 tasks pushed so far (mod 2^32).
constexpr std::uint64_t kClosed = 1, kInFlight = 2, kPushedShift = 32;
constexpr std::uint64_t in_flight(std::uint64_t g) noexcept { return (g & 0xffffffffu) >> 1; }

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
  // Written by submitters only (a line of their own: idle workers never read it, so it stays in
  // the submitting core's cache).
  alignas(64) std::atomic<std::uint64_t> gate{0};
  // The queue's tail: written by every push, and by a consumer that empties the queue.
  alignas(64) std::atomic<PoolTask*> tail;
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

  Impl() : tail(&stub), head(&stub) {}

  // --- the queue (Vyukov's intrusive MPSC list; consumers take turns under consumer_busy) ---
  void link(PoolTask* first, PoolTask* last) noexcept {
    std::atomic_ref<PoolTask*>(last->next).store(nullptr, std::memory_order_relaxed);
    PoolTask* prev = tail.exchange(last, std::memory_order_seq_cst);
    // seq_cst (both): ordered before the submitter's look at `epoch` (see wake_sleepers).
    std::atomic_ref<PoolTask*>(prev->next).store(first, std::memory_order_seq_cst);
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
    if (tail.load(std::memory_order_acquire) != h) return nullptr;
    link(&stub, &stub);
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
  bool has_work() const noexcept { return tail.load(std::memory_order_seq_cst) != &stub; }
  // Tasks pushed and not yet taken (approximate: a push is counted after its link).
  std::int32_t queued() const noexcept {
    const auto pushed =
        static_cast<std::uint32_t>(gate.load(std::memory_order_seq_cst) >> kPushedShift);
    return static_cast<std::int32_t>(pushed - popped.load(std::memory_order_seq_cst));
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
  // Only once no push is in flight (the gate closed and drained): everything queued.
  PoolTask* take_all() noexcept {
    lock_consumers();
    PoolTask* first = nullptr;
    PoolTask* last = nullptr;
    std::uint32_t n = 0;
    while (PoolTask* t = pop_one()) {
      (last ? last->next : first) = t;
      last = t;
      ++n;
    }
    if (last) last->next = nullptr;
    popped.store(popped.load(std::memory_order_relaxed) + n, std::memory_order_seq_cst);
    unlock_consumers();
    return first;
  }

  // --- the gate ---
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
  // Closes the gate (the reason is already recorded under m), then waits for the pushes in
  // flight, which take a few instructions.
  void close_gate() noexcept {
    std::uint64_t g = gate.fetch_or(kClosed, std::memory_order_seq_cst) | kClosed;
    int spins = 0;
    while (in_flight(g) != 0) {
      backoff(spins);
      g = gate.load(std::memory_order_seq_cst);
    }
  }

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
    for (int i = 0; i < kIdleChecks; ++i) {
      for (int j = 0; j < kPausesPerCheck; ++j) cpu_relax();
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
  // Entering the gate and leaving it are the only shared writes besides the link itself, and
  // they hit the submitters' own cache line: no lock, nothing a preempted worker could hold.
  if (d.gate.fetch_add(kInFlight, std::memory_order_seq_cst) & kClosed) {
    d.gate.fetch_sub(kInFlight, std::memory_order_seq_cst);
    d.throw_closed();
  }
  d.link(first, last);
  d.gate.fetch_add((static_cast<std::uint64_t>(count) << kPushedShift) - kInFlight,
                   std::memory_order_seq_cst);
  d.wake_sleepers();
}

void PoolCore::check_open() const {
  if (impl_->gate.load(std::memory_order_acquire) & kClosed) impl_->throw_closed();
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
  close_gate();
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
      // shutdown() closed the gate and waited for the pushes in flight before setting
      // `stopping`: an empty queue now stays empty.
      if (PoolTask* t = take(kMaxBatch)) {
        t_batch = t->next;
        run_with_batch(t);
        continue;
      }
      return;
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
  d.close_gate();
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
