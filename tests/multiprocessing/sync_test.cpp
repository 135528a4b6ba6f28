// Process-shared Lock, RLock, Semaphore, BoundedSemaphore, Condition, Event and Barrier.
// Derived from CPython's Lib/test/_test_multiprocessing.py (_TestLock, _TestSemaphore,
// _TestCondition, _TestEvent, _TestBarrier) — our own code; plus robustness (a holder killed
// with SIGKILL) beyond Python. No sleeps: processes hand off through the primitives themselves.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <concur/multiprocessing.hpp>
#include <mutex>
#include <set>
#include <stdexcept>
#include <vector>

#include "support/leak_check.hpp"

namespace mp = concur::multiprocessing;
using namespace std::chrono_literals;

namespace {
class SyncTest : public concur::test::NoLeakTest {};

void start_all(std::vector<mp::Process>& ps) {
  for (auto& p : ps) p.start();
}
void join_all(std::vector<mp::Process>& ps) {
  for (auto& p : ps) {
    p.join();
    EXPECT_EQ(p.exitcode(), 0);
  }
}
}  // namespace

TEST_F(SyncTest, LockFollowsPythonsRules) {
  mp::Lock lock;
  EXPECT_FALSE(lock.locked());
  EXPECT_TRUE(lock.acquire());
  EXPECT_TRUE(lock.locked());
  EXPECT_FALSE(lock.acquire(false));
  EXPECT_FALSE(lock.try_lock());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(lock.acquire(true, 50ms));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 50ms);
  EXPECT_FALSE(lock.try_lock_for(1ms));
  EXPECT_THROW(lock.acquire(false, 1s), std::invalid_argument);
  EXPECT_THROW(lock.acquire(true, -1s), std::invalid_argument);
  lock.release();
  EXPECT_THROW(lock.release(), std::logic_error);
  {
    std::scoped_lock guard(lock);
    EXPECT_TRUE(lock.locked());
  }
  EXPECT_FALSE(lock.locked());
}

TEST_F(SyncTest, AnotherProcessMayReleaseALock) {
  mp::Lock lock;
  lock.acquire();
  mp::Process p([](mp::Lock l) { l.release(); }, lock);
  p.start();
  EXPECT_TRUE(lock.acquire(true, 10s));
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  lock.release();
}

TEST_F(SyncTest, LockGivesMutualExclusionAcrossFourProcesses) {
  mp::Lock lock;
  mp::Value<long> counter(0, false);  // unlocked get/set: only the Lock protects it
  std::vector<mp::Process> ps;
  for (int i = 0; i < 4; ++i)
    ps.emplace_back(
        [](mp::Lock l, mp::Value<long> c) {
          for (int k = 0; k < 20000; ++k) {
            std::scoped_lock guard(l);
            c.set(c.get() + 1);
          }
        },
        lock, counter);
  start_all(ps);
  join_all(ps);
  EXPECT_EQ(counter.get(), 80000);
}

TEST_F(SyncTest, LockOfAKilledHolderIsTakenOver) {
  mp::Lock lock;
  mp::Event held;
  mp::Process holder(
      [](mp::Lock l, mp::Event e) {
        l.acquire();
        e.set();
        for (;;) ::pause();  // dies holding it
      },
      lock, held);
  holder.start();
  ASSERT_TRUE(held.wait(10s));
  EXPECT_FALSE(lock.acquire(false));
  holder.kill();  // not reaped yet: a zombie still counts as dead
  EXPECT_TRUE(lock.acquire(true, 10s));
  lock.release();
  holder.join();
  EXPECT_EQ(holder.exitcode(), -SIGKILL);
}

TEST_F(SyncTest, RLockOfAKilledHolderIsTakenOver) {
  mp::RLock lock;
  mp::Event held;
  mp::Process holder(
      [](mp::RLock l, mp::Event e) {
        l.acquire();
        l.acquire();
        e.set();
        for (;;) ::pause();
      },
      lock, held);
  holder.start();
  ASSERT_TRUE(held.wait(10s));
  holder.kill();
  EXPECT_TRUE(lock.acquire(true, 10s));
  lock.release();  // one level: the dead owner's depth is not inherited
  EXPECT_THROW(lock.release(), std::logic_error);
  holder.join();
}

TEST_F(SyncTest, RLockIsReentrantAndOwned) {
  mp::RLock lock;
  EXPECT_TRUE(lock.acquire());
  EXPECT_TRUE(lock.acquire(false));
  EXPECT_TRUE(lock.try_lock());
  lock.release();
  lock.release();
  mp::Process other(
      [](mp::RLock l) {
        if (l.acquire(false)) throw std::runtime_error("acquired a lock held elsewhere");
        try {
          l.release();
        } catch (const std::logic_error&) {
          return;  // Python: RuntimeError, not owned
        }
        throw std::runtime_error("released a lock it does not own");
      },
      lock);
  other.start();
  other.join();
  EXPECT_EQ(other.exitcode(), 0);
  lock.release();
  EXPECT_THROW(lock.release(), std::logic_error);
}

