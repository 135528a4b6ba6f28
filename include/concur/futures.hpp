// concur/futures.hpp — Python's concurrent.futures.ThreadPoolExecutor, returning std::future.
//
//   concur::futures::ThreadPoolExecutor pool(4);
//   std::future<int> f = pool.submit([](int x) { return x * x; }, 7);
//   f.get();                                            // 49, or rethrows what the task threw
//   std::vector<int> twice = pool.map([](int x) { return 2 * x; }, items);   // ordered
//
// - submit(f, args...) queues f(args...) (arguments stored by value) and returns its std::future;
//   the task's result or exception reaches the future, nothing is swallowed. After shutdown() it
//   throws std::runtime_error (Python: RuntimeError).
// - map(f, items) returns f(item) for every item, in order. It does not make a future per item: the
//   range is cut into about 4 contiguous chunks per worker, results are written in place, and the
//   calling thread works through chunks too. Every item is processed; if some threw, the exception
//   of the lowest-indexed failing item is rethrown (what Python's iteration would raise first).
//   Items need not be random access (other ranges are copied into a vector first). The one `f`
//   object is called from several threads at once, so calling it must be thread-safe.
// - shutdown(wait, cancel_futures): no new tasks; cancel_futures=true drops the tasks that have not
//   started, and their futures throw CancelledError (std::future has no "cancelled" state; the
//   exception stands in for Python's CancelledError). wait=true joins the workers. Tasks already
//   queued still run unless cancelled. The destructor is shutdown(true).
// - Waiting on the pool from one of its own tasks: map() never deadlocks (the caller runs the
//   unclaimed chunks itself). A raw std::future::get() inside a task CAN deadlock if every worker
//   blocks that way on tasks still queued behind them; std::future cannot be hooked, so use
//   helping_get(future), which runs this pool's queued tasks while it waits.
// - An idle pool uses no CPU: workers sleep on a condition variable (after a spin of ~1 µs).
// - Workers are named "concur-pool-N" for ps/top/gdb.
// Thread safety: every member may be called from any thread, including the pool's own workers
// (except destroying the pool from one of its tasks: undefined).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <new>
#include <optional>
#include <ranges>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "concur/detail/threading_pool.hpp"
#include "concur/detail/threading_sync.hpp"

namespace concur::futures {

/// The exception a future of a task dropped by shutdown(cancel_futures=true) carries.
struct CancelledError : std::runtime_error {
  CancelledError() : std::runtime_error("concurrent.futures.CancelledError") {}
};

namespace detail {

/// One allocation holds a submitted task followed by room for its promise's shared state and
/// result: the promise gets a BlockAllocator that carves from that room, so a submit() costs one
/// malloc, not three. The block is freed when the task and every carved object are gone (refs
/// reaches 0), on whichever thread drops the last. Carving happens on the submitting thread
/// before the task is published, so only refs is shared.
struct TaskBlock {
  std::atomic<std::uint32_t> refs{1};  // the task, plus one per live carved object
  std::uint32_t align = 0;             // of the whole allocation, if over-aligned (else 0)
  std::uint32_t used = 0;              // bytes from `this` handed out so far
  std::uint32_t size = 0;              // bytes of the whole allocation

  void* carve(std::size_t bytes, std::size_t al) noexcept {
    const auto base = reinterpret_cast<std::uintptr_t>(this);
    const std::size_t at = ((base + used + al - 1) & ~(al - 1)) - base;
    if (at + bytes > size) return nullptr;
    used = static_cast<std::uint32_t>(at + bytes);
    refs.fetch_add(1, std::memory_order_relaxed);
    return reinterpret_cast<unsigned char*>(this) + at;
  }
  bool owns(const void* p) const noexcept {
    const auto a = reinterpret_cast<std::uintptr_t>(p), me = reinterpret_cast<std::uintptr_t>(this);
    return a >= me && a < me + size;
  }
  void release() noexcept {
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) free(this, align);
  }
  static void* allocate(std::size_t bytes, std::size_t al) {
    return al ? ::operator new (bytes, std::align_val_t{al}) : ::operator new(bytes);
  }
  static void free(void* p, std::size_t al) noexcept {  // unsized: clang 14 lacks sized delete
    if (al)
      ::operator delete (p, std::align_val_t{al});
    else
      ::operator delete(p);
  }
};

/// Bytes a std::promise<R> made with allocator Alloc carves, in all: its shared state and its
/// result. Exact for libstdc++ (the two types it allocates); an estimate elsewhere. Either way a
/// carve that does not fit falls back to the heap, so this only decides how often.
template <class R, class Alloc>
constexpr std::size_t promise_room() {
  constexpr auto fit = [](std::size_t n, std::size_t al) {
    return (n + al - 1) / al * al + (al > alignof(std::max_align_t) / 2 ? al : 0);
  };
#if defined(__GLIBCXX__)
  using State = std::_Sp_counted_ptr_inplace<std::__future_base::_State_baseV2, Alloc,
                                             std::__default_lock_policy>;
  using Result = std::__future_base::_Result_alloc<R, Alloc>;
  return fit(sizeof(State), alignof(State)) + fit(sizeof(Result), alignof(Result));
#else
  using Stored = std::conditional_t<std::is_void_v<R> || std::is_reference_v<R>, void*, R>;
  return 128 + fit(sizeof(Stored), alignof(Stored));
#endif
}

/// The promise's allocator: carves from a TaskBlock, falls back to the heap when it is full.
template <class T>
struct BlockAllocator {
  using value_type = T;
  explicit BlockAllocator(TaskBlock* b) noexcept : block(b) {}
  template <class U>
  BlockAllocator(const BlockAllocator<U>& o) noexcept : block(o.block) {}  // NOLINT: rebinding
  T* allocate(std::size_t n) {
    if (void* p = block->carve(n * sizeof(T), alignof(T))) return static_cast<T*>(p);
    return std::allocator<T>{}.allocate(n);
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (block->owns(p))
      block->release();
    else
      std::allocator<T>{}.deallocate(p, n);
  }
  template <class U>
  bool operator==(const BlockAllocator<U>& o) const noexcept {
    return block == o.block;
  }
  TaskBlock* block;
};

template <class R, class Fn>
struct SubmitTask final : concur::detail::PoolTask {
  SubmitTask(TaskBlock* b, Fn&& fn)
      : fn_(std::move(fn)), promise_(std::allocator_arg, BlockAllocator<char>(b)) {}

