// The threading part of the lecture, second half: does a second thread make work faster?
// The sum of 10^7 ones through a Queue (memory-bound) and a compute-bound kernel, each with 1 and
// 2 threads, beside a hand-written std::thread split (the machine's limit) and CPython's threads.
#include <fmt/format.h>
#include <concur/queue.hpp>
#include <concur/threading.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "kernels/kernels.hpp"
#include "machine.hpp"
#include "sections.hpp"

namespace concur::cli::demo {

namespace th = concur::threading;

namespace {

constexpr int kRepetitions = 5;  // C++ times are the median of this many runs, interleaved

// Runs every variant kRepetitions times, interleaved, and returns each one's median seconds.
std::vector<double> medians(const std::vector<std::function<void()>>& variants) {
  std::vector<std::vector<double>> times(variants.size());
  for (int r = 0; r < kRepetitions; ++r) {
    for (std::size_t v = 0; v < variants.size(); ++v) times[v].push_back(seconds_of(variants[v]));
  }
  std::vector<double> out;
  for (auto& t : times) {
    std::sort(t.begin(), t.end());
    out.push_back(t[t.size() / 2]);
  }
  return out;
}

// The lecture's sum: each of `threads` threads sums its part and puts it into a Queue.
std::int64_t queue_sum(const std::vector<std::int64_t>& ones, std::size_t threads) {
  concur::queue::Queue<std::int64_t> partials;
  std::vector<th::Thread> workers;
  for (std::size_t i = 0; i < threads; ++i)
    workers.emplace_back(
        [&partials, &ones, threads, i] { partials.put(kernels::sum_part(ones, threads, i)); });
  for (auto& w : workers) w.start();
  for (auto& w : workers) w.join();
  std::int64_t total = 0;
  for (std::size_t i = 0; i < threads; ++i) total += partials.get();
  return total;
}

// The compute kernel on `threads` concur threads, each writing its own slot.
std::uint64_t thread_compute(std::size_t steps, std::size_t threads) {
  std::vector<std::uint64_t> results(threads);
  std::vector<th::Thread> workers;
  for (std::size_t i = 0; i < threads; ++i)
    workers.emplace_back(
        [&results, i, steps, threads] { results[i] = kernels::lcg_part(steps, threads, i); });
  for (auto& w : workers) w.start();
  for (auto& w : workers) w.join();
  std::uint64_t total = 0;
  for (const auto r : results) total += r;
  return total;
}

// Two bare std::threads and no queue, each running part(2, i): what the hardware allows.
template <class Part>
auto raw_split(Part part) {
  decltype(part(2, 0)) results[2] = {};
  std::thread first([&] { results[0] = part(2, 0); }), second([&] { results[1] = part(2, 1); });
  first.join();
  second.join();
  return results[0] + results[1];
}

// "2 threads vs 1: concur 1.97x, bare std::thread 1.98x, CPython 1.01x"
std::string speedups(const std::vector<double>& t, const std::optional<TwinResult>& py_one,
                     const std::optional<TwinResult>& py_two) {
  std::string text =
      fmt::format("speed-up of 2 threads over 1: concur {:.2f}x, bare std::thread {:.2f}x",
                  t[0] / t[1], t[0] / t[2]);
  if (py_one && py_two && py_two->seconds > 0) {
    text += fmt::format(", CPython {:.2f}x", py_one->seconds / py_two->seconds);
  }
  return text;
}

// One experiment of this section: a kernel on 1 and 2 concur threads and on 2 bare threads,
// beside its Python twin on 1 and 2 threads. Each variant returns its result as text.
struct ThreadsExperiment {
  std::string id_one, id_two, id_raw;                      // report ids of the three C++ rows
  std::string title_one, title_two, title_raw;             // and their titles
  std::string twin;                                        // the Python twin (common/python)
  std::size_t n;                                           // its first argument: the problem size
  std::function<std::string(std::size_t threads)> concur;  // on `threads` concur Threads
  std::function<std::string()> bare;                       // on 2 bare std::threads
};

// Times the three C++ variants (interleaved medians) and the twins, reports the rows and the
// speed-ups; returns the C++ times {1 thread, 2 threads, bare split}.
std::vector<double> run_experiment(Context& ctx, const ThreadsExperiment& e) {
  std::string results[3];
  const auto t = medians({[&] { results[0] = e.concur(1); }, [&] { results[1] = e.concur(2); },
                          [&] { results[2] = e.bare(); }});
  const auto twin = [&](int threads) {
    return ctx.twin(e.twin, {std::to_string(e.n), std::to_string(threads)});
  };
  const auto py_one = twin(1);
  ctx.report.timed({.id = e.id_one,
                    .title = e.title_one,
                    .cpp_seconds = t[0],
                    .cpp_result = results[0],
                    .python = py_one});
  const auto py_two = twin(2);
  ctx.report.timed({.id = e.id_two,
                    .title = e.title_two,
                    .cpp_seconds = t[1],
                    .cpp_result = results[1],
                    .python = py_two});
  ctx.report.timed(
      {.id = e.id_raw, .title = e.title_raw, .cpp_seconds = t[2], .cpp_result = results[2]});
  ctx.report.result(speedups(t, py_one, py_two));
  return t;
}

void memory_bound(Context& ctx) {
  const std::size_t n = ctx.sizes.ones;
  ctx.report.experiment(
      fmt::format("the sum of {} ones, split over N threads that report through a Queue", n),
      "memory-bound: the threads mostly wait for RAM; what a second one adds depends on the "
      "memory bandwidth");
  ctx.report.code(
      "concur::queue::Queue<std::int64_t> partials;\n"
      "th::Thread t([&] { partials.put(sum(slice)); });  ...  total += partials.get();");
  const std::vector<std::int64_t> ones(n, 1);
  const auto t = run_experiment(
      ctx, {.id_one = "sum_queue_1_thread",
            .id_two = "sum_queue_2_threads",
            .id_raw = "sum_raw_2_threads",
            .title_one = "sum of ones, 1 thread + Queue",
            .title_two = "sum of ones, 2 threads + Queue",
            .title_raw = "sum of ones, 2 bare std::threads",
            .twin = "queue_sum",
            .n = n,
            .concur = [&](std::size_t threads) { return std::to_string(queue_sum(ones, threads)); },
            .bare =
                [&] {
                  return std::to_string(raw_split([&](std::size_t parts, std::size_t i) {
                    return kernels::sum_part(ones, parts, i);
                  }));
                }});
  const double limit = t[0] / t[2];
  const std::string bytes = format_bytes(n * sizeof(std::int64_t));
  const std::string threads =
      fmt::format("concur's threads get {:.2f}x, the bare split {:.2f}x", t[0] / t[1], limit);
  const std::string busy = busy_note();
  if (n < 1'000'000) {
    ctx.report.lesson(threads + " (too little work to judge: starting threads costs as much)");
  } else if (limit < 1.3 && !busy.empty()) {
    ctx.report.lesson(fmt::format(
        "{}. {}. On an idle machine the limit of this sum is memory bandwidth: adding {} of ones "
        "streams them from RAM, and both CPUs share that path",
        threads, busy, bytes));
  } else if (limit < 1.3) {
    ctx.report.lesson(fmt::format(
        "{}: the limit is the machine, not the language. Adding {} of ones streams them from "
        "RAM, and memory bandwidth, shared by both CPUs, is spent ({})",
        threads, bytes, machine_summary()));
  } else {
    ctx.report.lesson(fmt::format(
        "{}. Summing {} is memory-bound: memory bandwidth, not the number of cores, caps it on "
        "bigger machines. CPython's GIL caps it at 1x on any machine",
        threads, bytes));
  }
}

void compute_bound(Context& ctx) {
  const std::size_t steps = ctx.sizes.compute_steps;
  ctx.report.experiment(
      fmt::format("a compute-bound kernel: {} steps of x = (x * 1103515245 + 12345) & 0x7FFFFFFF",
                  steps),
      "CPU-bound: C++ threads run truly in parallel; CPython's threads take turns under the GIL");
  const auto t = run_experiment(
      ctx, {.id_one = "compute_1_thread",
            .id_two = "compute_2_threads",
            .id_raw = "compute_raw_2_threads",
            .title_one = "compute kernel, 1 thread",
            .title_two = "compute kernel, 2 threads",
            .title_raw = "compute kernel, 2 bare std::threads",
            .twin = "compute_threads",
            .n = steps,
            .concur =
                [&](std::size_t threads) { return std::to_string(thread_compute(steps, threads)); },
            .bare =
                [&] {
                  return std::to_string(raw_split([&](std::size_t parts, std::size_t i) {
                    return kernels::lcg_part(steps, parts, i);
                  }));
                }});
  const double limit = t[0] / t[2];
  std::string lesson;
  if (steps < 1'000'000) {
    lesson = fmt::format(
        "concur's threads get {:.2f}x, bare threads {:.2f}x (too little work to judge under "
        "--quick: starting threads costs as much)",
        t[0] / t[1], limit);
  } else if (limit >= 1.6) {
    lesson = fmt::format(
        "C++ threads compute at once: {:.2f}x with 2 (bare threads: {:.2f}x). CPython's GIL lets "
        "one thread run Python code at a time, so its threads do not speed this up",
        t[0] / t[1], limit);
  } else {
    const std::string busy = busy_note();
    lesson = fmt::format(
        "concur's threads get {:.2f}x and bare threads {:.2f}x: this machine cannot run "
        "two at once right now. {}. CPython's GIL holds its threads at 1x on any machine",
        t[0] / t[1], limit,
        busy.empty() ? "Its CPUs are not two full cores (cloud vCPUs are often hyper-threads of "
                       "one core)"
                     : busy);
  }
  ctx.report.lesson(lesson);
}

}  // namespace

void threading_parallel(Context& ctx) {
  ctx.attempt("memory-bound sum", memory_bound);
  ctx.attempt("compute-bound kernel", compute_bound);
}

}  // namespace concur::cli::demo
