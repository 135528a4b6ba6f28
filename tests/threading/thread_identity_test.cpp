// concur::threading thread identity and lifetime, after CPython's test_threading.py: names,
// ident/native_id, daemon, current_thread/main_thread/enumerate/active_count, excepthook.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <string>

#include "concur/threading.hpp"

using namespace std::chrono_literals;
using namespace concur::threading;

TEST(ThreadIdentity, IdentAndNativeIdAreUnsetBeforeStartAndSetAfter) {
  Event release;
  std::uint64_t inner_ident = 0;
  pid_t inner_tid = 0;
  Thread t([&] {
    inner_ident = get_ident();
    inner_tid = get_native_id();
    release.wait();
  });
  EXPECT_FALSE(t.ident().has_value());
  EXPECT_FALSE(t.native_id().has_value());
  t.start();
  ASSERT_TRUE(t.ident().has_value());  // set when start() returns, as Python's
  ASSERT_TRUE(t.native_id().has_value());
  EXPECT_NE(*t.native_id(), ::getpid());
  release.set();
  t.join();
  EXPECT_EQ(*t.ident(), inner_ident);
  EXPECT_EQ(*t.native_id(), inner_tid);
  EXPECT_NE(inner_ident, get_ident());
}

TEST(ThreadIdentity, OptionsSetNameAndDaemon) {
  Thread t({.name = "worker-7", .daemon = true}, [] {});
  EXPECT_EQ(t.name(), "worker-7");
  EXPECT_TRUE(t.daemon());
  Thread u([] {});
  EXPECT_EQ(u.name().rfind("Thread-", 0), 0u);
  EXPECT_FALSE(u.daemon());
  u.set_daemon(true);
  EXPECT_TRUE(u.daemon());
  t.start();
  EXPECT_THROW(t.set_daemon(false), std::logic_error);
  t.join();
}

TEST(ThreadIdentity, DefaultNamesCountUp) {
  Thread a([] {}), b([] {});
  const int na = std::stoi(a.name().substr(7)), nb = std::stoi(b.name().substr(7));
  EXPECT_GT(nb, na);
}

TEST(ThreadIdentity, CurrentThreadInsideAThreadDescribesIt) {
  ThreadInfo inside;
  Thread t({.name = "inner", .daemon = true}, [&] { inside = current_thread(); });
  t.start();
  t.join();
  EXPECT_EQ(inside.name, "inner");
  EXPECT_EQ(inside.ident, *t.ident());
  EXPECT_EQ(inside.native_id, *t.native_id());
  EXPECT_TRUE(inside.daemon);
}

TEST(ThreadIdentity, MainThreadIsNamedMainThread) {
  const ThreadInfo m = main_thread();
  EXPECT_EQ(m.name, "MainThread");
  EXPECT_EQ(m.native_id, ::getpid());
  EXPECT_FALSE(m.daemon);
  // gtest runs tests on the main thread.
  EXPECT_EQ(current_thread().name, "MainThread");
  EXPECT_EQ(current_thread().ident, m.ident);
  EXPECT_EQ(get_native_id(), ::getpid());
  ThreadInfo seen_from_thread;
  Thread t([&] { seen_from_thread = main_thread(); });
  t.start();
  t.join();
  EXPECT_EQ(seen_from_thread.ident, m.ident);
}

TEST(ThreadIdentity, ForeignThreadsAreDummies) {
  ThreadInfo info;
  std::thread t([&] { info = current_thread(); });
  t.join();
  EXPECT_EQ(info.name.rfind("Dummy-", 0), 0u);
  EXPECT_TRUE(info.daemon);
}

TEST(ThreadIdentity, EnumerateListsLiveThreadsAndMain) {
  Event release;
  Thread t({.name = "listed"}, [&] { release.wait(); });
  const unsigned before = active_count();
  t.start();
  auto names = [] {
    std::vector<std::string> out;
    for (const auto& i : enumerate()) out.push_back(i.name);
    return out;
  };
  auto live = names();
  EXPECT_EQ(live.front(), "MainThread");
  EXPECT_NE(std::find(live.begin(), live.end(), "listed"), live.end());
  EXPECT_EQ(active_count(), before + 1);
  EXPECT_EQ(enumerate().size(), active_count());
  release.set();
  t.join();
  live = names();
  EXPECT_EQ(std::find(live.begin(), live.end(), "listed"), live.end());
  EXPECT_EQ(active_count(), before);
}

TEST(ThreadIdentity, ExcepthookGetsUnjoinedExceptions) {
  std::string seen_name, seen_what;
  std::uint64_t seen_ident = 0;
  set_excepthook([&](const ExceptHookArgs& a) {
    seen_name = a.thread_name;
    seen_ident = a.ident;
    try {
      std::rethrow_exception(a.exc);
    } catch (const std::exception& e) {
      seen_what = e.what();
    }
  });
  std::uint64_t ident = 0;
  {
    Thread t({.name = "thrower"}, [] { throw std::runtime_error("unseen"); });
    t.start();
    ident = *t.ident();
  }  // destroyed without join(): the hook reports it
  EXPECT_EQ(seen_name, "thrower");
  EXPECT_EQ(seen_what, "unseen");
  EXPECT_EQ(seen_ident, ident);
  seen_name.clear();
  {
    Thread t([] { throw std::runtime_error("seen"); });
    t.start();
    EXPECT_THROW(t.join(), std::runtime_error);
  }  // join() saw it: not reported again
  EXPECT_EQ(seen_name, "");
  set_excepthook(nullptr);
}

TEST(ThreadIdentity, DetachedDaemonReportsItsOwnException) {
  Event go, reported;
  std::string seen;
  set_excepthook([&](const ExceptHookArgs& a) {
    seen = a.thread_name;
    reported.set();
  });
  {
    Thread t({.name = "bg", .daemon = true}, [&] {
      go.wait();
      throw std::runtime_error("late");
    });
    t.start();
  }  // a daemon is detached, not joined
  go.set();
  EXPECT_TRUE(reported.wait(10s));
  EXPECT_EQ(seen, "bg");
  set_excepthook(nullptr);
}

TEST(ThreadIdentity, DaemonDestructorDoesNotWait) {
  Event release, finished;
  {
    Thread t({.daemon = true}, [&] {
      release.wait();
      finished.set();
    });
    t.start();
  }  // returns at once although the thread is blocked
  EXPECT_FALSE(finished.is_set());
  release.set();
  EXPECT_TRUE(finished.wait(10s));
}

TEST(ThreadIdentity, JoinForRejectsNegativeTimeout) {
  Thread t([] {});
  t.start();
  EXPECT_THROW(t.join_for(-1s), std::invalid_argument);
  t.join();
}

TEST(ThreadIdentity, ForkedChildKnowsOnlyTheForkingThread) {
  // Python's _after_fork: in the child only the forking thread exists; the others are not listed,
  // and their Thread objects neither hang in join() nor crash in their destructor.
  Event release;
  Thread t({.name = "left-behind"}, [&] { release.wait(); });
  t.start();
  const pid_t pid = ::fork();
  if (pid == 0) {
    bool ok = enumerate().size() == 1 && active_count() == 1;
    ok = ok && main_thread().ident == get_ident() && current_thread().name == "MainThread";
    ok = ok && !t.is_alive();
    try {
      t.join();  // the thread does not exist here: returns at once
    } catch (...) {
      ok = false;
    }
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_TRUE(t.is_alive());  // the parent is unaffected
  release.set();
  t.join();
}
