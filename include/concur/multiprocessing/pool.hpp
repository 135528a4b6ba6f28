// concur/multiprocessing/pool.hpp — a pool of worker processes (Python's multiprocessing.Pool).
//
//   concur::multiprocessing::Pool pool(2);
//   std::vector<int> doubled = pool.map(+[](int x) { return x * 2; }, std::vector{1, 2, 3});
//   auto r = pool.apply_async(+[](std::string s) { return s.size(); }, std::string("hi"));
//   std::size_t n = r.get();
//
// F is a function pointer or a capture-less lambda; arguments and results travel serialized
// with cereal (SharedArray / SharedMemory travel as handles). A task that throws fails with
// RemoteError; a worker that dies (signal, _exit, OOM kill) fails only the task it ran with
// WorkerCrashed and is replaced — the pool never hangs. Workers die with this process.
// Chunks: map/starmap/map_async default to ceil(n / (4 × processes)) items per task, imap and
// imap_unordered to 1. With maxtasksperchild, every item is its own task, so a worker is
// replaced after exactly that many items.
// The items of every verb are serialized eagerly, in the calling thread, when it is called.
// Throws: std::invalid_argument on a closed pool; std::system_error if workers cannot start.
//
// Thread safety: every member except the destructor may be called from any thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <memory>
#include <ranges>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "concur/multiprocessing/async_result.hpp"
#include "concur/multiprocessing/imap.hpp"
#include "concur/multiprocessing/pool_core.hpp"
#include "concur/multiprocessing/trampolines.hpp"

namespace concur::multiprocessing {

struct PoolOptions {
  /// fork (default: the one set by set_start_method()) or forkserver.
  StartMethod start_method = StartMethod::fork;
  /// Replace a worker after this many tasks (items); 0: never.
  unsigned maxtasksperchild = 0;
};

class Pool {
 public:
  /// Starts `processes` workers (0: cpu_count()).
  explicit Pool(unsigned processes = 0, PoolOptions options = {})
      : core_(std::make_unique<detail::PoolCore>(
            processes,
            options.start_method == StartMethod::fork ? get_start_method() : options.start_method,
            options.maxtasksperchild)) {}
  ~Pool() = default;  // terminate(): kills and reaps the workers; unfinished tasks fail
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  template <class F, class Range>
  auto map_async(F f, Range&& items, std::size_t chunksize = 0) {
    using Item = std::ranges::range_value_t<Range>;
    using R = typename detail::item_result<F, Item, false>::type;
    auto group = submit_chunks<F, Item, false>(f, items, chunksize, true);
    return AsyncResult<std::vector<R>>(group, &decode_all<R>);
  }
  template <class F, class Range>
  auto map(F f, Range&& items, std::size_t chunksize = 0) {
    return map_async(f, std::forward<Range>(items), chunksize).get();
  }
  template <class F, class Range>
  auto starmap(F f, Range&& tuples, std::size_t chunksize = 0) {
    using Item = std::ranges::range_value_t<Range>;
    using R = typename detail::item_result<F, Item, true>::type;
    auto group = submit_chunks<F, Item, true>(f, tuples, chunksize, true);
    return AsyncResult<std::vector<R>>(group, &decode_all<R>).get();
  }
  template <class F, class Range>
  auto imap(F f, Range&& items, std::size_t chunksize = 1) {
    using Item = std::ranges::range_value_t<Range>;
    using R = typename detail::item_result<F, Item, false>::type;
    return IMapIterator<R>(submit_chunks<F, Item, false>(f, items, chunksize, false), true);
  }
  template <class F, class Range>
  auto imap_unordered(F f, Range&& items, std::size_t chunksize = 1) {
    using Item = std::ranges::range_value_t<Range>;
    using R = typename detail::item_result<F, Item, false>::type;
    return IMapIterator<R>(submit_chunks<F, Item, false>(f, items, chunksize, false), false);
  }
  template <class F, class... A>
  auto apply_async(F f, A... args) {
    using Tuple = std::tuple<std::decay_t<A>...>;
    using R = std::decay_t<std::invoke_result_t<F, std::decay_t<A>...>>;
    auto group = std::make_shared<detail::TaskGroup>(1);
    std::vector<detail::Task> tasks(1);
    detail::Task& t = tasks[0];
    t.group = group;
    t.trampoline = reinterpret_cast<std::uintptr_t>(&detail::apply_trampoline<F, Tuple>);
    t.fn = detail::fn_address(f);
    detail::write_values(t.body, t.fds, Tuple(std::move(args)...));
    core_->submit(std::move(tasks));
    return AsyncResult<R>(group, [](const detail::TaskGroup& g) -> R {
      if constexpr (!std::is_void_v<R>) {
        const auto& o = g.outcome(0);
        detail::Reader reader(o.body, o.fds);
        return reader.read<R>();
      }
    });
  }

