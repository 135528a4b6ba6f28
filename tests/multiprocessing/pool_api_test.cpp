// Pool's newer verbs (from CPython's _TestPool): apply, starmap_async, callbacks, timeouts,
// the initializer, and typed exceptions.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <concur/multiprocessing.hpp>
#include <future>
#include <latch>
#include <set>
#include <string>
#include <system_error>
#include <thread>
#include <tuple>
#include <vector>

#include "support/leak_check.hpp"
#include "support/tasks.hpp"

namespace mp = concur::multiprocessing;
using namespace std::chrono_literals;

namespace {

class PoolApi : public concur::test::NoLeakTest {};

using concur::test::twice;

std::string worker_tag;  // set by the initializer in each worker

struct ParseError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct Unregistered : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace

TEST_F(PoolApi, ApplyWaitsForTheResult) {
  mp::Pool pool(1);
  EXPECT_EQ(pool.apply(
                +[](int a, int b) { return a * b; }, 6, 7),
            42);
  pool.apply(+[] {});  // void works too
}

TEST_F(PoolApi, StarmapAsyncUnpacksTuples) {
  mp::Pool pool(2);
  std::vector<std::tuple<int, int>> args;
  for (int i = 0; i < 10; ++i) args.emplace_back(i, i + 1);
  auto r = pool.starmap_async(
      +[](int a, int b) { return a * b; }, args, 3);
  std::vector<int> want;
  for (int i = 0; i < 10; ++i) want.push_back(i * (i + 1));
  EXPECT_EQ(r.get(5s), want);
}

TEST_F(PoolApi, CallbackRunsOnThePoolThreadWithTheResult) {
  mp::Pool pool(1);
  auto [rd, wr] = mp::Pipe(false);
  std::promise<std::pair<int, std::thread::id>> seen;
  auto r = pool.apply_async(
      +[](mp::Connection c) { return c.recv<int>() * 2; }, rd);
  r.callback([&](const int& v) { seen.set_value({v, std::this_thread::get_id()}); });
  wr.send(21);
  const auto [value, thread] = seen.get_future().get();
  EXPECT_EQ(value, 42);
  EXPECT_NE(thread, std::this_thread::get_id());
}

TEST_F(PoolApi, CallbackOnAReadyResultRunsAtOnce) {
  mp::Pool pool(1);
  auto r = pool.map_async(&twice, std::vector{1, 2, 3});
  r.wait();
  std::vector<int> got;
  std::thread::id where;
  r.callback([&](const std::vector<int>& v) {
    got = v;
    where = std::this_thread::get_id();
  });
  EXPECT_EQ(got, (std::vector{2, 4, 6}));
  EXPECT_EQ(where, std::this_thread::get_id());
}

TEST_F(PoolApi, ErrorCallbackGetsTheTasksException) {
  mp::Pool pool(1);
  std::promise<std::string> what;
  bool ok_called = false;
  pool.apply_async(
          +[](int) -> int { throw std::invalid_argument("bad input"); }, 1)
      .callback([&](const int&) { ok_called = true; })
      .error_callback([&](std::exception_ptr e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::invalid_argument& ex) {
          what.set_value(ex.what());
        } catch (...) {
          what.set_value("wrong type");
        }
      });
  EXPECT_EQ(what.get_future().get(), "bad input");
  EXPECT_FALSE(ok_called);
}

TEST_F(PoolApi, GetAndWaitTimeOutWithConcurTimeoutError) {
  mp::Pool pool(1);
  auto [rd, wr] = mp::Pipe(false);
  auto r = pool.apply_async(
      +[](mp::Connection c) { return c.recv<int>(); }, rd);
  EXPECT_THROW(r.get(10ms), concur::TimeoutError);
  EXPECT_THROW(r.wait(0s), concur::TimeoutError);
  EXPECT_THROW(r.get(-1s), std::invalid_argument);
  EXPECT_FALSE(r.ready());
  EXPECT_THROW((void)r.successful(), std::invalid_argument);
  wr.send(5);
  EXPECT_EQ(r.get(5s), 5);  // still usable after a timeout
  EXPECT_TRUE(r.successful());
}

TEST_F(PoolApi, InitializerRunsInEveryWorkerBeforeItsTasks) {
  mp::Pool pool(2, {.maxtasksperchild = 2,
                    .initializer = {+[](std::string tag) { worker_tag = tag; }, std::string("w")}});
  auto tags = pool.map(
      +[](int) { return worker_tag + ":" + std::to_string(::getpid()); }, std::vector<int>(20), 1);
  std::set<std::string> distinct(tags.begin(), tags.end());
  EXPECT_GE(distinct.size(), 10u);  // 20 tasks, 2 per worker: replacements ran it too
  for (const auto& t : tags) EXPECT_EQ(t.substr(0, 2), "w:") << t;
}

TEST_F(PoolApi, InitializerArgumentsMayBeHandles) {
  mp::SharedArray<int> started(1);
  {
    mp::Pool pool(3, {.initializer = {+[](mp::SharedArray<int> a) {
                                        __atomic_fetch_add(&a[0], 1, __ATOMIC_SEQ_CST);
                                      },
                                      started}});
    EXPECT_EQ(pool.map(&twice, std::vector{1, 2, 3}), (std::vector{2, 4, 6}));
    pool.close();
    pool.join();
  }
  EXPECT_EQ(started[0], 3);
}

