// concur::mpi under `mpirun -np 3` (rank 0 runs these tests; ranks 1 and 2 are agents) and,
// the same binary, without a launcher (size 1: the local pool). Registered in CMakeLists.txt.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <concur/futures.hpp>
#include <concur/mpi.hpp>
#include <concur/multiprocessing.hpp>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <numeric>
#include <set>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "mpi/window.hpp"
#include "support/leak_check.hpp"

namespace {

namespace mpi = concur::mpi;
namespace mp = concur::multiprocessing;
namespace fut = concur::futures;

int square(int x) { return x * x; }
int twice(int x) { return 2 * x; }
int where(int) { return mpi::rank(); }
int add(int a, int b) { return a + b; }
std::string echo(std::string s) { return s; }
int throws_out_of_range(int) { throw std::out_of_range("index 7 past the end"); }
int throws_system_error(int) { throw std::system_error(ENOSPC, std::generic_category(), "disk"); }
int throws_on_five(int x) {
  if (x == 5) throw std::invalid_argument("five");
  return x;
}
int dies(int) {
  ::raise(SIGKILL);
  return 0;
}
// Appends x to the file at `log` (one 4-byte write, atomic with O_APPEND), then dies for the
// numbers that end in 57 (after logging: a crash happens in the middle of running a task).
int logged(std::string log, int x) {
  const int fd = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0 || ::write(fd, &x, sizeof x) != static_cast<ssize_t>(sizeof x))
    throw std::runtime_error("cannot log");
  ::close(fd);
  if (x % 100 == 57) ::raise(SIGKILL);
  return x;
}
std::string bytes_of(int n) { return std::string(static_cast<std::size_t>(n), 'r'); }
int work_ms(int ms) {  // a task that takes time (work, not synchronisation)
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return ms;
}

struct Quota : std::runtime_error {
  using std::runtime_error::runtime_error;
};
int throws_quota(int) { throw Quota("over quota"); }

int g_initialized = 0;
void set_initialized(int v) { g_initialized = v; }
std::pair<int, int> rank_and_init(int) { return {mpi::rank(), g_initialized}; }
void init_throws(int) { throw std::domain_error("initializer refused"); }

mpi::MPIPoolOptions two_per_rank() {
  mpi::MPIPoolOptions o;
  o.workers_per_rank = 2;
  return o;
}

// The ranks that run tasks: the agents under a launcher, else rank 0 itself.
std::set<int> worker_ranks() {
  if (mpi::size() == 1) return {0};
  std::set<int> s;
  for (int r = 1; r < mpi::size(); ++r) s.insert(r);
  return s;
}

static_assert(fut::Executor<mpi::MPIPoolExecutor>, "code can switch executors by changing a type");

TEST(MPIPoolExecutor, SubmitReturnsTheResult) {
  mpi::MPIPoolExecutor pool(two_per_rank());
  EXPECT_EQ(pool.submit(&square, 7).result(), 49);
  const unsigned ranks = mpi::size() == 1 ? 1u : static_cast<unsigned>(mpi::size() - 1);
  EXPECT_EQ(pool.max_workers(), 2 * ranks);
}

TEST(MPIPoolExecutor, ManySubmitsAllComplete) {
  mpi::MPIPoolExecutor pool(two_per_rank());
  std::vector<fut::Future<int>> fs;
  for (int i = 0; i < 500; ++i) fs.push_back(pool.submit(&add, i, 1));
  long sum = 0;
  for (auto& f : fs) sum += f.result();
  EXPECT_EQ(sum, 500L * 499 / 2 + 500);
}

