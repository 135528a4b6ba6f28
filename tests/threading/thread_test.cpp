// concur::threading: Thread, Event, Timer.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <stdexcept>
#include <string>

#include "concur/threading.hpp"

using namespace std::chrono_literals;
using namespace concur::threading;

TEST(Thread, DoesNotRunBeforeStart) {
  std::atomic<bool> ran{false};
  Thread t([&] { ran = true; });
  EXPECT_FALSE(t.is_alive());
  EXPECT_FALSE(ran.load());
  t.start();
  t.join();
  EXPECT_TRUE(ran.load());
  EXPECT_FALSE(t.is_alive());
}

TEST(Thread, PassesArgumentsByValue) {
  int out = 0;
  Thread t([&out](int a, std::string b) { out = a + static_cast<int>(b.size()); }, 40,
           std::string("hi"));
  t.start();
  t.join();
  EXPECT_EQ(out, 42);
}

TEST(Thread, StartTwiceIsLogicError) {
  Thread t([] {});
  t.start();
  EXPECT_THROW(t.start(), std::logic_error);
  t.join();
}

TEST(Thread, JoinBeforeStartIsLogicError) {
  Thread t([] {});
  EXPECT_THROW(t.join(), std::logic_error);
}

TEST(Thread, JoinFromItselfIsLogicError) {
  Thread* self = nullptr;
  bool threw = false;
  Event ready;  // concur's own (std::latch waits on atomic::wait: GCC bug 106772)
  Thread t([&] {
    ready.wait();
    try {
      self->join();
    } catch (const std::logic_error&) {
      threw = true;
    }
  });
  self = &t;
  t.start();
  ready.set();
  t.join();
  EXPECT_TRUE(threw);
}

TEST(Thread, JoinRethrowsTargetException) {
  Thread t([] { throw std::runtime_error("boom"); });
  t.start();
  try {
    t.join();
    FAIL() << "join() did not rethrow";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "boom");
  }
  EXPECT_THROW(t.join(), std::runtime_error);  // every join reports it
}

TEST(Thread, JoinForTimesOutWhileRunning) {
  Event release;
  Thread t([&] { release.wait(); });
  t.start();
  EXPECT_FALSE(t.join_for(10ms));
  EXPECT_TRUE(t.is_alive());
  release.set();
  EXPECT_TRUE(t.join_for(10s));
  EXPECT_FALSE(t.is_alive());
}

TEST(Thread, JoinForRethrows) {
  Thread t([] { throw std::invalid_argument("bad"); });
  t.start();
  EXPECT_THROW(t.join_for(10s), std::invalid_argument);
}

TEST(Thread, DefaultNamesAreDistinct) {
  Thread a([] {}), b([] {});
  EXPECT_EQ(a.name().rfind("Thread-", 0), 0u);
  EXPECT_NE(a.name(), b.name());
}

static std::string os_thread_name(long tid) {
  std::ifstream f("/proc/self/task/" + std::to_string(tid) + "/comm");
  std::string s;
  std::getline(f, s);
  return s;
}

TEST(Thread, NameIsVisibleToTheOsAndTruncatedTo15Bytes) {
  Event named, release;
  Thread t([&] {
    named.wait();
    release.wait();
  });
  t.set_name("greeter");
  t.start();
  // native_id is set by the thread's prologue, which also applies the name.
  while (!t.native_id()) std::this_thread::yield();
  EXPECT_EQ(os_thread_name(*t.native_id()), "greeter");
  t.set_name("a-very-long-thread-name");
  EXPECT_EQ(t.name(), "a-very-long-thread-name");
  EXPECT_EQ(os_thread_name(*t.native_id()), "a-very-long-thr");
  named.set();
  release.set();
  t.join();
}

TEST(Thread, ActiveCountIncludesRunningThreads) {
  Event release;
  const unsigned before = active_count();
  Thread t([&] { release.wait(); });
  t.start();
  EXPECT_EQ(active_count(), before + 1);
  release.set();
  t.join();
  EXPECT_EQ(active_count(), before);
}

TEST(Thread, DestructorWaitsForTheThread) {
  std::atomic<bool> finished{false};
  Event go;
  {
    Thread t([&] {
      go.wait();
      finished = true;
    });
    t.start();
    go.set();
  }
  EXPECT_TRUE(finished.load());
}

TEST(Event, SetWakesWaiters) {
  Event e;
  EXPECT_FALSE(e.is_set());
  Thread t([&] { e.set(); });
  t.start();
  EXPECT_TRUE(e.wait());
  t.join();
  EXPECT_TRUE(e.is_set());
  e.clear();
  EXPECT_FALSE(e.is_set());
}

TEST(Event, WaitTimesOutFalse) {
  Event e;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(e.wait(20ms));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 20ms);
}

TEST(Timer, FiresAfterInterval) {
  Event fired;
  const auto t0 = std::chrono::steady_clock::now();
  Timer timer(20ms, [&] { fired.set(); });
  timer.start();
  EXPECT_TRUE(fired.wait(10s));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 20ms);
  timer.join();
}

TEST(Timer, CancelBeforeItFiresPreventsIt) {
  std::atomic<bool> fired{false};
  Timer timer(30s, [&] { fired = true; });
  timer.start();
  const auto t0 = std::chrono::steady_clock::now();
  timer.cancel();
  timer.join();  // returns at once: the waiting thread wakes on cancel, it does not poll
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_FALSE(fired.load());
}

TEST(Timer, StartTwiceIsLogicError) {
  Timer timer(0s, [] {});
  timer.start();
  EXPECT_THROW(timer.start(), std::logic_error);
  timer.join();
}

TEST(Timer, JoinRethrowsFunctionException) {
  Timer timer(0s, [] { throw std::runtime_error("late"); });
  timer.start();
  EXPECT_THROW(timer.join(), std::runtime_error);
}
