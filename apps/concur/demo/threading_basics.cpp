// The threading part of the lecture, first half: greeter threads, the read-sleep-write counter
// race and its Lock, and I/O-bound "requests" serial vs on a thread pool.
#include <fmt/format.h>
#include <concur/futures.hpp>
#include <concur/subprocess.hpp>
#include <concur/threading.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sections.hpp"

namespace concur::cli::demo {

namespace th = concur::threading;
using namespace std::chrono_literals;

namespace {

void greeters(Context& ctx) {
  ctx.report.experiment(
      "greeter threads",
      "Thread(target, args...) starts on start(), runs beside main, join() waits");
  ctx.report.code(
      "th::Thread t([&](int i) { greet(i); }, i);   // nothing runs yet, as in Python\n"
      "t.set_name(\"greeter-1\"); t.start(); ... t.join();");
  th::Lock lock;
  std::vector<std::string> greetings;
  std::vector<th::Thread> threads;
  for (int i = 1; i <= 3; ++i) {
    threads.emplace_back(
        [&](int index, std::string name) {
          const std::scoped_lock guard(lock);
          greetings.push_back(fmt::format("Hello from {} (greeter number {})", name, index));
        },
        i, fmt::format("greeter-{}", i));
    threads.back().set_name(fmt::format("greeter-{}", i));
  }
  for (auto& t : threads) t.start();
  for (auto& t : threads) t.join();
  std::string text;
  for (const auto& g : greetings) text += (text.empty() ? "" : "\n") + g;
  ctx.report.result(text + "\n(in the order the threads got there; names show in ps -L / top -H)");
}

// Ten threads each read the counter, sleep a moment, and write back what they read plus one.
// Every access is atomic, so there is no C++ data race: the race is in the logic.
int race(bool with_lock) {
  std::atomic<int> counter{0};
  th::Lock lock;
  auto increment = [&] {
    std::unique_lock guard(lock, std::defer_lock);
    if (with_lock) guard.lock();
    const int seen = counter.load();
    std::this_thread::sleep_for(1ms);  // the lecture's time.sleep: let the others read too
    counter.store(seen + 1);
  };
  std::vector<th::Thread> threads;
  for (int i = 0; i < 10; ++i) threads.emplace_back(increment);
  for (auto& t : threads) t.start();
  for (auto& t : threads) t.join();
  return counter.load();
}

void counter_race(Context& ctx) {
  ctx.report.experiment(
      "the counter race: read, sleep, write",
      "10 threads each add 1 to a shared counter: without a Lock updates are lost");
  ctx.report.code(
      "int seen = counter.load(); sleep_for(1ms); counter.store(seen + 1);   // atomic, yet racy");
  const int lost = race(false);
  ctx.report.result(
      fmt::format("without a Lock: counter = {} (expected 10: {} updates lost)", lost, 10 - lost));
  ctx.report.code("std::scoped_lock guard(lock);   // th::Lock, Python's threading.Lock");
  const int kept = race(true);
  ctx.report.result(fmt::format("with a Lock:    counter = {}", kept));
  ctx.report.lesson(
      "atomics stop data races, not logic races: a read-modify-write needs one Lock around it");
}

void io_bound(Context& ctx) {
  const int requests = 6;
  const std::string delay = fmt::format("{}", ctx.sizes.request_seconds);
  ctx.report.experiment(
      fmt::format("{} slow \"requests\" (a child that sleeps {} s), serial vs threads", requests,
                  delay),
      "waiting is not computing: threads overlap the waits, in Python as in C++");
  auto request = [&](int i) {
    concur::subprocess::run({"sleep", delay}, {.check = true});
    return i;
  };
  std::vector<int> ids;
  for (int i = 0; i < requests; ++i) ids.push_back(i);

  ctx.report.code("for (int i : ids) request(i);");
  const double serial = seconds_of([&] {
    for (const int i : ids) request(i);
  });
  ctx.report.timed(
      {.id = "io_serial",
       .title = fmt::format("{} requests, one after another", requests),
       .cpp_seconds = serial,
       .cpp_result = fmt::format("{} answers", requests),
       .python = ctx.twin("io_requests", {std::to_string(requests), delay, "serial"})});

  ctx.report.code(
      "concur::futures::ThreadPoolExecutor pool(6);\n"
      "auto answers = pool.map(request, ids);   // ordered, like executor.map");
  std::size_t answered = 0;
  const double threaded = seconds_of([&] {
    concur::futures::ThreadPoolExecutor pool(requests);
    answered = pool.map(request, ids).size();
  });
  ctx.report.timed(
      {.id = "io_threaded",
       .title = fmt::format("{} requests on a thread pool", requests),
       .cpp_seconds = threaded,
       .cpp_result = fmt::format("{} answers", answered),
       .python = ctx.twin("io_requests", {std::to_string(requests), delay, "threaded"})});
  ctx.report.lesson(fmt::format(
      "threads: {:.1f}x faster than serial; both languages wait about as long (I/O-bound)",
      serial / threaded));
}

}  // namespace

void threading_section(Context& ctx) {
  ctx.attempt("greeter threads", greeters);
  ctx.attempt("counter race", counter_race);
  threading_parallel(ctx);
  ctx.attempt("I/O-bound requests", io_bound);
}

}  // namespace concur::cli::demo