TEST(MPIPoolExecutor, MapKeepsOrderWithAnyChunksize) {
  mpi::MPIPoolExecutor pool(two_per_rank());
  std::vector<int> items(10'000);
  std::iota(items.begin(), items.end(), 0);
  std::vector<int> want;
  for (int x : items) want.push_back(2 * x);
  EXPECT_EQ(pool.map(&twice, items, 100), want);
  EXPECT_EQ(pool.map(&twice, items), want);  // default: about 4 chunks per worker
  EXPECT_EQ(pool.map(&twice, items, 1).size(), items.size());
  EXPECT_TRUE(pool.map(&twice, std::vector<int>{}).empty());
}

TEST(MPIPoolExecutor, TasksReachEveryRank) {
  mpi::MPIPoolExecutor pool(two_per_rank());
  const auto ranks = pool.map(&where, std::vector<int>(64, 0), 1);
  EXPECT_EQ(std::set<int>(ranks.begin(), ranks.end()), worker_ranks());
}

TEST(MPIPoolExecutor, ExceptionsKeepTheirType) {
  mp::register_exception<Quota>();
  mpi::MPIPoolExecutor pool(two_per_rank());
  auto f = pool.submit(&throws_out_of_range, 1);
  try {
    f.result();
    ADD_FAILURE() << "no exception";
  } catch (const std::out_of_range& e) {
    EXPECT_STREQ(e.what(), "index 7 past the end");
  }
  try {
    pool.submit(&throws_system_error, 1).result();
    ADD_FAILURE() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), ENOSPC);
  }
  EXPECT_THROW(pool.submit(&throws_quota, 1).result(), Quota);
  std::vector<int> items(20);
  std::iota(items.begin(), items.end(), 0);
  EXPECT_THROW(pool.map(&throws_on_five, items, 2), std::invalid_argument);
}

TEST(MPIPoolExecutor, CrashFailsOnlyItsOwnFuture) {
  mpi::MPIPoolExecutor pool(two_per_rank());
  std::vector<fut::Future<int>> ok;
  for (int i = 0; i < 20; ++i) ok.push_back(pool.submit(&square, i));
  auto crashed = pool.submit(&dies, 0);
  for (int i = 20; i < 40; ++i) ok.push_back(pool.submit(&square, i));
  try {
    crashed.result();
    ADD_FAILURE() << "no exception";
  } catch (const mp::WorkerCrashed& e) {
    EXPECT_EQ(e.exitcode, -SIGKILL);
  }
  for (int i = 0; i < 40; ++i) EXPECT_EQ(ok[static_cast<std::size_t>(i)].result(), i * i);
  // The worker was replaced: the pool still has all its workers' worth of work in it.
  const auto ranks = pool.map(&where, std::vector<int>(32, 0), 1);
  EXPECT_EQ(std::set<int>(ranks.begin(), ranks.end()), worker_ranks());
}

// Tiny tasks travel to a worker several at a time (a bundle): a crash in the middle of one
// fails only the task that was running, and no task runs twice or is lost.
TEST(MPIPoolExecutor, CrashAmongTinyTasksFailsOnlyThatTaskAndRunsNoneTwice) {
  char dir[] = "/tmp/concur_mpi_testXXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string log = std::string(dir) + "/runs";
  std::ofstream(log).close();
  {
    mpi::MPIPoolExecutor pool(two_per_rank());
    std::vector<fut::Future<int>> fs;
    for (int i = 0; i < 400; ++i) fs.push_back(pool.submit(&logged, log, i));
    for (int i = 0; i < 400; ++i) {
      if (i % 100 == 57)
        EXPECT_THROW(fs[static_cast<std::size_t>(i)].result(), mp::WorkerCrashed) << i;
      else
        EXPECT_EQ(fs[static_cast<std::size_t>(i)].result(), i);
    }
  }
  std::ifstream in(log, std::ios::binary);
  const std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::map<int, int> runs;
  for (std::size_t at = 0; at + sizeof(int) <= raw.size(); at += sizeof(int)) {
    int x;
    std::memcpy(&x, raw.data() + at, sizeof x);
    ++runs[x];
  }
  EXPECT_EQ(runs.size(), 400u);
  for (const auto& [x, n] : runs) EXPECT_EQ(n, 1) << "task " << x << " ran " << n << " times";
  ::unlink(log.c_str());
  ::rmdir(dir);
}