  /// No more tasks; the workers exit once the queued ones are done.
  void close() { core_->close(); }
  /// Kills the workers now (SIGKILL) and reaps them; unfinished tasks fail with ProcessError.
  void terminate() { core_->terminate(); }
  /// Waits for the workers to exit. Throws std::invalid_argument before close()/terminate().
  void join() { core_->join(); }

  /// Extra: the number of workers, and the pids of the current workers.
  unsigned processes() const { return core_->processes(); }
  std::vector<pid_t> pids() const { return core_->pids(); }

 private:
  template <class R>
  static std::vector<R> decode_all(const detail::TaskGroup& g) {
    std::vector<R> out;
    for (std::size_t c = 0; c < g.size(); ++c) {
      const auto& o = g.outcome(c);
      if constexpr (std::is_arithmetic_v<R>) {  // raw native bytes, as cereal writes them
        std::uint64_t n = 0;
        std::memcpy(&n, o.body.data(), sizeof n);
        const std::size_t at = out.size();
        out.resize(at + n);
        std::memcpy(out.data() + at, o.body.data() + sizeof n, n * sizeof(R));
      } else {
        detail::Reader reader(o.body, o.fds);
        const auto n = reader.read<std::uint64_t>();
        for (std::uint64_t i = 0; i < n; ++i) out.push_back(reader.read<R>());
      }
    }
    return out;
  }

  template <class F, class Item, bool Star, class Range>
  std::shared_ptr<detail::TaskGroup> submit_chunks(F f, Range& items, std::size_t chunksize,
                                                   bool default_by_size) {
    if constexpr (!std::ranges::sized_range<Range>) {
      std::vector<Item> copy(std::ranges::begin(items), std::ranges::end(items));
      return submit_chunks<F, Item, Star>(f, copy, chunksize, default_by_size);
    } else {
      const std::size_t n = static_cast<std::size_t>(std::ranges::size(items));
      if (chunksize == 0) {
        const std::size_t div = 4 * static_cast<std::size_t>(core_->processes());
        chunksize = default_by_size ? std::max<std::size_t>(1, (n + div - 1) / div) : 1;
      }
      if (core_->maxtasksperchild() > 0) chunksize = 1;
      const std::size_t chunks = (n + chunksize - 1) / chunksize;
      auto group = std::make_shared<detail::TaskGroup>(chunks);
      std::vector<detail::Task> tasks(chunks);
      auto it = std::ranges::begin(items);
      const auto trampoline =
          reinterpret_cast<std::uintptr_t>(&detail::chunk_trampoline<F, Item, Star>);
      const auto fn = detail::fn_address(f);
      for (std::size_t c = 0; c < chunks; ++c) {
        detail::Task& t = tasks[c];
        t.group = group;
        t.index = c;
        t.trampoline = trampoline;
        t.fn = fn;
        const std::size_t count = std::min(chunksize, n - c * chunksize);
        t.items = count;
        detail::begin_chunk(t.body);
        if constexpr (std::is_arithmetic_v<Item> && std::ranges::contiguous_range<Range>) {
          const Item* p = std::to_address(it);
          t.body.append(reinterpret_cast<const char*>(p), count * sizeof(Item));
          it += static_cast<std::ptrdiff_t>(count);
        } else {
          detail::SinkScope scope(t.fds);
          detail::StringSink buf(t.body);
          std::ostream os(&buf);
          cereal::BinaryOutputArchive ar(os);
          for (std::size_t i = 0; i < count; ++i, ++it) ar(static_cast<const Item&>(*it));
        }
        detail::end_chunk(t.body, count);
      }
      core_->submit(std::move(tasks));
      return group;
    }
  }

  std::unique_ptr<detail::PoolCore> core_;
};

}  // namespace concur::multiprocessing
