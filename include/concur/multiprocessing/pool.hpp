// concur/multiprocessing/pool.hpp — a pool of worker processes (Python's multiprocessing.Pool).
//
//   concur::multiprocessing::Pool pool(2);
//   std::vector<int> doubled = pool.map(+[](int x) { return x * 2; }, std::vector{1, 2, 3});
//   std::size_t n = pool.apply(+[](std::string s) { return s.size(); }, std::string("hi"));
//   for (int r : pool.imap(+[](int x) { return x * 2; }, std::views::iota(0))) if (r > 10) break;
//
// F is a function pointer or a capture-less lambda; arguments and results travel serialized
// with cereal (SharedArray / SharedMemory / Queue / locks travel as handles); bodies over
// 64 KiB travel through a sealed memfd (one copy), not the socket. A task that throws fails
// with its own exception type where it can be rebuilt (errors.hpp), else RemoteError; a worker
// that dies (signal, _exit, OOM kill) fails only the task it ran with WorkerCrashed and is
// replaced — the pool never hangs. Workers die with this process.
// Chunks: map/starmap/map_async/starmap_async default to ceil(n / (4 × processes)) items per
// task, imap and imap_unordered to 1. maxtasksperchild counts tasks (chunks), as Python.
// map and friends serialize their items eagerly, in the calling thread; imap reads them lazily
// (imap.hpp). PoolOptions::initializer runs in every worker before its first task.
// Throws: std::invalid_argument on a closed pool; std::system_error if workers cannot start.
//
// Thread safety: every member except the destructor may be called from any thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <memory>
#include <ranges>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "concur/multiprocessing/async_result.hpp"
#include "concur/multiprocessing/detail/codec.hpp"
#include "concur/multiprocessing/detail/pool_core.hpp"
#include "concur/multiprocessing/detail/trampolines.hpp"
#include "concur/multiprocessing/imap.hpp"
#include "concur/multiprocessing/initializer.hpp"
#include "concur/multiprocessing/start_method.hpp"

namespace concur::multiprocessing {

/// How a Pool starts and recycles its workers.
struct PoolOptions {
  /// fork (default: the one set by set_start_method()) or forkserver.
  StartMethod start_method = StartMethod::fork;
  /// Replace a worker after this many tasks (chunks); 0: never.
  unsigned maxtasksperchild = 0;
  /// Run in every worker before its first task (Python's initializer= / initargs=).
  Initializer initializer{};
};

/// Python's multiprocessing.Pool: a fixed number of worker processes running tasks. F is a
/// function pointer or a capture-less lambda; arguments and results travel serialised. A
/// worker that dies fails only its task (WorkerCrashed) and is replaced. The destructor
/// kills and reaps the workers (unfinished tasks fail).
/// Thread safety: every member except the destructor may be called from any thread.
/// @code
/// concur::multiprocessing::Pool pool(2);
/// std::vector<int> doubled = pool.map(+[](int x) { return x * 2; }, std::vector{1, 2, 3});
/// @endcode
class Pool {
 public:
  /// Starts `processes` workers (0: cpu_count()).
  explicit Pool(unsigned processes = 0, PoolOptions options = {})
      : core_(std::make_unique<detail::ProcessPoolCore>(detail::ProcessPoolConfig{
            processes,
            options.start_method == StartMethod::fork ? get_start_method() : options.start_method,
            options.maxtasksperchild, std::move(options.initializer)})) {}
  /// Internal (concur::mpi::Pool): the same verbs over another engine.
  explicit Pool(std::unique_ptr<detail::PoolEngine> engine) : core_(std::move(engine)) {}
  /// terminate(): kills and reaps the workers; unfinished tasks fail. Also closes the memfds
  /// kept for reusing big task bodies.
  ~Pool() {
    core_.reset();
    detail::Payload::drop_recycled();
  }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  /// f(args...) in a worker; waits for the result.
  template <class F, class... A>
  auto apply(F f, A... args) {
    return apply_async(f, std::move(args)...).get();
  }
  /// f(args...) in a worker, without waiting: an AsyncResult of its result. Throws
  /// std::invalid_argument on a closed pool, what serialising the arguments throws.
  template <class F, class... A>
  auto apply_async(F f, A... args) {
    using R = std::decay_t<std::invoke_result_t<F, std::decay_t<A>...>>;
    auto group = std::make_shared<detail::TaskGroup>(1);
    std::vector<detail::Task> tasks(1);
    tasks[0].message = detail::call_message(f, std::move(args)...);
    tasks[0].sink = group;
    core_->submit(std::move(tasks));
    return AsyncResult<R>(group, [](const detail::TaskGroup& g) -> R {
      if constexpr (!std::is_void_v<R>) {
        const auto& o = g.outcome(0);
        return detail::read_result<R>(o.body, o.fds, o.count);
      }
    });
  }

