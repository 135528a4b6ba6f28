// concur/futures/thread_pool.hpp — Python's concurrent.futures.ThreadPoolExecutor.
//
//   concur::futures::ThreadPoolExecutor pool(4, {.thread_name_prefix = "render"});
//   auto f = pool.submit([](int x) { return x * x; }, 7);   // Future<int>
//   f.result();                                             // 49, or rethrows what the task threw
//   std::vector<int> twice = pool.map([](int x) { return 2 * x; }, items);   // ordered
//
// - submit(f, args...) queues f(args...) (arguments stored by value) and returns its Future;
//   the task's result or exception reaches the future, nothing is swallowed. One allocation
//   per task (from a per-thread arena) holds the task and the future's state. After shutdown() it
//   throws std::logic_error (Python: RuntimeError); on a broken pool, BrokenThreadPool.
// - map(f, items) returns f(item) for every item, in order. It does not make a future per item: the
//   range is cut into about 4 contiguous chunks per worker, results are written in place, and the
//   calling thread works through chunks too. Every item is processed; if some threw, the exception
//   of the lowest-indexed failing item is rethrown (what Python's iteration would raise first).
//   Items need not be random access (other ranges are copied into a vector first). The one `f`
//   object is called from several threads at once, so calling it must be thread-safe.
// - shutdown(wait, cancel_futures): no new tasks; cancel_futures=true cancels the tasks that have
//   not started (their futures are cancelled(), result() throws CancelledError). wait=true joins
//   the workers. Tasks already queued still run unless cancelled. The destructor is
//   shutdown(true).
// - ThreadPoolOptions: workers are named PREFIX-0, PREFIX-1 ... (ps, top, gdb,
//   /proc/self/task/*/comm; Linux keeps 15 bytes). `initializer` runs first in each worker; if
//   it throws, its message is printed to stderr and the pool is broken (Python's rules): queued
//   futures fail with BrokenThreadPool and submit()/map() throw it.
// - Waiting on the pool from one of its own tasks does not deadlock: Future::result() (get(),
//   wait()...) called on one of the pool's threads runs the pool's queued tasks while it waits,
//   even with one worker; map() from a task runs the chunks itself.
// - An idle pool uses no CPU: workers sleep on a futex (after looking for work for a few µs);
//   submit() takes no lock and makes a system call only when a worker sleeps.
// Thread safety: every member may be called from any thread, including the pool's own workers
// (except destroying the pool from one of its tasks: undefined).
#pragma once

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <ranges>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "concur/detail/core/futex.hpp"
#include "concur/detail/futures/pool_task.hpp"
#include "concur/detail/threading_pool.hpp"
#include "concur/futures/errors.hpp"
#include "concur/futures/future.hpp"

namespace concur::futures {

/// How a ThreadPoolExecutor names and prepares its threads.
struct ThreadPoolOptions {
  /// Workers are named PREFIX-0, PREFIX-1 ...
  std::string thread_name_prefix = "concur-pool";
  /// Runs once in each worker before any task; if it throws, the pool is broken.
  std::function<void()> initializer = {};
};

namespace detail {

/// Shared by map()'s caller and its helper tasks; helpers may outlive the call (then they only
/// find no chunk left), hence shared ownership.
struct MapState {
  std::atomic<std::size_t> next{0}, done{0};
  std::size_t chunks = 0;
  std::function<void(std::size_t)> run_chunk;  // valid while done < chunks
  std::atomic<std::uint32_t> finished{0};      // a futex word: 1 once every chunk ran

