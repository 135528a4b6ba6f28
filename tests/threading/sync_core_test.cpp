// The sync cores under threading's classes (concur/detail/sync), tested directly: what the
// wrappers cannot show deterministically (Event's set+clear with sleeping waiters), and the
// process-shared use the multiprocessing classes rely on (the same structs in MAP_SHARED memory,
// all-zero bytes as the initial state, shared = true).
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <new>
#include <vector>

#include "concur/detail/sync/barrier_core.hpp"
#include "concur/detail/sync/condition_core.hpp"
#include "concur/detail/sync/event_core.hpp"
#include "concur/detail/sync/lock_core.hpp"
#include "concur/detail/sync/semaphore_core.hpp"
#include "concur/threading.hpp"

using namespace std::chrono_literals;
using concur::detail::Deadline;
namespace cs = concur::detail::sync;

namespace {

// A zero-filled MAP_SHARED mapping, unmapped at scope exit.
struct SharedPage {
  void* p = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ~SharedPage() { ::munmap(p, 4096); }
  template <class T>
  T* at(std::size_t offset) {
    return reinterpret_cast<T*>(static_cast<char*>(p) + offset);
  }
};

// Forks `n` children that each run f(i) and _exit(0) (1 on failure); returns how many exited 0.
template <class F>
int fork_children(int n, F f) {
  std::vector<pid_t> kids;
  for (int i = 0; i < n; ++i) {
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(f(i) ? 0 : 1);
    kids.push_back(pid);
  }
  int ok = 0;
  for (pid_t pid : kids) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) ++ok;
  }
  return ok;
}

}  // namespace

TEST(SyncCore, EventSetThenClearStillReleasesASleepingWaiter) {
  for (int round = 0; round < 20; ++round) {
    cs::EventCore e;
    bool result = false;
    concur::threading::Thread t([&] { result = e.wait_until(Deadline::after(10s), false); });
    t.start();
    // The sleepers bit is set by a waiter about to sleep on the old value: set+clear must
    // release it (Python's Event: wait() returns true).
    while (!(e.word.load() & cs::EventCore::kSleepers)) std::this_thread::yield();
    e.set(false);
    e.clear();
    t.join();
    EXPECT_TRUE(result);
    EXPECT_FALSE(e.is_set());
  }
}

TEST(SyncCore, EventMayBeDestroyedAsSoonAsWaitReturns) {
  // set()'s last access to the event is its CAS: the waiter frees it right away (ASan checks).
  for (int round = 0; round < 200; ++round) {
    auto* e = new cs::EventCore;
    concur::threading::Thread t([e] { e->set(false); });
    t.start();
    EXPECT_TRUE(e->wait_until(Deadline::after(10s), false));
    delete e;
    t.join();
  }
}

TEST(SyncCore, ZeroBytesAreTheInitialState) {
  SharedPage page;
  auto* lock = page.at<cs::LockCore>(0);
  auto* rlock = page.at<cs::RLockCore>(64);
  auto* event = page.at<cs::EventCore>(128);
  auto* cond = page.at<cs::ConditionCore>(192);
  EXPECT_FALSE(lock->locked());
  EXPECT_TRUE(lock->try_acquire());
  EXPECT_TRUE(lock->release(true));
  EXPECT_FALSE(rlock->locked());
  EXPECT_TRUE(rlock->try_acquire(42));
  EXPECT_TRUE(rlock->try_acquire(42));
  EXPECT_FALSE(rlock->release(7, true));  // not the owner
  EXPECT_TRUE(rlock->release(42, true));
  EXPECT_TRUE(rlock->release(42, true));
  EXPECT_FALSE(event->is_set());
  EXPECT_EQ(cond->idle_waiters(), 0u);
}

TEST(SyncCore, SharedLockSerialisesProcesses) {
  constexpr int kProcs = 3, kEach = 20000;
  SharedPage page;
  auto* lock = page.at<cs::LockCore>(0);
  auto* counter = page.at<long>(64);  // plain memory, guarded by the lock
  const int ok = fork_children(kProcs, [&](int) {
    for (int i = 0; i < kEach; ++i) {
      lock->acquire(true);
      ++*counter;
      lock->release(true);
    }
    return true;
  });
  EXPECT_EQ(ok, kProcs);
  EXPECT_EQ(*counter, long{kProcs} * kEach);
}

TEST(SyncCore, SharedConditionAndSemaphoreAcrossProcesses) {
  SharedPage page;
  auto* lock = page.at<cs::LockCore>(0);
  auto* cond = page.at<cs::ConditionCore>(64);
  auto* sem = new (page.at<void>(128)) cs::SemaphoreCore;
  auto* value = page.at<int>(192);
  sem->init(0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    // Waits (releasing the shared lock) until the parent publishes 7, then answers.
    lock->acquire(true);
    bool seen = true;
    while (*value != 7)
      if (!cond->wait(
              Deadline::after(10s), true, [&] { lock->release(true); },
              [&] { lock->acquire(true); })) {
        seen = false;
        break;
      }
    lock->release(true);
    sem->release(1, UINT32_MAX, true);
    ::_exit(seen ? 0 : 1);
  }
  const auto give_up = Deadline::after(10s);
  for (;;) {  // until the child waits: it registered under the lock we now hold
    lock->acquire(true);
    if (cond->idle_waiters() == 1 || give_up.expired()) break;
    lock->release(true);
  }
  *value = 7;
  EXPECT_EQ(cond->notify(5, true), 1u);
  lock->release(true);
  EXPECT_TRUE(sem->acquire_until(Deadline::after(10s), true));
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(SyncCore, SharedBarrierAcrossProcesses) {
  constexpr int kProcs = 3, kCycles = 200;
  SharedPage page;
  auto* barrier = new (page.at<void>(0)) cs::BarrierCore;
  barrier->init(kProcs);
  auto* index_sum = page.at<std::atomic<long>>(128);
  const int ok = fork_children(kProcs, [&](int) {
    for (int c = 0; c < kCycles; ++c) {
      const auto i = barrier->wait(Deadline::after(10s), true, [] {});
      if (i == cs::BarrierCore::kBroken) return false;
      index_sum->fetch_add(i);
    }
    return true;
  });
  EXPECT_EQ(ok, kProcs);
  EXPECT_EQ(index_sum->load(), long{kCycles} * (kProcs * (kProcs - 1) / 2));
}
