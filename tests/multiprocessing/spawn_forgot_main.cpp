// A program that uses StartMethod::spawn but gets freeze_support() wrong, for the spawn
// tests. Usage: concur_spawn_forgot MODE
//   never: freeze_support() is never called  -> the Pool refuses at once in the parent
//   late:  only the parent calls it (a spawned child goes on into main's code)
//   block: only the parent calls it, and the child's main blocks forever
//   later, later-block: the first worker is right; its replacement (maxtasksperchild=1) goes
//          on into main's code / blocks forever in main -> the second task fails
//   later-partial: the replacement writes half a handshake, then blocks forever
//   later-join: as later-block, but the pool is closed and joined after the first task
// Prints "error: <what()>" (exit 0) when the pool fails as it should ("joined" for
// later-join), "ran" (exit 1) if not.
#include <unistd.h>

#include <concur/multiprocessing.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace mp = concur::multiprocessing;

int twice(int x) { return 2 * x; }

namespace {

// Spawned children of the "later" modes: right (freeze_support) until the parent sets
// CONCUR_TEST_FORGET, then wrong in the way it names.
void child_of_later_mode(int argc, char** argv) {
  const char* forget = std::getenv("CONCUR_TEST_FORGET");
  if (forget == nullptr) mp::freeze_support(argc, argv);  // never returns in a worker
  if (std::string(forget) == "partial") {
    // Half a handshake on the channel (fd 3), then silence: the parent must not wait for the
    // rest beyond its handshake timeout.
    (void)!::write(3, "CONCURSP", 8);
    for (;;) ::pause();
  }
  if (std::string(forget) == "block") {
    for (;;) ::pause();
  }
}

int later_mode(const std::string& mode) {
  try {
    mp::Pool pool(1, {.start_method = mp::StartMethod::spawn, .maxtasksperchild = 1});
    // The first worker has started (its handshake was awaited); every later one is wrong.
    ::setenv("CONCUR_TEST_FORGET",
             mode == "later"           ? "run"
             : mode == "later-partial" ? "partial"
                                       : "block",
             1);
    std::printf("first %d\n", pool.apply(twice, 21));
    if (mode == "later-join") {
      pool.close();
      pool.join();  // the replacement never answers: it is killed, not waited for
      std::printf("joined\n");
      return 0;
    }
    std::printf("ran %d\n", pool.apply(twice, 21));
    return 1;
  } catch (const std::exception& e) {
    std::printf("error: %s\n", e.what());
    return 0;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "never";
  // Our pid tells the parent from a spawned copy of it (which gets the same argv).
  const char* parent = std::getenv("CONCUR_TEST_PARENT_PID");
  const bool is_parent = parent == nullptr || std::to_string(::getpid()) == parent;
  if (is_parent) ::setenv("CONCUR_TEST_PARENT_PID", std::to_string(::getpid()).c_str(), 1);
  const bool later = mode.rfind("later", 0) == 0;
  if (later && !is_parent) child_of_later_mode(argc, argv);
  if (mode != "never" && is_parent) mp::freeze_support(argc, argv);
  if (!is_parent && mode == "block") {
    for (;;) ::pause();  // a child stuck in main before it ever starts workers
  }
  if (later && is_parent) return later_mode(mode);
  try {
    mp::Pool pool(1, {.start_method = mp::StartMethod::spawn});
    std::printf("ran %d\n", pool.apply(twice, 21));
    return 1;
  } catch (const std::exception& e) {
    std::printf("error: %s\n", e.what());
    return 0;
  }
}
