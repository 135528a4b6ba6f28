// See exec_floor.hpp.
#include "harness/exec_floor.hpp"

#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "harness/harness.hpp"

extern char** environ;

namespace concur::bench {
namespace {
constexpr const char* kMarker = "CONCUR_BENCH_EXEC_FLOOR=1";
}

void answer_if_exec_floor_child() {
  const char* v = std::getenv("CONCUR_BENCH_EXEC_FLOOR");
  if (v == nullptr) return;
  const char one = 1;
  (void)!::write(3, &one, 1);
  ::_exit(0);
}

double exec_floor(int workers) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    throw std::runtime_error("exec_floor: socketpair");
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) envp.push_back(*e);
  envp.push_back(const_cast<char*>(kMarker));
  envp.push_back(nullptr);
  char* argv[] = {const_cast<char*>("concur_bench"), nullptr};
  posix_spawn_file_actions_t fa;
  ::posix_spawn_file_actions_init(&fa);
  ::posix_spawn_file_actions_adddup2(&fa, sv[1], 3);
  std::vector<pid_t> pids;
  const double t = time_it([&] {
    for (int i = 0; i < workers; ++i) {
      pid_t pid = -1;
      if (::posix_spawn(&pid, "/proc/self/exe", &fa, nullptr, argv, envp.data()) == 0)
        pids.push_back(pid);
    }
    char c = 0;
    if (pids.empty() || ::read(sv[0], &c, 1) != 1)
      throw std::runtime_error("exec_floor: no answer");
  });
  ::posix_spawn_file_actions_destroy(&fa);
  for (pid_t pid : pids) ::waitpid(pid, nullptr, 0);
  ::close(sv[0]);
  ::close(sv[1]);
  return t;
}

}  // namespace concur::bench