  static constexpr std::size_t task_offset() noexcept {
    return (sizeof(TaskBlock) + alignof(SubmitTask) - 1) & ~(alignof(SubmitTask) - 1);
  }
  /// Makes the block, the task and its promise; returns the task (publish it with push()).
  static SubmitTask* make(Fn&& fn) {
    constexpr std::size_t align =
        alignof(SubmitTask) > __STDCPP_DEFAULT_NEW_ALIGNMENT__ ? alignof(SubmitTask) : 0;
    constexpr std::size_t task_at = task_offset();
    constexpr std::size_t bytes =
        task_at + sizeof(SubmitTask) + promise_room<R, BlockAllocator<char>>();
    static_assert(bytes < (std::size_t{1} << 31), "a task this large is not carved");
    void* raw = TaskBlock::allocate(bytes, align);
    auto* block = ::new (raw) TaskBlock;
    block->align = static_cast<std::uint32_t>(align);
    block->used = static_cast<std::uint32_t>(task_at + sizeof(SubmitTask));
    block->size = static_cast<std::uint32_t>(bytes);
    try {
      return ::new (static_cast<unsigned char*>(raw) + task_at) SubmitTask(block, std::move(fn));
    } catch (...) {
      TaskBlock::free(raw, align);
      throw;
    }
  }
  /// `delete task` (run(), cancel(), a refused push) destroys the task and drops its block ref.
  static void operator delete(void* p) noexcept {
    constexpr std::size_t task_at = task_offset();
    reinterpret_cast<TaskBlock*>(static_cast<unsigned char*>(p) - task_at)->release();
  }

  void run() noexcept override {
    try {
      if constexpr (std::is_void_v<R>) {
        std::invoke(std::move(fn_));
        promise_.set_value();
      } else {
        promise_.set_value(std::invoke(std::move(fn_)));
      }
    } catch (...) {
      promise_.set_exception(std::current_exception());
    }
    delete this;
  }
  void cancel() noexcept override {
    promise_.set_exception(std::make_exception_ptr(CancelledError()));
    delete this;
  }
  Fn fn_;
  std::promise<R> promise_;
};

/// Shared by map()'s caller and its helper tasks; helpers may outlive the call (then they only
/// find no chunk left), hence shared ownership.
struct MapState {
  std::atomic<std::size_t> next{0}, done{0};
  std::size_t chunks = 0;
  std::function<void(std::size_t)> run_chunk;  // valid while done < chunks
  concur::detail::Mutex m;
  concur::detail::CondVar cv;
  bool finished = false;

  // Claims and runs chunks until none is left.
  void work() {
    for (;;) {
      const std::size_t c = next.fetch_add(1, std::memory_order_relaxed);
      if (c >= chunks) return;
      run_chunk(c);
      if (done.fetch_add(1, std::memory_order_acq_rel) + 1 == chunks) {
        std::lock_guard lk(m);
        finished = true;
        cv.notify_all();
      }
    }
  }
};

struct MapHelper final : concur::detail::PoolTask {
  explicit MapHelper(std::shared_ptr<MapState> s) : state(std::move(s)) {}
  void run() noexcept override {
    state->work();
    delete this;
  }
  void cancel() noexcept override { delete this; }  // the caller finishes the chunks itself
  std::shared_ptr<MapState> state;
};

}  // namespace detail