  // Claims and runs chunks until none is left.
  void work() {
    for (;;) {
      const std::size_t c = next.fetch_add(1, std::memory_order_relaxed);
      if (c >= chunks) return;
      run_chunk(c);
      if (done.fetch_add(1, std::memory_order_acq_rel) + 1 == chunks) {
        finished.store(1, std::memory_order_release);
        concur::detail::futex_wake(finished, INT_MAX);
      }
    }
  }
  void wait_finished() {
    while (finished.load(std::memory_order_acquire) == 0) concur::detail::futex_wait(finished, 0);
  }
};

struct MapHelper final : concur::detail::PoolTask {
  explicit MapHelper(std::shared_ptr<MapState> s) : state(std::move(s)) {}
  void run() noexcept override {
    state->work();
    delete this;
  }
  // The caller finishes the chunks itself.
  void cancel() noexcept override { delete this; }
  void abandon(std::exception_ptr) noexcept override { delete this; }
  std::shared_ptr<MapState> state;
};

}  // namespace detail

/// Python's concurrent.futures.ThreadPoolExecutor: a fixed set of threads running submitted
/// calls; submit() returns a Future with the call's result or exception, map() runs a range
/// in ordered chunks. The destructor is shutdown(true).
/// Thread safety: every member may be called from any thread (the destructor excepted).
/// @code
/// concur::futures::ThreadPoolExecutor pool(4);
/// auto f = pool.submit([](int x) { return x * x; }, 7);  // Future<int>
/// int v = f.result();                                     // 49, or rethrows the task's error
/// @endcode
class ThreadPoolExecutor {
 public:
  /// Starts max_workers threads (0 = the CPUs this process may use). Throws std::system_error
  /// if a thread cannot be started.
  explicit ThreadPoolExecutor(unsigned max_workers = 0, ThreadPoolOptions options = {})
      : core_(max_workers, options.thread_name_prefix, std::move(options.initializer)) {}
  ThreadPoolExecutor(const ThreadPoolExecutor&) = delete;
  ThreadPoolExecutor& operator=(const ThreadPoolExecutor&) = delete;
  /// shutdown(true): runs what is queued, then joins the workers.
  ~ThreadPoolExecutor() = default;

  /// Queues f(args...); its result or exception arrives in the returned future. Throws
  /// std::logic_error after shutdown(), BrokenThreadPool on a broken pool.
  template <class F, class... A>
  auto submit(F f, A... args) -> Future<std::invoke_result_t<F, A...>> {
    using R = std::invoke_result_t<F, A...>;
    auto bound = [f = std::move(f), ... args = std::move(args)]() mutable -> R {
      return std::invoke(std::move(f), std::move(args)...);
    };
    using Task = detail::PoolTaskState<R, decltype(bound)>;
    auto* task = Task::make(std::move(bound), &core_);
    Future<R> fut(task, detail::Adopt{});
    try {
      core_.push(task);
    } catch (...) {
      task->drop();
      throw;
    }
    return fut;
  }

  /// f(item) for every item, in order; see the top of this header. Rethrows the first failing
  /// item's exception; throws std::logic_error after shutdown(), BrokenThreadPool when broken.
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
    core_.check_open();
    const std::size_t n = std::ranges::size(items);
    // bool would pack into bits (threads writing neighbours would race); others need a default.
    constexpr bool in_place = std::is_default_constructible_v<R> && !std::is_same_v<R, bool>;
    using Slot = std::conditional_t<in_place, R, std::optional<R>>;
    std::vector<Slot> out(n);
    if (n == 0) return finish<R>(std::move(out));

    auto first = std::ranges::begin(items);
    const std::size_t chunks = std::min<std::size_t>(n, 4 * std::max(1u, core_.workers()));
    std::mutex err_m;
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
    if (helpers > 0) {
      auto* head = new detail::MapHelper(state);
      auto* tail = head;
      for (unsigned h = 1; h < helpers; ++h)
        tail = static_cast<detail::MapHelper*>(tail->next = new detail::MapHelper(state));
      try {
        core_.push_list(head, tail, helpers);
      } catch (...) {
        while (head) delete std::exchange(head, static_cast<detail::MapHelper*>(head->next));
        throw;
      }
    }
    state->work();
    state->wait_finished();
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