  /// f(item) for every item, sent in chunks of `chunksize` (0: ceil(n / (4 × processes))):
  /// an AsyncResult of the std::vector of results, in input order. Items are serialised now,
  /// in this thread. Throws std::invalid_argument on a closed pool.
  template <class F, class Range>
  auto map_async(F f, Range&& items, std::size_t chunksize = 0) {
    return submit_chunks<false>(f, items, chunksize);
  }
  /// map_async(...).get(): waits and returns the results in input order; rethrows the first
  /// failed task's error.
  template <class F, class Range>
  auto map(F f, Range&& items, std::size_t chunksize = 0) {
    return map_async(f, std::forward<Range>(items), chunksize).get();
  }
  /// map_async() for a range of tuples: each task calls std::apply(f, tuple).
  template <class F, class Range>
  auto starmap_async(F f, Range&& tuples, std::size_t chunksize = 0) {
    return submit_chunks<true>(f, tuples, chunksize);
  }
  /// starmap_async(...).get(): waits and returns the results in input order.
  template <class F, class Range>
  auto starmap(F f, Range&& tuples, std::size_t chunksize = 0) {
    return starmap_async(f, std::forward<Range>(tuples), chunksize).get();
  }
  /// Lazy map() (Python's imap): an IMapIterator yielding f(item) in input order, as results
  /// arrive; items are sent `chunksize` at a time. Throws as map_async() for bad arguments.
  template <class F, class Range>
  auto imap(F f, Range&& items, std::size_t chunksize = 1) {
    return lazy(f, std::forward<Range>(items), chunksize, true);
  }
  /// imap() yielding results in completion order.
  template <class F, class Range>
  auto imap_unordered(F f, Range&& items, std::size_t chunksize = 1) {
    return lazy(f, std::forward<Range>(items), chunksize, false);
  }

  /// No more tasks; the workers exit once the queued ones are done.
  void close() { core_->close(); }
  /// Kills the workers now (SIGKILL) and reaps them; unfinished tasks fail with ProcessError.
  void terminate() { core_->terminate(); }
  /// Waits for the workers to exit. Throws std::invalid_argument before close()/terminate().
  void join() { core_->join(); }

  /// Extra: the number of workers, and the pids of the current workers.
  unsigned processes() const { return core_->processes(); }
  /// The pids of the current workers (a snapshot; replaced workers have new ones).
  std::vector<pid_t> pids() const { return core_->pids(); }
  /// Internal (futures::ProcessPoolExecutor submits single calls through it): the engine.
  detail::PoolEngine& core() noexcept { return *core_; }

 private:
  template <bool Star, class F, class Range>
  auto submit_chunks(F f, Range& items, std::size_t chunksize) {
    using Item = std::ranges::range_value_t<Range>;
    using R = typename detail::item_result<F, Item, Star>::type;
    if constexpr (!std::ranges::sized_range<Range>) {
      std::vector<Item> copy(std::ranges::begin(items), std::ranges::end(items));
      return submit_chunks<Star>(f, copy, chunksize);
    } else {
      const std::size_t n = static_cast<std::size_t>(std::ranges::size(items));
      if (chunksize == 0) {
        const std::size_t div = 4 * static_cast<std::size_t>(core_->processes());
        chunksize = std::max<std::size_t>(1, (n + div - 1) / div);
      }
      const std::size_t chunks = (n + chunksize - 1) / chunksize;
      auto group = std::make_shared<detail::TaskGroup>(chunks);
      std::vector<detail::Task> tasks;
      tasks.reserve(chunks);
      auto it = std::ranges::begin(items);
      const auto trampoline =
          reinterpret_cast<std::uintptr_t>(&detail::chunk_trampoline<F, Item, Star>);
      const auto fn = detail::fn_address(f);
      for (std::size_t c = 0; c < chunks; ++c) {
        detail::Task& t = tasks.emplace_back();
        t.sink = group;
        t.index = c;
        t.chunk = true;
        t.message.kind = detail::Kind::task;
        t.message.trampoline = trampoline;
        t.message.fn = fn;
        t.message.count = std::min(chunksize, n - c * chunksize);
        t.message.body.set_recyclable();  // the worker drops it before it replies
        {
          detail::ItemWriter<Item> w(t.message.body, t.message.fds);
          w.put_n(it, static_cast<std::size_t>(t.message.count));
          w.flush();
        }
        if (t.message.body.spilled()) {     // a big chunk goes at once: a worker decodes it
          core_->submit(std::move(tasks));  // while this thread serializes the next one
          tasks.clear();
        }
      }
      if (!tasks.empty()) core_->submit(std::move(tasks));
      return AsyncResult<std::vector<R>>(group, [n](const detail::TaskGroup& g) {
        std::vector<R> out;
        out.reserve(n);
        for (std::size_t c = 0; c < g.size(); ++c) {
          const auto& o = g.outcome(c);
          detail::ItemReader<R>(o.body.view(), o.fds, o.count).append_to(out);
        }
        if (out.size() != n)
          throw ProcessError(
              "concur::multiprocessing: a worker returned a wrong number of results");
        return out;
      });
    }
  }

  template <class F, class Range>
  auto lazy(F f, Range&& items, std::size_t chunksize, bool ordered) {
    using Item = detail::held_item_t<Range>;
    using R = typename detail::item_result<F, Item, false>::type;
    if (chunksize == 0) chunksize = 1;
    auto stream = std::make_shared<detail::TaskStream>(4 * core_->processes(), core_->waker());
    auto source = std::make_shared<detail::RangeSource<F, Item, false, Range>>(
        f, std::forward<Range>(items), chunksize, stream);
    core_->submit(std::static_pointer_cast<detail::TaskSource>(source));
    return IMapIterator<R>(
        stream, [source] { source->abandon(); }, ordered);
  }

  std::unique_ptr<detail::PoolEngine> core_;
};

}  // namespace concur::multiprocessing
