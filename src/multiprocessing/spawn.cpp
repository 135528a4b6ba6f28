// The spawn start method: see spawn.hpp.
#include "multiprocessing/spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "concur/detail/core/deadline.hpp"
#include "concur/detail/core/error.hpp"
#include "concur/detail/core/fd.hpp"
#include "concur/detail/core/random.hpp"
#include "concur/multiprocessing/errors.hpp"
#include "concur/multiprocessing/start_method.hpp"
#include "multiprocessing/registry.hpp"
#include "multiprocessing/worker_link.hpp"

extern char** environ;

namespace concur::multiprocessing::detail {
namespace {

constexpr const char* marker = "CONCUR_SPAWN_WORKER";
constexpr int child_channel_fd = 3;
constexpr int runaway_exit = 86;  // a spawned child whose main() went on without freeze_support
constexpr char hello_magic[8] = {'C', 'O', 'N', 'C', 'U', 'R', 'S', 'P'};

std::atomic<bool> freeze_called{false};
bool spawned = false;

// This program's argv as /proc/self/cmdline has it: each argument NUL-terminated. (The core's
// read_to_end(), not an ifstream: the first ifstream of a program pays for its locale set-up.)
std::string own_cmdline() {
  std::string all;
  const concur::detail::UniqueFd fd(::open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC));
  if (fd) {
    try {
      all = concur::detail::read_to_end(fd.get());
    } catch (const std::system_error&) {  // unreadable: the fallback name
    }
  }
  if (all.empty()) all = "concur-spawned-worker";
  if (all.back() != '\0') all.push_back('\0');
  return all;
}

int reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -SIGKILL;
  }
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -SIGKILL;
}

[[noreturn]] void handshake_failed(pid_t pid, bool timed_out) {
  if (timed_out) ::kill(pid, SIGKILL);
  throw ProcessError(handshake_failure(pid, reap(pid), timed_out));
}

bool handshake_matches(const char (&hello)[16], std::uint64_t nonce) {
  std::uint64_t echoed = 0;
  std::memcpy(&echoed, hello + 8, sizeof echoed);
  return std::memcmp(hello, hello_magic, 8) == 0 && echoed == nonce;
}

enum class Hello { ok, timed_out, closed };

// Reads the 16 bytes of a child's handshake, waiting for them until `deadline` (a child that
// wrote part of one and hung cannot hold the reader for longer).
Hello read_hello(int fd, char (&hello)[16], const concur::detail::Deadline& deadline) {
  std::size_t got = 0;
  while (got < sizeof hello) {
    if (!concur::detail::wait_readable(fd, deadline.poll_ms())) return Hello::timed_out;
    const ssize_t r = ::read(fd, hello + got, sizeof hello - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return Hello::closed;
    got += static_cast<std::size_t>(r);
  }
  return Hello::ok;
}

struct FileActions {
  posix_spawn_file_actions_t a;
  FileActions() { ::posix_spawn_file_actions_init(&a); }
  ~FileActions() { ::posix_spawn_file_actions_destroy(&a); }
};
struct Attr {
  posix_spawnattr_t a;
  Attr() { ::posix_spawnattr_init(&a); }
  ~Attr() { ::posix_spawnattr_destroy(&a); }
};

}  // namespace

bool in_spawned_worker() { return spawned; }

std::string handshake_failure(pid_t pid, int code, bool timed_out) {
  std::string why;
  if (timed_out) {
    char secs[32];
    std::snprintf(secs, sizeof secs, "%g", spawn_handshake_timeout().count());
    why = "did not answer within " + std::string(secs) +
          " s: the program did not call concur::multiprocessing::freeze_support(argc, argv) "
          "first in main() (or main() blocks before it)";
  } else if (code == runaway_exit) {
    why =
        "ran main() and tried to start workers of its own: the program did not call "
        "concur::multiprocessing::freeze_support(argc, argv) first in main()";
  } else {
    why = "exited with " +
          (code < 0 ? "signal " + std::to_string(-code) : "code " + std::to_string(code)) +
          " before the handshake: the program did not call "
          "concur::multiprocessing::freeze_support(argc, argv) first in main() (or it failed "
          "to start)";
  }
  return "concur::multiprocessing: spawned worker " + std::to_string(pid) + " " + why;
}

Duration spawn_handshake_timeout() {
  if (const char* s = std::getenv("CONCUR_SPAWN_TIMEOUT")) {
    char* end = nullptr;
    const double v = std::strtod(s, &end);
    if (end != s && v > 0 && std::isfinite(v)) return Duration(v);
  }
  return Duration(60.0);
}

void check_not_runaway_spawn_child() {
  if (freeze_called.load() || std::getenv(marker) == nullptr) return;
  std::fprintf(stderr,
               "concur: this process was spawned as a worker, but main() went on without "
               "calling concur::multiprocessing::freeze_support(argc, argv) first and now "
               "starts workers of its own; exiting (code %d) instead of multiplying\n",
               runaway_exit);
  std::fflush(stderr);
  ::_exit(runaway_exit);
}