TEST_F(PoolApi, AThrowingInitializerBreaksThePoolWithItsException) {
  mp::Pool pool(2, {.initializer = {+[] { throw std::domain_error("no GPU"); }}});
  auto r = pool.apply_async(&twice, 1);
  EXPECT_THROW(r.get(5s), std::domain_error);
  EXPECT_THROW(pool.map(&twice, std::vector{1, 2}), std::domain_error);
}

TEST_F(PoolApi, StandardExceptionsKeepTheirType) {
  mp::Pool pool(1);
  auto thrower = +[](int which) -> int {
    switch (which) {
      case 0:
        throw std::invalid_argument("a");
      case 1:
        throw std::domain_error("b");
      case 2:
        throw std::length_error("c");
      case 3:
        throw std::out_of_range("d");
      case 4:
        throw std::range_error("e");
      case 5:
        throw std::overflow_error("f");
      case 6:
        throw std::underflow_error("g");
      case 7:
        throw std::logic_error("h");
      case 8:
        throw std::runtime_error("i");
      case 9:
        throw std::bad_alloc();
      default:
        throw concur::TimeoutError("j");
    }
  };
  auto expect = [&](int which, auto tag, const char* what) {
    using E = decltype(tag);
    try {
      pool.apply(thrower, which);
      ADD_FAILURE() << which << ": no exception";
    } catch (const E& e) {
      EXPECT_EQ(typeid(e), typeid(E)) << which;
      if (what != nullptr) {
        EXPECT_STREQ(e.what(), what);
      }
    } catch (const std::exception& e) {
      ADD_FAILURE() << which << ": wrong type " << typeid(e).name() << " " << e.what();
    }
  };
  expect(0, std::invalid_argument(""), "a");
  expect(1, std::domain_error(""), "b");
  expect(2, std::length_error(""), "c");
  expect(3, std::out_of_range(""), "d");
  expect(4, std::range_error(""), "e");
  expect(5, std::overflow_error(""), "f");
  expect(6, std::underflow_error(""), "g");
  expect(7, std::logic_error(""), "h");
  expect(8, std::runtime_error(""), "i");
  expect(9, std::bad_alloc(), nullptr);
  expect(10, concur::TimeoutError(""), "j");
}

TEST_F(PoolApi, SystemErrorKeepsItsCodeAndMessage) {
  mp::Pool pool(1);
  try {
    pool.apply(+[] { throw std::system_error(ENOENT, std::generic_category(), "open /x"); });
    FAIL() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::error_code(ENOENT, std::generic_category()));
    EXPECT_EQ(std::string(e.what()),
              std::system_error(ENOENT, std::generic_category(), "open /x").what());
  }
}

TEST_F(PoolApi, RegisteredUserExceptionKeepsItsType) {
  mp::register_exception<ParseError>();
  mp::Pool pool(1);
  EXPECT_THROW(pool.apply(+[] { throw ParseError("line 3"); }), ParseError);
  try {
    pool.apply(+[] { throw Unregistered("nope"); });
    FAIL() << "no exception";
  } catch (const mp::RemoteError& e) {
    EXPECT_NE(e.type.find("Unregistered"), std::string::npos) << e.type;
    EXPECT_EQ(e.message, "nope");
  }
  try {
    pool.apply(+[] { throw 42; });
    FAIL() << "no exception";
  } catch (const mp::RemoteError& e) {
    EXPECT_EQ(e.type, "int");
    EXPECT_EQ(e.message, "");
  }
}

TEST_F(PoolApi, WorkerKilledDuringEachVerbFailsOnlyItsTask) {
  mp::Pool pool(2);
  auto die = +[](int x) {
    if (x == 3) ::kill(::getpid(), SIGKILL);
    return x;
  };
  const std::vector<int> items{1, 2, 3, 4};
  EXPECT_THROW(pool.map(die, items, 1), mp::WorkerCrashed);
  EXPECT_THROW(pool.map_async(die, items, 2).get(), mp::WorkerCrashed);
  EXPECT_THROW(pool.apply(die, 3), mp::WorkerCrashed);
  std::vector<std::tuple<int>> tuples{{1}, {3}};
  EXPECT_THROW(pool.starmap(die, tuples), mp::WorkerCrashed);
  EXPECT_THROW(pool.starmap_async(die, tuples).get(), mp::WorkerCrashed);
  {
    auto it = pool.imap(die, items);
    EXPECT_EQ(it.next(), 1);
    EXPECT_EQ(it.next(), 2);
    EXPECT_THROW(it.next(), mp::WorkerCrashed);
    EXPECT_EQ(it.next(), 4);
  }
  {
    std::multiset<int> got;
    int crashed = 0;
    auto it = pool.imap_unordered(die, items);
    for (;;) {
      try {
        auto r = it.try_next();
        if (!r) break;
        got.insert(*r);
      } catch (const mp::WorkerCrashed&) {
        ++crashed;
      }
    }
    EXPECT_EQ(crashed, 1);
    EXPECT_EQ(got, (std::multiset{1, 2, 4}));
  }
  EXPECT_EQ(pool.map(&twice, items), (std::vector{2, 4, 6, 8}));  // whole again
  EXPECT_EQ(pool.pids().size(), 2u);
}

TEST_F(PoolApi, WorkersKnowTheirNameAndParent) {
  mp::Pool pool(1);
  auto [name, ppid] = pool.apply(
      +[] { return std::make_pair(mp::current_process().name, mp::parent_process()->pid); });
  EXPECT_EQ(name.rfind("ForkPoolWorker-", 0), 0u) << name;
  EXPECT_EQ(ppid, ::getpid());
  EXPECT_EQ(mp::current_process().name, "MainProcess");
  EXPECT_FALSE(mp::parent_process().has_value());
}
