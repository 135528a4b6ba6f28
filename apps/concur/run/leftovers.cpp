// Why /proc and not a cgroup per job: cgroups need delegation we cannot assume (containers,
// CI runners); the subreaper works for any unprivileged process. A leftover that clears its
// environment and leaves the group is not attributed to its job: it is killed when the run
// ends (kill_escaped_children), and a pipe it holds open is reported as held open.
#include "leftovers.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <concur/detail/core/fd.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace concur::cli::run {
namespace {

// Up to `cap` bytes of a /proc file ("" if unreadable). The buffer grows as the file does:
// this runs at every job's exit, and most of these files are a few bytes long.
std::string read_proc(const std::string& path, std::size_t cap) {
  detail::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return {};
  try {
    return detail::read_to_end(fd.get(), cap);
  } catch (const std::system_error&) {
    return {};
  }
}

struct Stat {
  char state = '?';
  pid_t ppid = 0, pgid = 0;
};

bool read_stat(pid_t pid, Stat& st) {
  const std::string line = read_proc("/proc/" + std::to_string(pid) + "/stat", 1024);
  const auto close = line.rfind(')');  // the name may contain anything, even ')'
  if (close == std::string::npos || close + 2 >= line.size()) return false;
  long ppid = 0, pgid = 0;
  if (std::sscanf(line.c_str() + close + 2, "%c %ld %ld", &st.state, &ppid, &pgid) != 3)
    return false;
  st.ppid = static_cast<pid_t>(ppid);
  st.pgid = static_cast<pid_t>(pgid);
  return true;
}

template <class F>
void for_each_pid(const char* dir, F&& f) {
  DIR* d = ::opendir(dir);
  if (d == nullptr) return;
  while (const dirent* e = ::readdir(d)) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (end != e->d_name && *end == '\0' && pid > 0) f(static_cast<pid_t>(pid));
  }
  ::closedir(d);
}

// 1: has it, 0: has it not, -1: cannot tell (empty while the process execs, or unreadable).
int environ_has(pid_t pid, const std::string& marker) {
  const std::string env = read_proc("/proc/" + std::to_string(pid) + "/environ", 1 << 20);
  if (env.empty()) return -1;
  std::size_t start = 0;
  while (start < env.size()) {
    const auto end = std::min(env.find('\0', start), env.size());
    if (env.compare(start, end - start, marker) == 0) return 1;
    start = end + 1;
  }
  return 0;
}

}  // namespace

std::vector<pid_t> our_children() {
  std::vector<pid_t> kids;
  for_each_pid("/proc/self/task", [&](pid_t tid) {
    const std::string list =
        read_proc("/proc/self/task/" + std::to_string(tid) + "/children", 1 << 20);
    const char* p = list.c_str();
    char* end = nullptr;
    for (long v = std::strtol(p, &end, 10); end != p; v = std::strtol(p, &end, 10)) {
      kids.push_back(static_cast<pid_t>(v));
      p = end;
    }
  });
  return kids;
}

std::vector<pid_t> leftovers_of(pid_t pgid, const std::string& marker, const std::set<pid_t>& mains,
                                bool* uncertain) {
  if (uncertain != nullptr) *uncertain = false;
  std::vector<pid_t> found;
  Stat st;
  if (pgid > 0 && ::kill(-pgid, 0) == 0) {  // someone (maybe a zombie) is in the group
    for_each_pid("/proc", [&](pid_t pid) {
      if (read_stat(pid, st) && st.pgid == pgid && st.state != 'Z') found.push_back(pid);
    });
  }
  for (const pid_t kid : our_children()) {
    if (mains.count(kid) > 0 || std::find(found.begin(), found.end(), kid) != found.end()) continue;
    if (!read_stat(kid, st) || st.state == 'Z') continue;
    const int has = environ_has(kid, marker);
    if (has == 1) found.push_back(kid);
    if (has < 0 && uncertain != nullptr) *uncertain = true;
  }
  return found;
}

std::string describe_process(pid_t pid) {
  const std::string base = "/proc/" + std::to_string(pid);
  std::string args = read_proc(base + "/cmdline", 4096);
  while (!args.empty() && args.back() == '\0') args.pop_back();
  std::replace(args.begin(), args.end(), '\0', ' ');
  if (args.empty()) {
    args = read_proc(base + "/comm", 256);
    if (!args.empty() && args.back() == '\n') args.pop_back();
  }
  return args.empty() ? std::to_string(pid) : std::to_string(pid) + " " + args;
}

void kill_escaped_children() {
  for (const pid_t pid : our_children()) {
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
}

}  // namespace concur::cli::run
