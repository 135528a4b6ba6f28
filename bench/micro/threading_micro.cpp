// Micro-benchmarks of concur::threading's building blocks (Google Benchmark):
// uncontended queue put+get, Event set/is_set, submit+get on a 1-worker pool, map per item.
#include <benchmark/benchmark.h>

#include <numeric>
#include <vector>

#include "concur/futures.hpp"
#include "concur/queue.hpp"
#include "concur/threading.hpp"

static void BM_QueuePutGetUncontended(benchmark::State& state) {
  concur::queue::Queue<int> q(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    q.put(1);
    benchmark::DoNotOptimize(q.get());
  }
}
BENCHMARK(BM_QueuePutGetUncontended)->Arg(0)->Arg(1024);

static void BM_LifoQueuePutGet(benchmark::State& state) {
  concur::queue::LifoQueue<int> q;
  for (auto _ : state) {
    q.put(1);
    benchmark::DoNotOptimize(q.get());
  }
}
BENCHMARK(BM_LifoQueuePutGet);

static void BM_PriorityQueuePutGet64(benchmark::State& state) {
  concur::queue::PriorityQueue<int> q;
  for (int i = 0; i < 64; ++i) q.put(i);
  for (auto _ : state) {
    q.put(32);
    benchmark::DoNotOptimize(q.get());
  }
}
BENCHMARK(BM_PriorityQueuePutGet64);

static void BM_EventSetIsSet(benchmark::State& state) {
  concur::threading::Event e;
  for (auto _ : state) {
    e.set();
    benchmark::DoNotOptimize(e.is_set());
  }
}
BENCHMARK(BM_EventSetIsSet);

static void BM_ExecutorSubmitGet(benchmark::State& state) {
  concur::futures::ThreadPoolExecutor pool(1);
  for (auto _ : state) pool.submit([] { return 1; }).get();
}
BENCHMARK(BM_ExecutorSubmitGet);

static void BM_ExecutorMapPerItem(benchmark::State& state) {
  concur::futures::ThreadPoolExecutor pool(2);
  std::vector<int> in(static_cast<std::size_t>(state.range(0)));
  std::iota(in.begin(), in.end(), 0);
  for (auto _ : state) benchmark::DoNotOptimize(pool.map([](int x) { return x * 2; }, in));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ExecutorMapPerItem)->Arg(1000)->Arg(1'000'000);