// Results too big to share the room of a bundle's outcomes (512 KiB, src/mpi/bundle.hpp), or to
// fit it at all, come back whole all the same.
TEST(MPIPoolExecutor, BigResultsOfTinyTasksComeBackWhole) {
  mpi::MPIPoolExecutor pool(two_per_rank());
  std::vector<int> sizes;
  for (int i = 0; i < 120; ++i) sizes.push_back(i % 3 == 0 ? 600'000 : i % 3 == 1 ? 100'000 : 10);
  std::vector<fut::Future<std::string>> fs;
  for (int n : sizes) fs.push_back(pool.submit(&bytes_of, n));
  for (std::size_t i = 0; i < fs.size(); ++i) EXPECT_EQ(fs[i].result(), bytes_of(sizes[i])) << i;
}

TEST(MPIPoolExecutor, InitializerRunsInEveryWorkerOfEveryRank) {
  mpi::MPIPoolOptions o = two_per_rank();
  o.initializer = mp::Initializer(&set_initialized, 42);
  mpi::MPIPoolExecutor pool(o);
  const auto got = pool.map(&rank_and_init, std::vector<int>(64, 0), 1);
  std::set<int> ranks;
  for (const auto& [r, v] : got) {
    EXPECT_EQ(v, 42);
    ranks.insert(r);
  }
  EXPECT_EQ(ranks, worker_ranks());
}

TEST(MPIPoolExecutor, FailingInitializerBreaksThePool) {
  mpi::MPIPoolOptions o = two_per_rank();
  o.initializer = mp::Initializer(&init_throws, 1);
  mpi::MPIPoolExecutor pool(o);
  try {
    pool.submit(&square, 3).result();
    ADD_FAILURE() << "no exception";
  } catch (const fut::BrokenProcessPool& e) {  // as Python's: the pool is not usable any more
    EXPECT_NE(std::string(e.what()).find("initializer refused"), std::string::npos) << e.what();
  }
  EXPECT_THROW(pool.submit(&square, 3), fut::BrokenProcessPool);
}

TEST(MPIPool, FailingInitializerFailsTheTasksWithItsException) {
  mpi::MPIPoolOptions o = two_per_rank();
  o.initializer = mp::Initializer(&init_throws, 1);
  mpi::Pool pool(o);
  EXPECT_THROW(pool.apply(&square, 3), std::domain_error);
}

TEST(MPIPoolExecutor, ShutdownCancelFuturesLeavesNothingPending) {
  mpi::MPIPoolExecutor pool(two_per_rank());
  std::vector<fut::Future<int>> fs;
  for (int i = 0; i < 120; ++i) fs.push_back(pool.submit(&work_ms, 10));
  pool.shutdown(true, true);
  int cancelled = 0, finished = 0;
  for (auto& f : fs) {
    ASSERT_TRUE(f.done());
    if (f.cancelled())
      ++cancelled;
    else if (f.result() == 10)
      ++finished;
  }
  EXPECT_EQ(cancelled + finished, 120);
  EXPECT_GT(cancelled, 0);
  EXPECT_THROW(pool.submit(&square, 1), std::logic_error);
  EXPECT_THROW(pool.map(&square, std::vector<int>{1}), std::logic_error);
}

