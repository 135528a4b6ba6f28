// Scenarios executor_tiny_tasks (10^6 empty tasks on 2 workers, submitted and each Future awaited)
// and executor_map (map(x * 2) over 10^6 ints): concur's ThreadPoolExecutor beside TBB's
// task_group, Boost.Asio's thread_pool and a hand-written 2-thread split.
#include <cstdint>
#include <future>
#include <numeric>
#include <thread>
#include <vector>

#include "concur/futures.hpp"
#include "harness/harness.hpp"

#ifdef CONCUR_HAVE_TBB
#include <tbb/task_arena.h>
#include <tbb/task_group.h>
#endif
#ifdef CONCUR_HAVE_BOOST
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#endif

namespace {

using concur::bench::time_it;

int tasks() { return concur::bench::quick() ? 100'000 : 1'000'000; }

double concur_tiny_tasks() {
  concur::futures::ThreadPoolExecutor pool(2);
  std::vector<concur::futures::Future<void>> futures;
  futures.reserve(static_cast<std::size_t>(tasks()));
  return time_it([&] {
    for (int i = 0; i < tasks(); ++i) futures.push_back(pool.submit([] {}));
    for (auto& f : futures) f.get();
  });
}

// The floor of an executor built on std::future (as concur's was until its own Future):
// libstdc++ 12's promise::set_value goes through call_once -> pthread_once, which always makes a
// futex_wake syscall. Two threads each make and fulfil half the promises; no queue, no pool.
double std_promise_floor() {
  const int n = tasks();
  std::vector<std::future<void>> futures(static_cast<std::size_t>(n));
  return time_it([&] {
    auto half = [&](int b, int e) {
      for (int i = b; i < e; ++i) {
        std::promise<void> p;
        futures[static_cast<std::size_t>(i)] = p.get_future();
        p.set_value();
      }
    };
    std::thread t(half, 0, n / 2);
    half(n / 2, n);
    t.join();
    for (auto& f : futures) f.get();
  });
}

// Each peer plain, and with what submit() gives and they do not: a std::future per task (a
// std::promise moved into each task and fulfilled there), i.e. what a user of TBB or Asio writes
// to get Python's submit() semantics.
template <bool WithFutures>
[[maybe_unused]] double tbb_tiny_tasks() {
#ifdef CONCUR_HAVE_TBB
  tbb::task_arena arena(2);
  std::vector<std::future<void>> futures;
  if constexpr (WithFutures) futures.reserve(static_cast<std::size_t>(tasks()));
  return time_it([&] {
    arena.execute([&] {
      tbb::task_group g;
      for (int i = 0; i < tasks(); ++i) {
        if constexpr (WithFutures) {
          auto p = std::make_shared<std::promise<void>>();
          futures.push_back(p->get_future());
          g.run([p] { p->set_value(); });
        } else {
          g.run([] {});
        }
      }
      g.wait();
    });
    for (auto& f : futures) f.get();
  });
#else
  throw concur::bench::Skip("TBB not linked");
#endif
}

template <bool WithFutures>
[[maybe_unused]] double asio_tiny_tasks() {
#ifdef CONCUR_HAVE_BOOST
  boost::asio::thread_pool pool(2);
  std::vector<std::future<void>> futures;
  if constexpr (WithFutures) futures.reserve(static_cast<std::size_t>(tasks()));
  return time_it([&] {
    for (int i = 0; i < tasks(); ++i) {
      if constexpr (WithFutures) {
        std::promise<void> p;
        futures.push_back(p.get_future());
        boost::asio::post(pool, [p = std::move(p)]() mutable { p.set_value(); });
      } else {
        boost::asio::post(pool, [] {});
      }
    }
    if constexpr (WithFutures) {
      for (auto& f : futures) f.get();
    } else {
      pool.wait();
    }
  });
#else
  throw concur::bench::Skip("Boost not found");
#endif
}

std::vector<int> map_input() {
  std::vector<int> v(1'000'000);
  std::iota(v.begin(), v.end(), 0);
  return v;
}

double concur_map() {
  concur::futures::ThreadPoolExecutor pool(2);
  const auto in = map_input();
  std::vector<int> out;
  const double s = time_it([&] { out = pool.map([](int x) { return x * 2; }, in); });
  concur::bench::do_not_optimize(out.data());
  return s;
}

double raw_2_threads_map() {
  const auto in = map_input();
  std::vector<int> out;
  const double s = time_it([&] {
    out.assign(in.size(), 0);
    auto half = [&](std::size_t b, std::size_t e) {
      for (std::size_t i = b; i < e; ++i) out[i] = in[i] * 2;
    };
    std::thread t0(half, 0, in.size() / 2);  // two workers, the caller waits (threading_sum.cpp)
    std::thread t1(half, in.size() / 2, in.size());
    t0.join();
    t1.join();
  });
  concur::bench::do_not_optimize(out.data());
  return s;
}

concur::bench::Register tiny{[] {
  using namespace concur::bench;
  return Scenario{.id = "executor_tiny_tasks",
                  .description = "10^6 empty tasks on 2 workers, submitted and awaited",
                  .reference = "concur_executor",
                  .impls = {{"concur_executor", concur_tiny_tasks},
                            {"std_promise_floor", std_promise_floor},
                            {"tbb_task_group", tbb_tiny_tasks<false>},
                            {"asio_thread_pool", asio_tiny_tasks<false>},
                            {"tbb_task_group_futures", tbb_tiny_tasks<true>},
                            {"asio_thread_pool_futures", asio_tiny_tasks<true>}}};
}};

concur::bench::Register map{[] {
  using namespace concur::bench;
  return Scenario{.id = "executor_map",
                  .description = "map(x * 2) over 10^6 ints on 2 workers",
                  .reference = "concur_executor",
                  .impls = {{"concur_executor", concur_map}, {"raw_2_threads", raw_2_threads_map}}};
}};

}  // namespace