TEST_F(SyncTest, ValueLockIsAnRLockAcrossProcesses) {
  mp::Value<long> counter(0);
  std::vector<mp::Process> ps;
  for (int i = 0; i < 4; ++i)
    ps.emplace_back(
        [](mp::Value<long> c) {
          for (int k = 0; k < 5000; ++k) {
            std::lock_guard guard(c.get_lock());  // get()/set() re-enter it
            c.set(c.get() + 1);
          }
        },
        counter);
  start_all(ps);
  join_all(ps);
  EXPECT_EQ(counter.get(), 20000);
}

TEST_F(SyncTest, SharedArrayHasALockAndAnInitializerList) {
  mp::SharedArray<int> a{1, 2, 3};
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[2], 3);
  std::vector<mp::Process> ps;
  for (int i = 0; i < 2; ++i)
    ps.emplace_back(
        [](mp::SharedArray<int> arr) {
          for (int k = 0; k < 10000; ++k) {
            std::scoped_lock guard(arr.get_lock());
            arr[0] = arr[0] + 1;
          }
        },
        a);
  start_all(ps);
  join_all(ps);
  EXPECT_EQ(a[0], 20001);
}

TEST_F(SyncTest, SemaphoreCountsAcrossProcesses) {
  mp::Semaphore sem(2);
  EXPECT_EQ(sem.get_value(), 2u);
  EXPECT_TRUE(sem.acquire());
  EXPECT_TRUE(sem.acquire(false));
  EXPECT_FALSE(sem.acquire(false));
  EXPECT_FALSE(sem.acquire(true, 20ms));
  EXPECT_EQ(sem.get_value(), 0u);
  mp::Process p([](mp::Semaphore s) { s.release(3); }, sem);
  p.start();
  EXPECT_TRUE(sem.acquire(true, 10s));
  p.join();
  EXPECT_EQ(sem.get_value(), 2u);
  mp::BoundedSemaphore bounded(1);
  bounded.acquire();
  bounded.release();
  EXPECT_THROW(bounded.release(), std::invalid_argument);  // Python: ValueError
  {
    std::scoped_lock slot(bounded);
    EXPECT_EQ(bounded.get_value(), 0u);
  }
}

TEST_F(SyncTest, EventWakesAnotherProcess) {
  mp::Event e;
  EXPECT_FALSE(e.is_set());
  EXPECT_FALSE(e.wait(0s));
  EXPECT_FALSE(e.wait(20ms));
  mp::Event ack;
  mp::Process p(
      [](mp::Event ev, mp::Event a) {
        if (!ev.wait(10s)) throw std::runtime_error("not set");
        a.set();
      },
      e, ack);
  p.start();
  e.set();
  EXPECT_TRUE(ack.wait(10s));
  EXPECT_TRUE(e.is_set());
  EXPECT_TRUE(e.wait());
  e.clear();
  EXPECT_FALSE(e.is_set());
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
}

TEST_F(SyncTest, ConditionNotifyWakesExactlyAsManyProcesses) {
  mp::Condition cond;
  mp::Value<int> woken(0, false);  // guarded by cond's lock
  mp::Semaphore ready(0), ack(0);
  std::vector<mp::Process> ps;
  for (int i = 0; i < 3; ++i)
    ps.emplace_back(
        [](mp::Condition c, mp::Value<int> w, mp::Semaphore r, mp::Semaphore a) {
          {
            std::unique_lock lock(c);
            r.release();  // still holding the lock: wait() is what lets the parent in
            if (!c.wait(10s)) throw std::runtime_error("not notified");
            w.set(w.get() + 1);
          }
          a.release();
        },
        cond, woken, ready, ack);
  start_all(ps);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(ready.acquire(true, 10s));
  std::unique_lock lock(cond);  // got it: all three are inside wait()
  cond.notify(1);
  lock.unlock();
  ASSERT_TRUE(ack.acquire(true, 10s));
  lock.lock();
  EXPECT_EQ(woken.get(), 1);  // exactly one: the others still wait
  cond.notify(2);
  lock.unlock();
  ASSERT_TRUE(ack.acquire(true, 10s));
  ASSERT_TRUE(ack.acquire(true, 10s));
  EXPECT_EQ(woken.get(), 3);
  join_all(ps);
  EXPECT_THROW(cond.notify(), std::logic_error);  // without the lock
  EXPECT_THROW(cond.wait(0s), std::logic_error);
}