TEST(MPIPoolExecutor, LargeArgumentsAndResultsTravelWhole) {
  mpi::MPIPoolExecutor pool(two_per_rank());
  std::string big(3 << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131 % 251);
  EXPECT_EQ(pool.submit(&echo, big).result(), big);
  const std::vector<std::string> several(4, big.substr(0, 100'000));
  EXPECT_EQ(pool.map(&echo, several, 1), several);
}

TEST(MPIPoolExecutor, LeavesNoChildrenOrFdsOnRankZero) {
  { mpi::MPIPoolExecutor warm(two_per_rank()); }  // the dispatcher thread starts once
  concur::test::LeakGuard guard;
  {
    mpi::MPIPoolExecutor pool(two_per_rank());
    EXPECT_EQ(pool.submit(&square, 3).result(), 9);
  }
  guard.check();
}

TEST(MPIPoolExecutor, UseRankZeroAddsLocalWorkers) {
  mpi::MPIPoolOptions o = two_per_rank();
  o.use_rank0 = true;
  mpi::MPIPoolExecutor pool(o);
  EXPECT_EQ(pool.max_workers(), 2u * static_cast<unsigned>(mpi::size()));
  const auto ranks = pool.map(&where, std::vector<int>(200, 0), 1);
  std::set<int> want = worker_ranks();
  want.insert(0);
  EXPECT_EQ(std::set<int>(ranks.begin(), ranks.end()), want);
}

TEST(MPIPoolExecutor, HandlesCannotTravelToAnotherRank) {
  if (mpi::size() == 1) GTEST_SKIP() << "no other rank without a launcher";
  mpi::MPIPoolExecutor pool(two_per_rank());
  mp::SharedArray<int> a(4);
  EXPECT_THROW(pool.submit(
                       +[](mp::SharedArray<int> s) { return static_cast<int>(s.size()); }, a)
                   .result(),
               mp::ProcessError);
}

// The number of tasks in flight on a rank follows its throughput (src/mpi/window.hpp).
TEST(MPIWindow, FollowsTheRanksThroughputBetweenFloorAndCap) {
  using concur::mpi::detail::Window;
  using std::chrono::microseconds;
  Window w(2);
  EXPECT_EQ(w.size(), 8u);  // 4 per worker before anything came back
  auto t = Window::Clock::now();
  w.resume(t);
  w.completed(10, t + microseconds(50));  // too short a sample: no change yet
  EXPECT_EQ(w.size(), 8u);
  w.completed(10, t + microseconds(100));  // 20 tasks in 100 us: 10 ms of them is 2000
  EXPECT_EQ(w.size(), 2000u);
  t += microseconds(100);
  w.completed(1000, t + microseconds(100));  // 10^7 a second: capped
  EXPECT_EQ(w.size(), Window::cap);
  t += microseconds(100);
  w.completed(1, t + microseconds(10'000));  // 10 ms tasks: back to the floor
  EXPECT_EQ(w.size(), 8u);
  t += microseconds(10'000);
  w.resume(t + std::chrono::seconds(5));  // idle time does not count as slowness
  w.completed(10, t + std::chrono::seconds(5) + microseconds(100));
  EXPECT_EQ(w.size(), 1000u);
}

TEST(MPIPool, MapStarmapApply) {
  mpi::Pool pool(two_per_rank());
  EXPECT_EQ(pool.map(&twice, std::vector<int>{1, 2, 3}), (std::vector<int>{2, 4, 6}));
  EXPECT_EQ(pool.starmap(&add, std::vector<std::tuple<int, int>>{{1, 2}, {3, 4}}),
            (std::vector<int>{3, 7}));
  EXPECT_EQ(pool.apply(&square, 9), 81);
  auto r = pool.apply_async(&square, 5);
  EXPECT_EQ(r.get(), 25);
  auto m = pool.map_async(&twice, std::vector<int>(100, 1), 7);
  EXPECT_EQ(m.get(), std::vector<int>(100, 2));
  pool.close();
  pool.join();
}

TEST(MPIPool, ImapUnorderedYieldsEveryResultOnce) {
  mpi::Pool pool(two_per_rank());
  std::vector<int> items(1000);
  std::iota(items.begin(), items.end(), 0);
  std::multiset<int> got;
  for (int r : pool.imap_unordered(&twice, items, 10)) got.insert(r);
  std::multiset<int> want;
  for (int x : items) want.insert(2 * x);
  EXPECT_EQ(got, want);
  std::vector<int> ordered;
  for (int r : pool.imap(&twice, items, 7)) ordered.push_back(r);
  EXPECT_EQ(ordered.size(), items.size());
  EXPECT_TRUE(std::is_sorted(ordered.begin(), ordered.end()));
}

TEST(MPIPool, TerminateFailsWhatIsLeft) {
  mpi::Pool pool(two_per_rank());
  auto slow = pool.map_async(&work_ms, std::vector<int>(40, 50), 1);
  pool.terminate();
  EXPECT_THROW(slow.get(), mp::ProcessError);
  EXPECT_THROW(pool.apply(&square, 1), std::invalid_argument);
}

}  // namespace

int main(int argc, char** argv) {
  mpi::init(argc, argv);  // ranks != 0 serve as agents and never return
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
