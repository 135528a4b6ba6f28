// Scenarios lock_uncontended, lock_contended, barrier_cycles and condition_pingpong: concur's
// futex Lock, Barrier and Condition beside std::mutex, std::barrier, std::condition_variable and
// Python's threading module, all in the same run.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <barrier>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "concur/detail/core/fd.hpp"
#include "concur/threading.hpp"
#include "harness/harness.hpp"

namespace {

using concur::bench::time_it;

int scaled(int n) { return concur::bench::quick() ? n / 10 : n; }

// --- lock_uncontended: 10^7 acquire/release on one thread -------------------------------------

template <class M>
double uncontended() {
  M m;
  const int n = scaled(10'000'000);
  volatile long counter = 0;
  const double s = time_it([&] {
    for (int i = 0; i < n; ++i) {
      m.lock();
      counter = counter + 1;
      m.unlock();
    }
  });
  if (counter != n) throw std::runtime_error("lost increments");
  return s;
}

// --- lock_contended: 2 threads x 10^6 increments under the lock --------------------------------

template <class M>
double contended() {
  M m;
  const int n = scaled(1'000'000);
  long counter = 0;
  const double s = time_it([&] {
    auto work = [&] {
      for (int i = 0; i < n; ++i) {
        std::scoped_lock g(m);
        ++counter;
      }
    };
    std::thread other(work);
    work();
    other.join();
  });
  if (counter != 2L * n) throw std::runtime_error("lost increments");
  return s;
}

// --- barrier_cycles: 2 threads x 10^5 cycles ---------------------------------------------------

double concur_barrier() {
  const int n = scaled(100'000);
  concur::threading::Barrier b(2);
  long zeros = 0;
  const double s = time_it([&] {
    std::thread other([&] {
      for (int i = 0; i < n; ++i) b.wait();
    });
    for (int i = 0; i < n; ++i) zeros += b.wait() == 0;
    other.join();
  });
  (void)zeros;
  return s;
}

double std_barrier_in_this_process() {
  const int n = scaled(100'000);
  std::barrier<> b(2);
  return time_it([&] {
    std::thread other([&] {
      for (int i = 0; i < n; ++i) b.arrive_and_wait();
    });
    for (int i = 0; i < n; ++i) b.arrive_and_wait();
    other.join();
  });
}

// std::barrier waits with std::atomic::wait, which GCC bug 106772 can leave asleep forever: run it
// in a child with a deadline, so a hang becomes a skipped row instead of a stuck benchmark.
double std_barrier() {
  auto [r, w] = concur::detail::make_pipe();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    double s = -1;
    try {
      s = std_barrier_in_this_process();
    } catch (...) {
    }
    (void)!::write(w.get(), &s, sizeof s);
    ::_exit(0);
  }
  w.reset();
  double s = -1;
  const bool ready = concur::detail::wait_readable(r.get(), 60'000);
  if (!ready) ::kill(pid, SIGKILL);
  const bool got = ready && ::read(r.get(), &s, sizeof s) == static_cast<ssize_t>(sizeof s);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!got || s < 0) throw concur::bench::Skip("std::barrier hung (GCC bug 106772) or failed");
  return s;
}

// --- condition_pingpong: 10^5 round trips between 2 threads -----------------------------------

template <class Cond, class Lockable>
double pingpong(Cond& cv, Lockable& m) {
  const int n = scaled(100'000);
  int turn = 0;
  return time_it([&] {
    std::thread pong([&] {
      for (int i = 0; i < n; ++i) {
        std::unique_lock g(m);
        cv.wait(g, [&] { return turn == 1; });
        turn = 0;
        cv.notify_one();
      }
    });
    for (int i = 0; i < n; ++i) {
      std::unique_lock g(m);
      turn = 1;
      cv.notify_one();
      cv.wait(g, [&] { return turn == 0; });
    }
    pong.join();
  });
}

// concur's Condition is its own lock: Python's shape (with cond: cond.wait_for(...)).
double concur_pingpong(concur::threading::Condition& cv) {
  const int n = scaled(100'000);
  int turn = 0;
  return time_it([&] {
    std::thread pong([&] {
      for (int i = 0; i < n; ++i) {
        std::scoped_lock g(cv);
        cv.wait_for([&] { return turn == 1; });
        turn = 0;
        cv.notify();
      }
    });
    for (int i = 0; i < n; ++i) {
      std::scoped_lock g(cv);
      turn = 1;
      cv.notify();
      cv.wait_for([&] { return turn == 0; });
    }
    pong.join();
  });
}

double concur_condition() {
  concur::threading::Lock lock;
  concur::threading::Condition cv(lock);
  return concur_pingpong(cv);
}

double concur_condition_rlock() {
  concur::threading::Condition cv;  // Python's default: its own RLock
  return concur_pingpong(cv);
}

double std_condvar() {
  std::mutex m;
  std::condition_variable cv;
  return pingpong(cv, m);
}

std::string arg(int n) { return std::to_string(scaled(n)); }

concur::bench::Register reg_uncontended{[] {
  using namespace concur::bench;
  return Scenario{.id = "lock_uncontended",
                  .description = "10^7 acquire/release, one thread",
                  .reference = "concur_lock",
                  .impls = {{"concur_lock", uncontended<concur::threading::Lock>},
                            {"std_mutex", uncontended<std::mutex>}}};
}};

concur::bench::Register reg_contended{[] {
  using namespace concur::bench;
  return Scenario{
      .id = "lock_contended",
      .description = "2 threads x 10^6 increments under the lock",
      .reference = "concur_lock",
      .impls = {{"concur_lock", contended<concur::threading::Lock>},
                {"std_mutex", contended<std::mutex>},
                {"python_lock", [] { return run_python("lock_contended.py", {arg(1'000'000)}); }}},
      .repetitions = 3};
}};

concur::bench::Register reg_barrier{[] {
  using namespace concur::bench;
  return Scenario{
      .id = "barrier_cycles",
      .description = "2 threads x 10^5 barrier cycles",
      .reference = "concur_barrier",
      .impls = {{"concur_barrier", concur_barrier},
                {"std_barrier", std_barrier},
                {"python_barrier", [] { return run_python("barrier_cycles.py", {arg(100'000)}); }}},
      .repetitions = 3};
}};

concur::bench::Register reg_condition{[] {
  using namespace concur::bench;
  return Scenario{.id = "condition_pingpong",
                  .description = "10^5 round trips between 2 threads through one Condition",
                  .reference = "concur_condition",
                  .impls = {{"concur_condition", concur_condition},
                            {"concur_condition_rlock", concur_condition_rlock},
                            {"std_condvar", std_condvar},
                            {"python_condition",
                             [] { return run_python("condition_pingpong.py", {arg(100'000)}); }}},
                  .repetitions = 3};
}};

}  // namespace
