// A program that uses StartMethod::spawn but gets freeze_support() wrong, for the spawn
// tests. Usage: concur_spawn_forgot MODE
//   never: freeze_support() is never called  -> the Pool refuses at once in the parent
//   late:  only the parent calls it (a spawned child goes on into main's code)
//   block: only the parent calls it, and the child's main blocks forever
// Prints "error: <what()>" (exit 0) when the pool fails as it should, "ran" (exit 1) if not.
#include <unistd.h>

#include <concur/multiprocessing.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace mp = concur::multiprocessing;

int twice(int x) { return 2 * x; }

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "never";
  // Our pid tells the parent from a spawned copy of it (which gets the same argv).
  const char* parent = std::getenv("CONCUR_TEST_PARENT_PID");
  const bool is_parent = parent == nullptr || std::to_string(::getpid()) == parent;
  if (is_parent) ::setenv("CONCUR_TEST_PARENT_PID", std::to_string(::getpid()).c_str(), 1);
  if (mode != "never" && is_parent) mp::freeze_support(argc, argv);
  if (!is_parent && mode == "block") {
    for (;;) ::pause();  // a child stuck in main before it ever starts workers
  }
  try {
    mp::Pool pool(1, {.start_method = mp::StartMethod::spawn});
    std::printf("ran %d\n", pool.apply(twice, 21));
    return 1;
  } catch (const std::exception& e) {
    std::printf("error: %s\n", e.what());
    return 0;
  }
}