PendingSpawn::~PendingSpawn() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  reap(pid_);
}

PendingSpawn launch_spawn() {
  check_not_runaway_spawn_child();
  if (!freeze_called.load())
    throw ProcessError(
        "concur::multiprocessing: StartMethod::spawn runs this program again in each worker: "
        "call concur::multiprocessing::freeze_support(argc, argv) first in main()");
  std::string args = own_cmdline();
  std::vector<char*> argv;
  for (std::size_t at = 0; at < args.size(); at = args.find('\0', at) + 1)
    argv.push_back(args.data() + at);
  argv.push_back(nullptr);

  const std::uint64_t nonce = concur::detail::random_u64();
  const std::string mark = std::string(marker) + "=" + std::to_string(child_channel_fd) + "," +
                           std::to_string(::getpid()) + "," + std::to_string(nonce) + "," +
                           (may_arm_parent_death_signal() ? "1" : "0");
  std::vector<char*> envp;
  const std::size_t mlen = std::strlen(marker);
  for (char** e = environ; e != nullptr && *e != nullptr; ++e)
    if (std::strncmp(*e, marker, mlen) != 0 || (*e)[mlen] != '=') envp.push_back(*e);
  envp.push_back(const_cast<char*>(mark.c_str()));
  envp.push_back(nullptr);

  auto [ours, theirs] = concur::detail::make_socketpair();
  tune_channel(ours.get());
  tune_channel(theirs.get());
  FileActions fa;
  ::posix_spawn_file_actions_adddup2(&fa.a, theirs.get(), child_channel_fd);
  ::posix_spawn_file_actions_addopen(&fa.a, 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_addclosefrom_np(&fa.a, child_channel_fd + 1);
  Attr attr;
  sigset_t none, all;
  ::sigemptyset(&none);
  ::sigfillset(&all);
  ::posix_spawnattr_setsigmask(&attr.a, &none);
  ::posix_spawnattr_setsigdefault(&attr.a, &all);
  ::posix_spawnattr_setflags(&attr.a, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, "/proc/self/exe", &fa.a, &attr.a, argv.data(), envp.data());
  if (rc != 0)
    concur::detail::throw_errno(rc, "concur::multiprocessing: posix_spawn(/proc/self/exe)");
  return PendingSpawn(pid, std::move(ours), nonce);
}

SpawnedWorker finish_spawn(PendingSpawn p) {
  return finish_spawn(std::move(p), concur::detail::Deadline::after(spawn_handshake_timeout()));
}

SpawnedWorker finish_spawn(PendingSpawn p, const concur::detail::Deadline& deadline) {
  const pid_t pid = p.pid_;
  const int fd = p.channel_.get();
  const auto fail = [&](bool timed_out) {
    p.pid_ = -1;  // handshake_failed() kills (on timeout) and reaps it
    handshake_failed(pid, timed_out);
  };
  char hello[16];
  const Hello got = read_hello(fd, hello, deadline);
  if (got != Hello::ok) fail(got == Hello::timed_out);
  if (!handshake_matches(hello, p.nonce_))
    throw ProcessError("concur::multiprocessing: spawned worker sent a wrong handshake");
  p.pid_ = -1;  // handed over
  return {pid, std::move(p.channel_), std::nullopt};
}

SpawnedWorker adopt_unverified(PendingSpawn p) {
  const pid_t pid = std::exchange(p.pid_, -1);
  return {pid, std::move(p.channel_), p.nonce_};
}

bool read_handshake(int fd, std::uint64_t nonce, const concur::detail::Deadline& deadline) {
  char hello[16];
  return read_hello(fd, hello, deadline) == Hello::ok && handshake_matches(hello, nonce);
}

}  // namespace concur::multiprocessing::detail

namespace concur::multiprocessing {

void freeze_support(int /*argc*/, char** /*argv*/) {
  using namespace detail;
  freeze_called = true;
  const char* m = std::getenv(marker);
  if (m == nullptr) return;  // the parent, or a program run by hand: nothing to do
  int fd = -1;
  long parent = 0;
  unsigned long long nonce = 0;
  int arm = 1;  // see children_die_with_this_thread()
  if (std::sscanf(m, "%d,%ld,%llu,%d", &fd, &parent, &nonce, &arm) < 3 || fd < 0) {
    std::fprintf(stderr, "concur: malformed %s in the environment\n", marker);
    ::_exit(2);
  }
  ::unsetenv(marker);  // this worker's own children are not workers of our parent
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  if (arm != 0) ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != static_cast<pid_t>(parent)) ::_exit(1);  // the parent died already
  spawned = true;
  mark_worker();
  char hello[16];
  std::memcpy(hello, hello_magic, 8);
  const std::uint64_t n = nonce;
  std::memcpy(hello + 8, &n, sizeof n);
  if (!concur::detail::write_all(fd, hello, sizeof hello)) ::_exit(1);
  worker_main(fd);
}

}  // namespace concur::multiprocessing