TEST_F(SyncTest, ConditionWaitForSeesAnotherProcessesChange) {
  mp::Condition cond;
  mp::Value<int> state(0, false);
  mp::Process p(
      [](mp::Condition c, mp::Value<int> s) {
        for (int i = 1; i <= 3; ++i) {
          std::scoped_lock guard(c);
          s.set(i);
          c.notify_all();
        }
      },
      cond, state);
  p.start();
  {
    std::unique_lock lock(cond);
    EXPECT_TRUE(cond.wait_for([&] { return state.get() == 3; }, 10s));
  }
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
}

TEST_F(SyncTest, ConditionWithALockTimesOut) {
  mp::Lock l;
  mp::Condition cond(l);
  std::scoped_lock guard(cond);
  EXPECT_TRUE(l.locked());
  EXPECT_FALSE(cond.wait(20ms));
  EXPECT_FALSE(cond.wait_for([] { return false; }, 20ms));
  EXPECT_TRUE(l.locked());  // wait() gave it back
}

namespace {
mp::SharedArray<long>* g_actions = nullptr;  // inherited by the forked children
void count_action() { __atomic_fetch_add(&(*g_actions)[0], 1, __ATOMIC_SEQ_CST); }
}  // namespace

TEST_F(SyncTest, BarrierCyclesAcrossProcessesWithDistinctIndexes) {
  mp::SharedArray<long> actions(1);
  g_actions = &actions;
  constexpr int kCycles = 5;
  mp::Barrier barrier(4, &count_action);
  EXPECT_EQ(barrier.parties(), 4u);
  mp::Queue<int> indexes;
  std::vector<mp::Process> ps;
  for (int i = 0; i < 3; ++i)
    ps.emplace_back(
        [](mp::Barrier b, mp::Queue<int> out) {
          for (int c = 0; c < kCycles; ++c) out.put(static_cast<int>(b.wait(10s)));
        },
        barrier, indexes);
  start_all(ps);
  std::multiset<int> seen;
  for (int c = 0; c < kCycles; ++c) seen.insert(static_cast<int>(barrier.wait(10s)));
  join_all(ps);
  for (int k = 0; k < 3 * kCycles; ++k) seen.insert(indexes.get(true, 10s));
  for (int idx = 0; idx < 4; ++idx) EXPECT_EQ(seen.count(idx), static_cast<std::size_t>(kCycles));
  EXPECT_EQ(actions[0], kCycles);  // once per cycle
  g_actions = nullptr;
}

TEST_F(SyncTest, BarrierTimeoutBreaksItUntilReset) {
  mp::Barrier barrier(2);
  EXPECT_THROW(barrier.wait(20ms), concur::threading::BrokenBarrierError);
  EXPECT_TRUE(barrier.broken());
  mp::Process p(
      [](mp::Barrier b) {
        try {
          b.wait(10s);
        } catch (const concur::threading::BrokenBarrierError&) {
          return;
        }
        throw std::runtime_error("a broken barrier let it through");
      },
      barrier);
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  barrier.reset();
  EXPECT_FALSE(barrier.broken());
  mp::Process q([](mp::Barrier b) { b.wait(10s); }, barrier);
  q.start();
  EXPECT_LT(barrier.wait(10s), 2u);
  q.join();
  EXPECT_EQ(q.exitcode(), 0);
  barrier.abort();
  EXPECT_THROW(barrier.wait(), concur::threading::BrokenBarrierError);
}

TEST_F(SyncTest, HandlesTravelThroughAQueue) {
  mp::Queue<mp::Event> q;
  mp::Event e;
  mp::Process p([](mp::Queue<mp::Event> in) { in.get(true, 10s).set(); }, q);
  p.start();
  q.put(e);
  EXPECT_TRUE(e.wait(10s));
  p.join();
}

TEST_F(SyncTest, CopiesAndMovesOfHandlesReachTheSameWordsAndMovedFromOnesReachNone) {
  mp::Lock a;
  mp::Lock b = a;
  mp::Lock c(std::move(b));
  EXPECT_THROW(b.lock(), mp::ProcessError);  // moved from: an empty handle, not a dangling one
  c.lock();
  EXPECT_TRUE(a.locked());
  a.release();
  EXPECT_FALSE(c.locked());
  mp::Value<long> v(5, false);
  mp::Value<long> w(std::move(v));
  mp::Value<long> x = w;
  x.set(7);
  EXPECT_EQ(w.get(), 7);
  mp::Value<long> y(0, false);
  y = std::move(x);
  y.set(9);
  EXPECT_EQ(w.get(), 9);
}
