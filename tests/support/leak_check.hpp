// Test support: detect leaked file descriptors and unreaped children.
//
//   TEST(Popen, Something) {
//     concur::test::LeakGuard guard;   // snapshot of open fds
//     ... spawn things ...
//     guard.check();                   // EXPECTs: same fds open, no child of ours left
//   }
//
// Or derive a fixture from concur::test::NoLeakTest, which checks in TearDown.
// "No child left" counts every process whose parent is this one, zombies
// included: an unreaped child of ours is a leak. Orphans reparented elsewhere are
// not ours; use process_gone() for them (it counts zombies as dead, because the
// machine's PID 1 reaps slowly).
#pragma once

#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace concur::test {

/// The fds open in this process, from /proc/self/fd (the directory's own fd excluded).
inline std::set<int> open_fds() {
  std::set<int> fds;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return fds;
  const int self = ::dirfd(dir);
  while (const dirent* e = ::readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    const int fd = std::stoi(e->d_name);
    if (fd != self) fds.insert(fd);
  }
  ::closedir(dir);
  return fds;
}

/// What /proc/<pid>/fd/<fd> points at, for readable failure messages.
inline std::string fd_target(int fd) {
  char buf[512];
  const std::string link = "/proc/self/fd/" + std::to_string(fd);
  const ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
  return n < 0 ? std::string("?") : std::string(buf, static_cast<std::size_t>(n));
}

struct ProcStat {
  pid_t pid = 0;
  char state = '?';
  pid_t ppid = 0;
  pid_t pgrp = 0;
  pid_t session = 0;
};

/// Parses /proc/<pid>/stat; returns false if the process does not exist.
inline bool read_stat(pid_t pid, ProcStat& out) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!f || !std::getline(f, line)) return false;
  const auto close = line.rfind(')');  // comm may contain spaces and ')'
  if (close == std::string::npos) return false;
  std::istringstream rest(line.substr(close + 2));
  out.pid = pid;
  rest >> out.state >> out.ppid >> out.pgrp >> out.session;
  return static_cast<bool>(rest);
}

/// Every process on the machine, as read from /proc.
inline std::vector<ProcStat> all_processes() {
  std::vector<ProcStat> procs;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return procs;
  while (const dirent* e = ::readdir(dir)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    ProcStat s;
    if (read_stat(static_cast<pid_t>(std::stol(e->d_name)), s)) procs.push_back(s);
  }
  ::closedir(dir);
  return procs;
}

/// Children of this process (zombies included).
inline std::vector<ProcStat> children_of_self() {
  std::vector<ProcStat> kids;
  const pid_t self = ::getpid();
  for (const auto& p : all_processes())
    if (p.ppid == self) kids.push_back(p);
  return kids;
}

/// True if `pid` no longer runs: gone, or a zombie (dead, merely not reaped yet).
inline bool process_gone(pid_t pid) {
  ProcStat s;
  return !read_stat(pid, s) || s.state == 'Z' || s.state == 'X';
}

/// Live (non-zombie) processes in process group `pgrp`.
inline std::vector<pid_t> live_in_group(pid_t pgrp) {
  std::vector<pid_t> live;
  for (const auto& p : all_processes())
    if (p.pgrp == pgrp && p.state != 'Z' && p.state != 'X') live.push_back(p.pid);
  return live;
}

/// Live (non-zombie) processes in session `sid`.
inline std::vector<pid_t> live_in_session(pid_t sid) {
  std::vector<pid_t> live;
  for (const auto& p : all_processes())
    if (p.session == sid && p.state != 'Z' && p.state != 'X') live.push_back(p.pid);
  return live;
}

/// Polls `pred` until it holds or `limit` passes. For waiting on another process's
/// state (which offers nothing to block on), never as synchronisation between
/// threads of the test.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

/// Snapshot of open fds at construction; check() EXPECTs nothing leaked.
class LeakGuard {
 public:
  LeakGuard() : fds_(open_fds()) {}

  void check() const {
    const auto now = open_fds();
    std::vector<int> leaked;
    std::set_difference(now.begin(), now.end(), fds_.begin(), fds_.end(),
                        std::back_inserter(leaked));
    std::string detail;
    for (int fd : leaked) detail += " " + std::to_string(fd) + "->" + fd_target(fd);
    EXPECT_TRUE(leaked.empty()) << "leaked fds:" << detail;
    const auto kids = children_of_self();
    std::string kdetail;
    for (const auto& k : kids) kdetail += " " + std::to_string(k.pid) + "(" + k.state + ")";
    EXPECT_TRUE(kids.empty()) << "children left unreaped:" << kdetail;
  }

 private:
  std::set<int> fds_;
};

/// A fixture that checks for leaked fds and unreaped children after every test.
class NoLeakTest : public ::testing::Test {
 protected:
  void TearDown() override { guard_.check(); }

 private:
  LeakGuard guard_;
};

}  // namespace concur::test
