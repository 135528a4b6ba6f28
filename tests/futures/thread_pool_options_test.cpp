// ThreadPoolOptions (thread names, initializer, a broken pool) and the Executor concept on the
// thread pool. The broken-pool cases follow CPython's test_initializers.py.
#include <dirent.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <latch>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "concur/futures.hpp"
#include "concur/threading.hpp"
#include "support/executor_work.hpp"

using namespace std::chrono_literals;
using concur::futures::BrokenExecutor;
using concur::futures::BrokenThreadPool;
using concur::futures::ThreadPoolExecutor;

namespace {

std::set<std::string> thread_names() {
  std::set<std::string> names;
  DIR* d = ::opendir("/proc/self/task");
  if (!d) return names;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream comm(std::string("/proc/self/task/") + e->d_name + "/comm");
    std::string name;
    if (std::getline(comm, name)) names.insert(name);
  }
  ::closedir(d);
  return names;
}

}  // namespace

TEST(ThreadPoolOptions, WorkersAreNamedPrefixDashIndexInProc) {
  ThreadPoolExecutor pool(3, {.thread_name_prefix = "reqpool"});
  const auto names = thread_names();
  for (const char* n : {"reqpool-0", "reqpool-1", "reqpool-2"}) EXPECT_EQ(names.count(n), 1u) << n;
}

TEST(ThreadPoolOptions, DefaultPrefixAndLongPrefixesTruncatedToTheKernelLimit) {
  ThreadPoolExecutor plain(1);
  EXPECT_EQ(thread_names().count("concur-pool-0"), 1u);
  ThreadPoolExecutor longer(1, {.thread_name_prefix = "a-very-long-prefix"});
  EXPECT_EQ(thread_names().count("a-very-long-pre"), 1u);  // 15 bytes kept
}

TEST(ThreadPoolOptions, InitializerRunsOnceInEveryWorkerBeforeItsTasks) {
  std::atomic<int> inits{0};
  thread_local bool initialised = false;
  ThreadPoolExecutor pool(3, {.initializer = [&] {
                            initialised = true;
                            inits.fetch_add(1);
                          }});
  std::latch all_busy(3);  // each worker must take one of the three tasks
  std::vector<concur::futures::Future<bool>> fs;
  for (int i = 0; i < 3; ++i)
    fs.push_back(pool.submit([&] {
      all_busy.arrive_and_wait();
      return initialised;
    }));
  for (auto& f : fs) EXPECT_TRUE(f.result(30s));
  EXPECT_EQ(inits.load(), 3);
}

TEST(ThreadPoolOptions, FailingInitializerBreaksThePoolQueuedFuturesFail) {
  concur::threading::Event release;
  testing::internal::CaptureStderr();
  ThreadPoolExecutor pool(1, {.initializer = [&] {
                            release.wait();
                            throw std::runtime_error("error in initializer");
                          }});
  std::vector<concur::futures::Future<int>> queued;
  for (int i = 0; i < 3; ++i) queued.push_back(pool.submit([] { return 1; }));
  release.set();  // the only worker fails now, with three tasks queued
  for (auto& f : queued) EXPECT_THROW(f.result(30s), BrokenThreadPool);
  EXPECT_THROW(pool.submit([] { return 2; }), BrokenThreadPool);
  EXPECT_THROW(pool.map([](int x) { return x; }, std::vector<int>{1}), BrokenExecutor);
  pool.shutdown();
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("error in initializer"), std::string::npos) << err;
}

TEST(ThreadPoolOptions, FailingInitializerEitherRefusesOrFailsTheFuture) {
  // As CPython's test: depending on timing, submit() raises or the future does.
  testing::internal::CaptureStderr();
  {
    ThreadPoolExecutor pool(2, {.initializer = [] { throw std::runtime_error("init"); }});
    try {
      auto f = pool.submit([] { return 1; });
      EXPECT_THROW(f.result(30s), BrokenThreadPool);
    } catch (const BrokenThreadPool&) {
    }
  }
  testing::internal::GetCapturedStderr();
}

TEST(Executor, ThreadPoolSatisfiesTheConceptAndRunsGenericCode) {
  static_assert(concur::futures::Executor<ThreadPoolExecutor>);
  static_assert(!concur::futures::Executor<int>);
  ThreadPoolExecutor pool(2);
  EXPECT_EQ(concur::test::generic_work(pool), concur::test::generic_work_expected);
}
