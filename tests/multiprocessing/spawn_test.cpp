// StartMethod::spawn, after CPython's spawn-context tests: workers are fresh execs of this
// program (not forks: the parent's memory is not there), functions travel as offsets in the
// program image or in a shared library, a program that gets freeze_support() wrong fails
// clearly, and spawning is safe while the parent runs busy threads.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <concur/multiprocessing.hpp>
#include <concur/subprocess.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/leak_check.hpp"

namespace mp = concur::multiprocessing;
namespace sp = concur::subprocess;
using namespace std::chrono_literals;

namespace {

class SpawnTest : public concur::test::NoLeakTest {};

const mp::PoolOptions spawn_pool{.start_method = mp::StartMethod::spawn};

int twice(int x) { return 2 * x; }

int global_value = 0;  // set by the parent; a spawned worker starts from the program's 0
int read_global(int) { return global_value; }

std::string exe_of(pid_t pid) {
  return std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe").string();
}
std::string my_exe(int) { return exe_of(::getpid()); }
int parent_of_worker(int) { return static_cast<int>(::getppid()); }
std::uint64_t address_of_twice(int) { return reinterpret_cast<std::uintptr_t>(&twice); }
std::string stdin_of_worker(int) {
  return std::filesystem::read_symlink("/proc/self/fd/0").string();
}

// Waits (at most 30 s) until the other pool worker is in here too; returns this worker's pid.
int meet_the_other_worker(mp::Barrier both) {
  both.wait();
  return static_cast<int>(::getpid());
}

bool aslr_on() {
  std::ifstream f("/proc/sys/kernel/randomize_va_space");
  int v = 0;
  f >> v;
  return v != 0;
}

}  // namespace

TEST_F(SpawnTest, SpawnIsAmongTheStartMethods) {
  const auto all = mp::get_all_start_methods();
  EXPECT_NE(std::find(all.begin(), all.end(), mp::StartMethod::spawn), all.end());
  EXPECT_NE(std::find(all.begin(), all.end(), mp::StartMethod::fork), all.end());
}

TEST_F(SpawnTest, PoolMapsOnWorkersThatAreFreshExecsOfThisProgram) {
  mp::Pool pool(2, spawn_pool);
  std::vector<int> items(100);
  for (int i = 0; i < 100; ++i) items[static_cast<std::size_t>(i)] = i;
  const auto doubled = pool.map(twice, items);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(doubled[static_cast<std::size_t>(i)], 2 * i);
  EXPECT_EQ(pool.apply(my_exe, 0), exe_of(::getpid()));
  EXPECT_EQ(pool.apply(parent_of_worker, 0), static_cast<int>(::getpid()));
  EXPECT_EQ(pool.apply(stdin_of_worker, 0), "/dev/null");
}

TEST_F(SpawnTest, WorkersDoNotInheritTheParentsMemory) {
  global_value = 42;
  mp::Pool forked(1);
  EXPECT_EQ(forked.apply(read_global, 0), 42);  // fork: a copy of our memory
  mp::Pool spawned(1, spawn_pool);
  EXPECT_EQ(spawned.apply(read_global, 0), 0);  // spawn: the program, started afresh
  global_value = 0;
}

TEST_F(SpawnTest, FunctionsAreFoundWhereverAslrPutTheProgram) {
  mp::Pool pool(1, spawn_pool);
  const auto theirs = pool.apply(address_of_twice, 0);
  if (aslr_on()) {
    EXPECT_NE(theirs, reinterpret_cast<std::uintptr_t>(&twice));
  }
  EXPECT_EQ(pool.apply(twice, 21), 42);  // our &twice, called at their address
  EXPECT_EQ(pool.apply(
                +[](int x) { return x + 1; }, 1),
            2);  // a capture-less lambda
}

TEST_F(SpawnTest, FunctionInASharedLibraryTravelsAsLibraryAndOffset) {
  void* lib = ::dlopen(CONCUR_SPAWN_TESTLIB, RTLD_NOW | RTLD_LOCAL);  // not linked: dlopen()ed
  ASSERT_NE(lib, nullptr) << ::dlerror();
  auto* triple = reinterpret_cast<int (*)(int)>(::dlsym(lib, "concur_testlib_triple"));
  ASSERT_NE(triple, nullptr);
  mp::Pool pool(1, spawn_pool);
  EXPECT_EQ(pool.apply(triple, 14), 42);
  EXPECT_EQ(pool.apply(static_cast<int (*)(int)>(&::abs), -7), 7);  // libc's
  ::dlclose(lib);
}

// The pool waits only for its first worker's handshake (its first task goes there); the
// others join as their handshakes arrive. Two tasks that can only finish together prove both
// workers serve.
TEST_F(SpawnTest, EveryWorkerServesThoughThePoolWaitsOnlyForTheFirst) {
  mp::Pool pool(2, spawn_pool);
  mp::Barrier both(2, 30s);
  auto a = pool.apply_async(meet_the_other_worker, both);
  auto b = pool.apply_async(meet_the_other_worker, both);
  const int pa = a.get(), pb = b.get();
  EXPECT_NE(pa, pb);
  const auto pids = pool.pids();
  EXPECT_NE(std::find(pids.begin(), pids.end(), pa), pids.end());
  EXPECT_NE(std::find(pids.begin(), pids.end(), pb), pids.end());
}

TEST_F(SpawnTest, ATaskExceptionAndACrashKeepTheirMeaning) {
  mp::Pool pool(1, spawn_pool);
  EXPECT_THROW(pool.apply(
                   +[](int) -> int { throw std::out_of_range("oops"); }, 0),
               std::exception);
  EXPECT_THROW(pool.apply(
                   +[](int) -> int { ::_exit(3); }, 0),
               mp::WorkerCrashed);
  EXPECT_EQ(pool.apply(twice, 5), 10);  // replaced by a new spawned worker
}

