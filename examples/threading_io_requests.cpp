// The lecture's I/O-bound cell: six slow "requests", one after another vs one thread each.
// Offline stand-in for a network call: each request waits 0.1 s (the thread sleeps, as it would
// in recv()). Threads overlap the waiting, so six requests take ~0.1 s instead of ~0.6 s.
//
//   def fetch(i): time.sleep(0.1); return f"response {i}"
//   with ThreadPoolExecutor(6) as pool: responses = list(pool.map(fetch, range(6)))
#include <chrono>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "concur/futures.hpp"
#include "concur/threading.hpp"

using namespace std::chrono_literals;

static std::string fetch(int i) {
  std::this_thread::sleep_for(100ms);
  return "response " + std::to_string(i);
}

int main() {
  using Clock = std::chrono::steady_clock;
  auto seconds = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };

  auto t0 = Clock::now();
  std::vector<std::string> serial;
  for (int i = 0; i < 6; ++i) serial.push_back(fetch(i));
  const double t_serial = seconds(Clock::now() - t0);

  t0 = Clock::now();
  std::vector<std::string> threaded(6);
  std::vector<concur::threading::Thread> threads;
  for (int i = 0; i < 6; ++i) threads.emplace_back([&threaded, i] { threaded[i] = fetch(i); });
  for (auto& t : threads) t.start();
  for (auto& t : threads) t.join();
  const double t_threads = seconds(Clock::now() - t0);

  t0 = Clock::now();
  concur::futures::ThreadPoolExecutor pool(6);
  const auto pooled = pool.map(fetch, std::vector<int>{0, 1, 2, 3, 4, 5});
  const double t_pool = seconds(Clock::now() - t0);

  std::cout << "serial:        " << t_serial << " s\n"
            << "6 threads:     " << t_threads << " s\n"
            << "pool.map(6):   " << t_pool << " s\n"
            << "first/last: " << pooled.front() << " / " << pooled.back() << "\n";
  return serial == threaded && threaded == pooled ? 0 : 1;
}
