// imap / imap_unordered are lazy (CPython's _TestPool imap tests, and an endless range).
#include <gtest/gtest.h>

#include <atomic>
#include <concur/multiprocessing.hpp>
#include <cstddef>
#include <functional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/leak_check.hpp"
#include "support/tasks.hpp"

namespace mp = concur::multiprocessing;
using namespace std::chrono_literals;

namespace {

class PoolImap : public concur::test::NoLeakTest {};

using concur::test::twice;

// A range of fn(0), fn(1), ... (endless when limit < 0). Hand-written rather than
// std::views, which clang 14 cannot compile with libstdc++ 12.
struct Generated {
  std::function<int(int)> fn = [](int i) { return i; };
  int limit = -1;
  struct iterator {
    using value_type = int;
    using difference_type = std::ptrdiff_t;
    const Generated* g = nullptr;
    int i = 0;
    int operator*() const { return g->fn(i); }
    iterator& operator++() {
      ++i;
      return *this;
    }
    void operator++(int) { ++i; }
    bool operator==(const iterator& o) const { return i == o.i; }
  };
  iterator begin() const { return {this, 0}; }
  iterator end() const { return {this, limit < 0 ? -1 : limit}; }
};

}  // namespace

TEST_F(PoolImap, EndlessRangeAbandonedEarlyReadsOnlyAWindowAhead) {
  mp::Pool pool(2);
  std::atomic<int> reads{0};
  Generated counted{[&reads](int x) {
    reads.fetch_add(1);
    return x;
  }};
  int last = -1;
  {
    auto it = pool.imap(&twice, counted);
    for (int r : it) {
      EXPECT_EQ(r, 2 * (last + 1));
      last = r / 2;
      if (last == 99) break;
    }
  }  // abandoned here
  const int after = reads.load();
  EXPECT_GE(after, 100);
  EXPECT_LE(after, 100 + 4 * 2 + 2);  // the window: 4 chunks per worker
  EXPECT_EQ(pool.map(&twice, std::vector{1, 2}), (std::vector{2, 4}));  // the pool goes on
  EXPECT_EQ(reads.load(), after);                                       // nothing more was read
}

TEST_F(PoolImap, UnorderedOverEndlessRangeWithChunks) {
  mp::Pool pool(2);
  std::set<int> got;
  auto it = pool.imap_unordered(&twice, Generated{}, 7);
  while (got.size() < 50) got.insert(it.next(5s));
  for (int v : got) EXPECT_EQ(v % 2, 0);
}

TEST_F(PoolImap, NextTimesOutAndIterationGoesOn) {
  mp::Pool pool(1);
  auto [rd, wr] = mp::Pipe(false);
  std::vector<mp::Connection> conns{rd};
  auto it = pool.imap(
      +[](mp::Connection c) { return c.recv<int>(); }, conns);
  EXPECT_THROW(it.next(10ms), concur::TimeoutError);
  wr.send(7);
  EXPECT_EQ(it.next(5s), 7);
  EXPECT_THROW(it.next(5s), mp::StopIteration);
}

TEST_F(PoolImap, StringsInChunksKeepOrder) {
  mp::Pool pool(3);
  std::vector<std::string> words;
  for (int i = 0; i < 100; ++i) words.push_back(std::string(static_cast<std::size_t>(i), 'x'));
  std::vector<std::size_t> sizes;
  for (auto n : pool.imap(
           +[](std::string s) { return s.size(); }, words, 6))
    sizes.push_back(n);
  ASSERT_EQ(sizes.size(), 100u);
  for (std::size_t i = 0; i < 100; ++i) EXPECT_EQ(sizes[i], i);
}

TEST_F(PoolImap, ExceptionWhileReadingItemsEndsIterationThere) {
  mp::Pool pool(2);
  Generated failing{[](int x) {
                      if (x == 5) throw std::length_error("item 5 unreadable");
                      return x;
                    },
                    10};
  auto it = pool.imap(&twice, failing);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(it.next(5s), 2 * i);
  EXPECT_THROW(it.next(5s), std::length_error);
  EXPECT_THROW(it.next(5s), mp::StopIteration);
}

TEST_F(PoolImap, CloseAndJoinBeforeIteratingStillYieldsEverything) {
  mp::Pool pool(2);
  auto it = pool.imap(&twice, Generated{[](int i) { return i; }, 100});
  pool.close();
  pool.join();
  int n = 0;
  for (int r : it) EXPECT_EQ(r, 2 * n++);
  EXPECT_EQ(n, 100);
}

TEST_F(PoolImap, EmptyRangeYieldsNothing) {
  mp::Pool pool(1);
  auto it = pool.imap(&twice, std::vector<int>{});
  EXPECT_THROW(it.next(5s), mp::StopIteration);
  auto un = pool.imap_unordered(&twice, std::vector<int>{});
  EXPECT_FALSE(un.try_next(5s).has_value());
}

TEST_F(PoolImap, TerminateWakesAWaitingConsumer) {
  mp::Pool pool(1);
  auto [rd, wr] = mp::Pipe(false);
  auto it = pool.imap(
      +[](mp::Connection c) { return c.recv<int>(); }, std::vector<mp::Connection>{rd, rd});
  pool.terminate();
  EXPECT_THROW(it.next(5s), mp::ProcessError);
}
