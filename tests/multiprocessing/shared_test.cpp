// SharedMemory, SharedArray, Value, Pipe/Connection and Queue across processes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <concur/multiprocessing.hpp>
#include <cstdint>
#include <mutex>
#include <numeric>
#include <string>
#include <vector>

#include "support/leak_check.hpp"

namespace mp = concur::multiprocessing;
using namespace std::chrono_literals;

namespace {
class SharedTest : public concur::test::NoLeakTest {};
}  // namespace

TEST_F(SharedTest, SharedArrayIsZeroedAndCopiesShare) {
  mp::SharedArray<std::int64_t> a(1000);
  EXPECT_EQ(a.size(), 1000u);
  for (auto v : a) EXPECT_EQ(v, 0);
  auto b = a;
  b[5] = 7;
  EXPECT_EQ(a[5], 7);
}

TEST_F(SharedTest, TaskWritesIntoSharedArrayCreatedAfterPool) {
  mp::Pool pool(2);
  mp::SharedArray<std::int64_t> a(1 << 20);  // made after the workers: travels as an fd
  std::iota(a.begin(), a.end(), 0);
  auto sums = pool.starmap(
      [](mp::SharedArray<std::int64_t> arr, std::size_t lo, std::size_t hi) {
        std::int64_t s = 0;
        for (std::size_t i = lo; i < hi; ++i) {
          s += arr[i];
          arr[i] = -1;
        }
        return s;
      },
      std::vector<std::tuple<mp::SharedArray<std::int64_t>, std::size_t, std::size_t>>{
          {a, 0, a.size() / 2}, {a, a.size() / 2, a.size()}});
  const std::int64_t n = static_cast<std::int64_t>(a.size());
  EXPECT_EQ(sums[0] + sums[1], n * (n - 1) / 2);
  EXPECT_EQ(a[0], -1);
  EXPECT_EQ(a[a.size() - 1], -1);
}

TEST_F(SharedTest, HandleTravelsNotTheData) {
  mp::Pool pool(1);
  mp::SharedArray<char> big(64 << 20);
  // A worker reuses its mapping: the same address for repeated tasks.
  auto addr = [](mp::SharedArray<char> a) { return reinterpret_cast<std::uintptr_t>(a.data()); };
  EXPECT_EQ(pool.apply_async(addr, big).get(), pool.apply_async(addr, big).get());
  // A worker forked after the array was made uses the inherited mapping (same address).
  mp::Pool late(1);
  EXPECT_EQ(late.apply_async(addr, big).get(), reinterpret_cast<std::uintptr_t>(big.data()));
}

TEST_F(SharedTest, SharedMemoryBufIsShared) {
  mp::SharedMemory m(4096);
  EXPECT_EQ(m.size(), 4096u);
  mp::Process p([](mp::SharedMemory mem) { mem.buf()[10] = std::byte{42}; }, m);
  p.start();
  p.join();
  EXPECT_EQ(m.buf()[10], std::byte{42});
}

TEST_F(SharedTest, ValueWithLockCountsAcrossProcesses) {
  mp::Value<long> counter(0);
  std::vector<mp::Process> procs;
  for (int i = 0; i < 4; ++i)
    procs.emplace_back(
        [](mp::Value<long> c) {
          for (int k = 0; k < 1000; ++k) {
            std::lock_guard lock(c.get_lock());
            c.set(c.get() + 1);
          }
        },
        counter);
  for (auto& p : procs) p.start();
  for (auto& p : procs) p.join();
  EXPECT_EQ(counter.get(), 4000);
}

TEST_F(SharedTest, PipeSendsValuesBothWays) {
  auto [a, b] = mp::Pipe();
  EXPECT_FALSE(a.poll());
  b.send(std::vector<std::string>{"x", "y"});
  EXPECT_TRUE(a.poll(1s));
  EXPECT_EQ(a.recv<std::vector<std::string>>(), (std::vector<std::string>{"x", "y"}));
  a.send(3.5);
  EXPECT_EQ(b.recv<double>(), 3.5);
  b.close();
  EXPECT_THROW(a.recv<int>(), mp::EOFError);
}

TEST_F(SharedTest, OneWayPipeToProcess) {
  auto [r, w] = mp::Pipe(false);
  mp::Process p(
      [](mp::Connection out) {
        for (int i = 0; i < 3; ++i) out.send(i);
      },
      w);
  p.start();
  w.close();
  EXPECT_EQ(r.recv<int>() + r.recv<int>() + r.recv<int>(), 3);
  p.join();
}

TEST_F(SharedTest, QueueBetweenProcesses) {
  mp::Queue<std::string> q;
  EXPECT_TRUE(q.empty());
  EXPECT_THROW(q.get(false), mp::Empty);
  EXPECT_FALSE(q.try_get(10ms));
  std::vector<mp::Process> producers;
  for (int i = 0; i < 2; ++i)
    producers.emplace_back(
        [](mp::Queue<std::string> out, int id) {
          for (int k = 0; k < 50; ++k) out.put(std::to_string(id) + ":" + std::to_string(k));
        },
        q, i);
  for (auto& p : producers) p.start();
  int count = 0;
  while (count < 100) {
    auto item = q.get(true, 5s);
    EXPECT_FALSE(item.empty());
    ++count;
  }
  for (auto& p : producers) p.join();
  EXPECT_EQ(q.qsize(), 0u);
  q.put("last");
  EXPECT_EQ(q.qsize(), 1u);
  EXPECT_EQ(q.try_get(), "last");
}