TEST_F(SpawnTest, ProcessRunsInASpawnedChild) {
  auto [ours, theirs] = mp::Pipe();
  mp::Process p(
      mp::ProcessOptions{.start_method = mp::StartMethod::spawn},
      +[](mp::Connection c, int x) { c.send(twice(x) + global_value); }, theirs, 20);
  global_value = 1000;  // not seen by the spawned child
  p.start();
  EXPECT_EQ(ours.recv<int>(), 40);
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  global_value = 0;
}

TEST_F(SpawnTest, SafeWhileFourThreadsAreBusy) {
  std::atomic<bool> stop{false};
  std::mutex held;
  std::vector<std::thread> busy;
  for (int i = 0; i < 4; ++i)
    busy.emplace_back([&stop, &held, i] {
      while (!stop.load()) {
        if (i == 0) {
          std::lock_guard lock(held);       // a lock held at the moment of the spawn, often
          std::vector<int> churn(1000, i);  // and malloc's
        }
      }
    });
  {
    mp::Pool pool(2, spawn_pool);
    EXPECT_EQ(pool.map(twice, std::vector<int>{1, 2, 3, 4}), (std::vector<int>{2, 4, 6, 8}));
  }
  stop = true;
  for (auto& t : busy) t.join();
}

// Runs concur_spawn_forgot (a program that misuses spawn in the way `mode` names) and checks
// that it ended well: what the pool reported is in its output. With `spawn_timeout`, it runs
// with CONCUR_SPAWN_TIMEOUT set to that many seconds.
sp::CompletedProcess run_forgot(const char* mode, const char* spawn_timeout = nullptr,
                                std::chrono::seconds limit = 30s) {
  std::optional<std::map<std::string, std::string>> env;
  if (spawn_timeout != nullptr) {
    env.emplace();
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string kv = *e;
      const auto eq = kv.find('=');
      if (eq != std::string::npos) (*env)[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    (*env)["CONCUR_SPAWN_TIMEOUT"] = spawn_timeout;
  }
  auto r =
      sp::run({CONCUR_SPAWN_FORGOT, mode}, {.capture_output = true, .timeout = limit, .env = env});
  EXPECT_EQ(r.returncode, 0) << mode << ": " << r.out << r.err;
  return r;
}

bool has(const std::string& text, const char* what) { return text.find(what) != std::string::npos; }

constexpr const char* kDiagnosis = "did not call concur::multiprocessing::freeze_support";

TEST_F(SpawnTest, AProgramThatNeverCallsFreezeSupportIsRefusedAtOnce) {
  const auto r = run_forgot("never");
  EXPECT_TRUE(has(r.out, "freeze_support")) << r.out;
}

TEST_F(SpawnTest, AChildThatRunsMainInsteadOfFreezeSupportFailsThePoolNotAForkBomb) {
  const auto r = run_forgot("late");
  EXPECT_TRUE(has(r.out, kDiagnosis)) << r.out;
  EXPECT_TRUE(has(r.err, "without calling")) << r.err;  // the child's word
}

TEST_F(SpawnTest, AChildStuckBeforeFreezeSupportTimesOutAndIsKilled) {
  const auto r = run_forgot("block", "0.3");
  EXPECT_TRUE(has(r.out, "did not answer")) << r.out;
}

// Replacements are not awaited by the dispatch thread (their handshakes are read as they
// arrive): one that never answers still fails the tasks with the diagnosis, is not replaced
// in turn (no endless respawning), and does not hold up close() and join().
TEST_F(SpawnTest, AReplacementThatRunsMainFailsTheNextTaskWithTheDiagnosis) {
  const auto r = run_forgot("later");
  EXPECT_TRUE(has(r.out, "first 42")) << r.out;
  EXPECT_TRUE(has(r.out, "no worker could be started")) << r.out;
  EXPECT_TRUE(has(r.out, kDiagnosis)) << r.out;
  // One replacement ran main() (and said so), not a stream of them.
  std::size_t said = 0;
  for (auto at = r.err.find("without calling"); at != std::string::npos;
       at = r.err.find("without calling", at + 1))
    ++said;
  EXPECT_EQ(said, 1u) << r.err;
}

TEST_F(SpawnTest, AReplacementStuckBeforeFreezeSupportTimesOutAndFailsTheNextTask) {
  const auto r = run_forgot("later-block", "0.3");
  EXPECT_TRUE(has(r.out, "first 42")) << r.out;
  EXPECT_TRUE(has(r.out, "did not answer within 0.3 s")) << r.out;
}

TEST_F(SpawnTest, AReplacementThatSendsHalfAHandshakeTimesOutAndFailsTheNextTask) {
  // The channel turns readable, but the rest of the handshake never comes: the dispatch thread
  // may wait for it only until the handshake timeout, not for ever.
  const auto r = run_forgot("later-partial", "0.3");
  EXPECT_TRUE(has(r.out, "first 42")) << r.out;
  EXPECT_TRUE(has(r.out, "did not answer within 0.3 s")) << r.out;
}

TEST_F(SpawnTest, JoinDoesNotWaitForAReplacementThatNeverAnswers) {
  // The default handshake timeout (60 s) is far beyond the run's timeout: join() must kill the
  // replacement, not wait for it.
  const auto r = run_forgot("later-join", nullptr, 20s);
  EXPECT_TRUE(has(r.out, "joined")) << r.out;
}
