// The multiprocessing part of the lecture: processes do not share memory, Pool.map, the sum of
// 10^7 ones sent to workers vs sum_n (only a count) vs a SharedArray (no copy), and a worker
// that crashes mid-task while the pool goes on.
#include <fmt/format.h>
#include <concur/multiprocessing.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/kernels.hpp"
#include "sections.hpp"

namespace concur::cli::demo {

namespace mp = concur::multiprocessing;
using concur::kernels::Slice;
using concur::kernels::slice_of;
using concur::kernels::sum_range;
using namespace std::chrono_literals;

namespace {

// Task functions are plain functions: code both sides of the fork share.
std::vector<int> accumulator;  // the lecture's global list

int fill_accumulator(int count) {
  for (int i = 0; i < count; ++i) accumulator.push_back(i * i);
  return static_cast<int>(accumulator.size());
}

void child_fills(mp::Connection conn, int count) { conn.send(fill_accumulator(count)); }

std::int64_t double_it(std::int64_t x) { return x * 2; }

std::int64_t sum_part(const std::vector<std::int64_t>& part) {
  return sum_range(part.data(), part.data() + part.size());
}

std::int64_t sum_n(std::int64_t count) {
  const std::vector<std::int64_t> ones(static_cast<std::size_t>(count), 1);
  return sum_range(ones.data(), ones.data() + ones.size());
}

std::int64_t sum_shared(mp::SharedArray<std::int64_t> ones, std::size_t begin, std::size_t end) {
  return sum_range(ones.data() + begin, ones.data() + end);
}

int crash_on_three(int x) {
  if (x == 3) std::raise(SIGKILL);  // as the OOM killer would
  return x * 10;
}

void no_shared_memory(Context& ctx) {
  ctx.report.experiment("processes do not share memory",
                        "a child appends to a global list: the parent's list stays empty");
  ctx.report.code(
      "mp::Process p(child_fills, conn, 5);   // appends 5 squares to `accumulator`\n"
      "p.start(); p.join();");
  auto [parent_end, child_end] = mp::Pipe();
  mp::Process p(child_fills, child_end, 5);
  p.start();
  const int child_saw = parent_end.recv<int>();
  p.join();
  ctx.report.result(
      fmt::format("in the child:  accumulator has {} items (it told us through a Pipe)\n"
                  "in the parent: accumulator has {} items; child exitcode {}",
                  child_saw, accumulator.size(), p.exitcode().value_or(-1)));
  ctx.report.lesson(
      "a process gets a copy of memory: results come back by message or shared memory");
}

void pool_map(Context& ctx) {
  const std::size_t n = ctx.sizes.map_items;
  ctx.report.experiment(
      fmt::format("Pool(2).map(x * 2) over {} ints, pool start-up included", n),
      "a function and its items go to worker processes; results come back in order");
  ctx.report.code("mp::Pool pool(2);\nauto doubled = pool.map(double_it, items);");
  std::vector<std::int64_t> items(n);
  for (std::size_t i = 0; i < n; ++i) items[i] = static_cast<std::int64_t>(i);
  std::int64_t total = 0;
  const double cpp = seconds_of([&] {
    mp::Pool pool(2);
    const auto doubled = pool.map(double_it, items);
    for (const auto d : doubled) total += d;
  });
  ctx.report.timed({.id = "pool_map",
                    .title = fmt::format("Pool(2).map(x * 2), {} items", n),
                    .cpp_seconds = cpp,
                    .cpp_result = std::to_string(total),
                    .python = ctx.twin("pool_map", {std::to_string(n)})});
}

void pool_sums(Context& ctx) {
  const std::size_t n = ctx.sizes.ones;
  const std::size_t workers = 2;
  ctx.report.experiment(
      fmt::format("the sum of {} ones on 2 worker processes, three ways", n),
      "what crosses the process boundary is what costs: the data, a count, or a handle");
  mp::Pool pool(workers);
  pool.map(double_it, std::vector<std::int64_t>{1, 2});  // warm: workers up before the clock
  const auto args = std::vector<std::string>{std::to_string(n), std::to_string(workers)};

  ctx.report.code("pool.map(sum_part, parts);   // each part written once into a memfd");
  const std::vector<std::int64_t> ones(n, 1);
  std::vector<std::vector<std::int64_t>> parts;
  for (std::size_t i = 0; i < workers; ++i) {
    const Slice s = slice_of(n, workers, i);
    parts.emplace_back(ones.begin() + static_cast<std::ptrdiff_t>(s.begin),
                       ones.begin() + static_cast<std::ptrdiff_t>(s.end));
  }
  // Timed as bench `pool_sum_shared` (concur_copy) times it: the map alone, on a pool that has
  // sent parts of this size before (the twin does the same).
  pool.map(sum_part, parts);
  std::int64_t copied = 0;
  const double copy_s = seconds_of([&] {
    for (const auto r : pool.map(sum_part, parts)) copied += r;
  });
  ctx.report.timed({.id = "pool_sum_copy",
                    .title = "sum of ones, parts sent to 2 workers",
                    .cpp_seconds = copy_s,
                    .cpp_result = std::to_string(copied),
                    .python = ctx.twin("pool_sum_copy", args)});

  ctx.report.code(
      "pool.map(sum_n, counts);     // only a count travels; each worker makes its ones");
  std::int64_t counted = 0;
  const double count_s = seconds_of([&] {
    std::vector<std::int64_t> counts;
    for (std::size_t i = 0; i < workers; ++i) {
      const Slice s = slice_of(n, workers, i);
      counts.push_back(static_cast<std::int64_t>(s.end - s.begin));
    }
    for (const auto r : pool.map(sum_n, counts)) counted += r;
  });
  ctx.report.timed({.id = "pool_sum_n",
                    .title = "sum of ones, sum_n: only counts sent",
                    .cpp_seconds = count_s,
                    .cpp_result = std::to_string(counted),
                    .python = ctx.twin("pool_sum_n", args)});

  ctx.report.code(
      "mp::SharedArray<std::int64_t> shared(n);     // memfd pages both sides map\n"
      "pool.apply_async(sum_shared, shared, begin, end);   // sends a handle, never the data");
  mp::SharedArray<std::int64_t> shared(n);
  std::fill(shared.begin(), shared.end(), 1);
  // Warm, as the twin's workers are: each worker maps the memory once, before the clock starts.
  for (std::size_t i = 0; i < workers; ++i) {
    pool.apply_async(sum_shared, shared, std::size_t{0}, std::size_t{0}).get();
  }
  std::int64_t summed = 0;
  const double shared_s = seconds_of([&] {
    std::vector<decltype(pool.apply_async(sum_shared, shared, std::size_t{0}, std::size_t{0}))>
        parts;
    for (std::size_t i = 0; i < workers; ++i) {
      const Slice s = slice_of(n, workers, i);
      parts.push_back(pool.apply_async(sum_shared, shared, s.begin, s.end));
    }
    for (auto& part : parts) summed += part.get();
  });
  ctx.report.timed({.id = "pool_sum_shared",
                    .title = "sum of ones, SharedArray: no copy",
                    .cpp_seconds = shared_s,
                    .cpp_result = std::to_string(summed),
                    .python = ctx.twin("pool_sum_shared", args)});
  ctx.report.lesson(fmt::format(
      "sending {} of data costs {}; sending only a count or a handle to shared memory costs {} "
      "and {}: share what is big, send what is small",
      format_bytes(n * sizeof(std::int64_t)), format_seconds(copy_s), format_seconds(count_s),
      format_seconds(shared_s)));
}

void worker_crash(Context& ctx) {
  ctx.report.experiment("a worker crashes mid-task",
                        "the task it ran fails with WorkerCrashed; the worker is replaced and the "
                        "pool goes on (Python's Pool waits forever here: CPython issue gh-66587)");
  ctx.report.code("pool.apply_async(crash_on_three, x).get();   // x == 3: raise(SIGKILL)");
  mp::Pool pool(2);
  std::vector<decltype(pool.apply_async(crash_on_three, 0))> results;
  for (int x = 1; x <= 5; ++x) results.push_back(pool.apply_async(crash_on_three, x));
  std::string lines;
  for (int x = 1; x <= 5; ++x) {
    try {
      lines += fmt::format("task {}: {}\n", x, results[static_cast<std::size_t>(x - 1)].get(30s));
    } catch (const mp::WorkerCrashed& e) {
      lines += fmt::format("task {}: WorkerCrashed, exitcode {} ({})\n", x, e.exitcode, e.what());
    } catch (const std::exception& e) {
      lines += fmt::format("task {}: {}\n", x, e.what());
    }
  }
  const auto after = pool.map(double_it, std::vector<std::int64_t>{1, 2, 3});
  lines += fmt::format("afterwards: pool.map(x * 2, [1, 2, 3]) = [{}, {}, {}]", after[0], after[1],
                       after[2]);
  ctx.report.result(lines);
  ctx.report.lesson("a crash is an exception on the task that crashed, never a hang");
}

}  // namespace

void multiprocessing_section(Context& ctx) {
  ctx.attempt("processes do not share memory", no_shared_memory);
  ctx.attempt("Pool.map", pool_map);
  ctx.attempt("sums on a pool", pool_sums);
  ctx.attempt("worker crash", worker_crash);
}

}  // namespace concur::cli::demo
