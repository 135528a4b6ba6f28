// The lecture's counter race: read, sleep, write loses updates; a Lock fixes it.
//
//   counter = 0
//   def increment():
//       global counter
//       value = counter        # read
//       time.sleep(0.001)      # something slow in between
//       counter = value + 1    # write back: another thread's update is overwritten
//
// In C++ the counter is a std::atomic read and written separately: no data race in the C++
// sense (no undefined behaviour), but the same LOGICAL race as in Python.
#include <atomic>
#include <chrono>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

#include "concur/threading.hpp"

using namespace std::chrono_literals;
using concur::threading::Lock;
using concur::threading::Thread;

static int run(bool with_lock) {
  constexpr int kThreads = 8, kPerThread = 20;
  std::atomic<int> counter{0};
  Lock lock;
  auto increment = [&] {
    for (int i = 0; i < kPerThread; ++i) {
      std::unique_lock lk(lock, std::defer_lock);
      if (with_lock) lk.lock();
      const int value = counter.load();  // read
      std::this_thread::sleep_for(100us);
      counter.store(value + 1);  // write
    }
  };
  std::vector<Thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(increment);
  for (auto& t : threads) t.start();
  for (auto& t : threads) t.join();
  const int expected = kThreads * kPerThread;
  std::cout << (with_lock ? "with a Lock:    " : "without a lock: ") << counter.load() << " of "
            << expected << " increments kept, " << expected - counter.load() << " lost\n";
  return expected - counter.load();
}

int main() {
  run(false);  // how many are lost varies from run to run
  const int lost_with_lock = run(true);
  return lost_with_lock == 0 ? 0 : 1;  // the lock makes read-sleep-write atomic
}