class ThreadPoolExecutor {
 public:
  /// Starts max_workers threads (0 = the CPUs this process may use).
  explicit ThreadPoolExecutor(unsigned max_workers = 0) : core_(max_workers) {}
  ThreadPoolExecutor(const ThreadPoolExecutor&) = delete;
  ThreadPoolExecutor& operator=(const ThreadPoolExecutor&) = delete;
  /// shutdown(true): runs what is queued, then joins the workers.
  ~ThreadPoolExecutor() = default;

  /// Queues f(args...); its result or exception arrives in the returned future. Throws
  /// std::runtime_error after shutdown().
  template <class F, class... A>
  auto submit(F f, A... args) -> std::future<std::invoke_result_t<F, A...>> {
    using R = std::invoke_result_t<F, A...>;
    auto bound = [f = std::move(f), ... args = std::move(args)]() mutable -> R {
      return std::invoke(std::move(f), std::move(args)...);
    };
    auto* task = detail::SubmitTask<R, decltype(bound)>::make(std::move(bound));
    std::future<R> fut = task->promise_.get_future();
    core_.push(task);
    return fut;
  }

  /// f(item) for every item, in order; see the top of this header. Rethrows the first failing
  /// item's exception; throws std::runtime_error after shutdown().
  template <class F, class Range>
  auto map(F f, Range&& items) {
    if constexpr (std::ranges::random_access_range<Range> && std::ranges::sized_range<Range>) {
      return map_indexed(f, std::forward<Range>(items));
    } else {
      std::vector<std::ranges::range_value_t<Range>> copy(std::ranges::begin(items),
                                                          std::ranges::end(items));
      return map_indexed(f, copy);
    }
  }

  /// Waits for `fut` while running this pool's queued tasks on the calling thread, so a task can
  /// wait for tasks it submitted without deadlocking the pool; then returns fut.get().
  template <class R>
  R helping_get(std::future<R>& fut) {
    using namespace std::chrono_literals;
    while (fut.wait_for(0s) != std::future_status::ready) {
      if (!core_.run_one()) break;  // nothing queued: the awaited task is running elsewhere
    }
    return fut.get();
  }

  /// See the top of this header.
  void shutdown(bool wait = true, bool cancel_futures = false) {
    core_.shutdown(wait, cancel_futures);
  }
  /// *beyond*: the number of worker threads.
  unsigned max_workers() const noexcept { return core_.workers(); }

 private:
  template <class F, class Range>
  auto map_indexed(F& f, Range&& items) {
    using Ref = std::ranges::range_reference_t<Range>;
    using R = std::invoke_result_t<F&, Ref>;
    static_assert(!std::is_void_v<R>, "map() needs a function that returns a value");
    const std::size_t n = std::ranges::size(items);
    // bool would pack into bits (threads writing neighbours would race); others need a default.
    constexpr bool in_place = std::is_default_constructible_v<R> && !std::is_same_v<R, bool>;
    using Slot = std::conditional_t<in_place, R, std::optional<R>>;
    std::vector<Slot> out(n);
    if (n == 0) return finish<R>(std::move(out));

    auto first = std::ranges::begin(items);
    const std::size_t chunks = std::min<std::size_t>(n, 4 * std::max(1u, core_.workers()));
    concur::detail::Mutex err_m;
    std::size_t err_index = n;
    std::exception_ptr err;
    auto state = std::make_shared<detail::MapState>();
    state->chunks = chunks;
    state->run_chunk = [&](std::size_t c) {
      const std::size_t b = n * c / chunks, e = n * (c + 1) / chunks;
      std::size_t i = b;
      while (i < e) {
        try {
          for (; i < e; ++i) out[i] = std::invoke(f, first[static_cast<std::ptrdiff_t>(i)]);
        } catch (...) {
          std::lock_guard lk(err_m);
          if (i < err_index) err_index = i, err = std::current_exception();
          ++i;
        }
      }
    };
    const unsigned helpers =
        static_cast<unsigned>(std::min<std::size_t>(core_.workers(), chunks - 1));
    if (helpers == 0) core_.check_open();
    if (helpers > 0) {
      auto* head = new detail::MapHelper(state);
      auto* tail = head;
      for (unsigned h = 1; h < helpers; ++h)
        tail = static_cast<detail::MapHelper*>(tail->next = new detail::MapHelper(state));
      core_.push_list(head, tail, helpers);
    }
    state->work();
    {
      std::unique_lock lk(state->m);
      state->cv.wait(lk, [&] { return state->finished; });
    }
    if (err) std::rethrow_exception(err);
    return finish<R>(std::move(out));
  }

  template <class R, class Slot>
  static std::vector<R> finish(std::vector<Slot>&& out) {
    if constexpr (std::is_same_v<Slot, R>) {
      return std::move(out);
    } else {
      std::vector<R> result;
      result.reserve(out.size());
      for (auto& s : out) result.push_back(std::move(*s));
      return result;
    }
  }

  concur::detail::PoolCore core_;
};

}  // namespace concur::futures
