// Spawning with clone(CLONE_VM | CLONE_VFORK): the child shares our memory and runs on its own
// small stack while this thread is suspended, until it execs or exits. No page tables are
// copied, so a spawn costs the same from a 4 GiB parent as from a small one (fork() copies them).
//
// Rules for the child, which runs inside our address space:
// - It allocates nothing and calls only raw syscall()s: no libc state, no sanitizer interceptors,
//   no locks that another parent thread might hold.
// - All signals stay blocked (we block them before clone) until every handler of ours is reset
//   to SIG_DFL, so no parent handler ever runs on the child's stack.
// - Failures are written into the plan's shared result (the parent reads it when clone returns,
//   as glibc's posix_spawn does), so they come back as SpawnError with the child's errno instead
//   of exit status 127.
#include "subprocess/spawn.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <iterator>

#include "concur/subprocess/errors.hpp"

extern char** environ;  // NOLINT

namespace concur::subprocess::detail {
namespace {

enum class Stage : int {
  none,
  signals,
  setsid,
  setpgid,
  dup,
  cwd,
  rlimit,
  setgroups,
  setgid,
  setuid,
  close_fds,
  exec
};

const char* stage_name(Stage s) {
  switch (s) {
    case Stage::signals:
      return "reset signals";
    case Stage::setsid:
      return "setsid";
    case Stage::setpgid:
      return "setpgid";
    case Stage::dup:
      return "dup2";
    case Stage::cwd:
      return "chdir";
    case Stage::rlimit:
      return "setrlimit";
    case Stage::setgroups:
      return "setgroups";
    case Stage::setgid:
      return "setresgid";
    case Stage::setuid:
      return "setresuid";
    case Stage::close_fds:
      return "close_range";
    case Stage::exec:
      return "exec";
    case Stage::none:
      break;
  }
  return "spawn";
}

const char* rlimit_name(int resource) {
  static constexpr const char* names[] = {
      "RLIMIT_CPU",      "RLIMIT_FSIZE", "RLIMIT_DATA",   "RLIMIT_STACK",
      "RLIMIT_CORE",     "RLIMIT_RSS",   "RLIMIT_NPROC",  "RLIMIT_NOFILE",
      "RLIMIT_MEMLOCK",  "RLIMIT_AS",    "RLIMIT_LOCKS",  "RLIMIT_SIGPENDING",
      "RLIMIT_MSGQUEUE", "RLIMIT_NICE",  "RLIMIT_RTPRIO", "RLIMIT_RTTIME"};
  return resource >= 0 && resource < static_cast<int>(std::size(names)) ? names[resource]
                                                                        : "RLIMIT_?";
}

// The kernel's struct sigaction starts with the handler on every architecture we support; the
// rest is zero for SIG_DFL. 64 bytes covers every layout.
struct KernelSigaction {
  void* handler;
  unsigned long rest[7];
};

static_assert(sizeof(rlim_t) == 8, "prlimit64 takes 64-bit limits");

struct ChildArgs {
  const char* const* candidates;
  const char* const* argv;
  const char* const* envp;
  int stdio[3];
  bool err_to_stdout;
  bool reset_ignored;
  bool close_fds;
  const int* pass_fds;  // sorted
  std::size_t n_pass;
  const char* cwd;
  bool setsid;
  int pgid;
  int umask;
  const std::pair<int, rlim_t>* rlimits;
  std::size_t n_rlimits;
  const gid_t* groups;  // nullptr: leave the supplementary groups alone
  std::size_t n_groups;
  bool set_gid, set_uid;
  gid_t gid;
  uid_t uid;
  volatile int error;  // written by the child, read by the parent after clone returns
  volatile int stage;
  volatile int resource;  // Stage::rlimit: which one
};

#define CONCUR_CHILD __attribute__((no_sanitize("address", "thread", "undefined"), noinline))

CONCUR_CHILD int child_fail(ChildArgs* a, Stage stage, int err) {
  a->error = err;
  a->stage = static_cast<int>(stage);
  syscall(SYS_exit, 127);
  return 127;
}

// Each step returns 0, or the child's exit status after recording the failure.

// Handlers of ours (not SIG_IGN) back to SIG_DFL; SIGPIPE and SIGXFSZ to SIG_DFL as Python does;
// with reset_ignored, every SIG_IGN too.
CONCUR_CHILD void child_reset_signals(bool reset_ignored) {
  for (int sig = 1; sig < _NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    KernelSigaction old{};
    if (syscall(SYS_rt_sigaction, sig, nullptr, &old, _NSIG / 8) != 0) continue;
    const bool handled = old.handler != reinterpret_cast<void*>(SIG_IGN) &&
                         old.handler != reinterpret_cast<void*>(SIG_DFL);
    const bool ignored = old.handler == reinterpret_cast<void*>(SIG_IGN);
    if (handled || (ignored && reset_ignored) || sig == SIGPIPE || sig == SIGXFSZ) {
      KernelSigaction dfl{};
      syscall(SYS_rt_sigaction, sig, &dfl, nullptr, _NSIG / 8);
    }
  }
}

CONCUR_CHILD int child_redirect(ChildArgs* a) {
  // Sources among 0..2 would be overwritten by the dup3s: move them out of the way first.
  int src[3] = {a->stdio[0], a->stdio[1], a->stdio[2]};
  for (int& fd : src) {
    if (fd >= 0 && fd < 3) {
      const long moved = syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 3);
      if (moved < 0) return child_fail(a, Stage::dup, errno);
      fd = static_cast<int>(moved);
    }
  }
  for (int i = 0; i < 3; ++i)
    if (src[i] >= 0 && syscall(SYS_dup3, src[i], i, 0) < 0) return child_fail(a, Stage::dup, errno);
  if (a->err_to_stdout && syscall(SYS_dup3, 1, 2, 0) < 0) return child_fail(a, Stage::dup, errno);
  return 0;
}

// Limits first (root may still raise a hard limit), then groups, gid, uid: each later step
// needs the privilege the earlier ones use.
CONCUR_CHILD int child_limits_and_ids(ChildArgs* a) {
  for (std::size_t i = 0; i < a->n_rlimits; ++i) {
    const rlimit lim{a->rlimits[i].second, a->rlimits[i].second};
    if (syscall(SYS_prlimit64, 0, a->rlimits[i].first, &lim, nullptr) != 0) {
      a->resource = a->rlimits[i].first;
      return child_fail(a, Stage::rlimit, errno);
    }
  }
  if (a->groups != nullptr && syscall(SYS_setgroups, a->n_groups, a->groups) != 0)
    return child_fail(a, Stage::setgroups, errno);
  if (a->set_gid && syscall(SYS_setresgid, a->gid, a->gid, a->gid) != 0)
    return child_fail(a, Stage::setgid, errno);
  if (a->set_uid && syscall(SYS_setresuid, a->uid, a->uid, a->uid) != 0)
    return child_fail(a, Stage::setuid, errno);
  return 0;
}

CONCUR_CHILD int child_close_fds(ChildArgs* a) {
  for (std::size_t i = 0; i < a->n_pass; ++i) syscall(SYS_fcntl, a->pass_fds[i], F_SETFD, 0);
  if (!a->close_fds) return 0;
  unsigned first = 3;
  for (std::size_t i = 0; i <= a->n_pass; ++i) {
    const unsigned last = i < a->n_pass ? static_cast<unsigned>(a->pass_fds[i]) : ~0U;
    if (last > first && syscall(SYS_close_range, first, last - 1, 0) != 0) {
      if (errno != ENOSYS) return child_fail(a, Stage::close_fds, errno);
      rlimit rl{};  // kernel < 5.9: no close_range; close up to the fd limit
      if (syscall(SYS_getrlimit, RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur > (1U << 20))
        rl.rlim_cur = 1U << 16;
      const unsigned stop = std::min(last, static_cast<unsigned>(rl.rlim_cur));
      for (unsigned fd = first; fd < stop; ++fd) syscall(SYS_close, fd);
    }
    if (i < a->n_pass) first = last + 1;
  }
  return 0;
}

// Tries every candidate as execvp does: remembers EACCES, skips ENOENT/ENOTDIR, stops on others.
CONCUR_CHILD int child_exec(ChildArgs* a) {
  int err = ENOENT;
  bool saw_eacces = false;
  for (const char* const* c = a->candidates; *c != nullptr; ++c) {
    syscall(SYS_execve, *c, a->argv, a->envp);
    err = errno;
    if (err == EACCES) {
      saw_eacces = true;
    } else if (err != ENOENT && err != ENOTDIR && err != ENAMETOOLONG) {
      break;
    }
  }
  if (saw_eacces && (err == ENOENT || err == ENOTDIR)) err = EACCES;
  return child_fail(a, Stage::exec, err);
}

CONCUR_CHILD int child_main(void* arg) {
  auto* a = static_cast<ChildArgs*>(arg);
  child_reset_signals(a->reset_ignored);
  if (a->setsid && syscall(SYS_setsid) < 0) return child_fail(a, Stage::setsid, errno);
  if (a->pgid >= 0 && syscall(SYS_setpgid, 0, a->pgid) != 0)
    return child_fail(a, Stage::setpgid, errno);
  if (a->umask >= 0) syscall(SYS_umask, a->umask);
  if (const int rc = child_redirect(a); rc != 0) return rc;
  if (a->cwd != nullptr && syscall(SYS_chdir, a->cwd) != 0) return child_fail(a, Stage::cwd, errno);
  if (const int rc = child_limits_and_ids(a); rc != 0) return rc;
  if (const int rc = child_close_fds(a); rc != 0) return rc;
  // Unblock everything: the child starts with an empty signal mask.
  unsigned long none[_NSIG / (8 * sizeof(unsigned long))] = {};
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, none, nullptr, _NSIG / 8);
  return child_exec(a);
}

// Blocks every signal (glibc's internal ones included) in this thread around the clone.
class BlockAllSignals {
 public:
  BlockAllSignals() {
    unsigned long all[sizeof old_ / sizeof old_[0]];
    std::fill(std::begin(all), std::end(all), ~0UL);
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, all, old_, _NSIG / 8);
  }
  ~BlockAllSignals() { syscall(SYS_rt_sigprocmask, SIG_SETMASK, old_, nullptr, _NSIG / 8); }
  BlockAllSignals(const BlockAllSignals&) = delete;
  BlockAllSignals& operator=(const BlockAllSignals&) = delete;

 private:
  unsigned long old_[_NSIG / (8 * sizeof(unsigned long))] = {};
};

class ChildStack {
 public:
  static constexpr std::size_t size = 256 * 1024;
  ChildStack() {
    base_ = ::mmap(nullptr, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
    if (base_ == MAP_FAILED) throw SpawnError(errno, "", "mmap child stack");
  }
  ~ChildStack() { ::munmap(base_, size); }
  ChildStack(const ChildStack&) = delete;
  ChildStack& operator=(const ChildStack&) = delete;
  void* top() const { return static_cast<char*>(base_) + size; }

 private:
  void* base_;
};

// ThreadSanitizer intercepts clone() as if it were fork(): it then marks a multi-threaded
// process as forked and kills it at its next pthread_create. Our child runs no instrumented code,
// so under TSan we call glibc's own clone, looked up in libc itself.
#if defined(__SANITIZE_THREAD__)
#define CONCUR_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CONCUR_TSAN 1
#endif
#endif

using clone_fn = int (*)(int (*)(void*), void*, int, void*, ...);

clone_fn real_clone() {
#ifdef CONCUR_TSAN
  static const clone_fn fn = [] {
    void* libc = ::dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    void* sym = libc != nullptr ? ::dlsym(libc, "clone") : nullptr;
    return sym != nullptr ? reinterpret_cast<clone_fn>(sym) : &::clone;
  }();
  return fn;
#else
  return &::clone;
#endif
}

std::vector<const char*> c_strings(const std::vector<std::string>& v) {
  std::vector<const char*> out;
  out.reserve(v.size() + 1);
  for (const auto& s : v) out.push_back(s.c_str());
  out.push_back(nullptr);
  return out;
}

}  // namespace

std::vector<std::string> exec_candidates(const std::string& program, const char* path) {
  if (program.find('/') != std::string::npos) return {program};
  std::string_view rest = path != nullptr ? path : "/bin:/usr/bin";
  std::vector<std::string> out;
  while (true) {
    const auto colon = rest.find(':');
    std::string dir(rest.substr(0, colon));
    if (dir.empty()) dir = ".";
    out.push_back(dir + "/" + program);
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return out;
}

Spawned spawn(const SpawnPlan& plan) {
  const auto candidates = c_strings(plan.candidates);
  const auto argv = c_strings(plan.argv);
  std::vector<const char*> envp;
  if (plan.env != nullptr) envp = c_strings(*plan.env);
  std::vector<int> pass = plan.pass_fds;
  std::sort(pass.begin(), pass.end());
  pass.erase(std::unique(pass.begin(), pass.end()), pass.end());
  pass.erase(std::remove_if(pass.begin(), pass.end(), [](int fd) { return fd < 3; }), pass.end());

  ChildArgs args{};
  args.candidates = candidates.data();
  args.argv = argv.data();
  args.envp = plan.env != nullptr ? envp.data() : environ;
  std::copy(std::begin(plan.stdio), std::end(plan.stdio), args.stdio);
  args.err_to_stdout = plan.err_to_stdout;
  args.reset_ignored = plan.reset_ignored;
  args.close_fds = plan.close_fds;
  args.pass_fds = pass.data();
  args.n_pass = pass.size();
  args.cwd = plan.cwd;
  args.setsid = plan.setsid;
  args.pgid = plan.pgid;
  args.umask = plan.umask;
  if (plan.rlimits != nullptr) {
    args.rlimits = plan.rlimits->data();
    args.n_rlimits = plan.rlimits->size();
  }
  if (plan.groups != nullptr) {
    args.groups = plan.groups->data();
    args.n_groups = plan.groups->size();
    static const gid_t no_groups[1] = {};
    if (args.groups == nullptr) args.groups = no_groups;  // an empty list still clears them
  }
  args.set_gid = plan.gid.has_value();
  args.gid = plan.gid.value_or(0);
  args.set_uid = plan.uid.has_value();
  args.uid = plan.uid.value_or(0);

  // One stack per spawning thread, reused: an munmap per spawn would cost a TLB shootdown.
  thread_local ChildStack stack;
  int pidfd = -1;
  pid_t pid;
  {
    BlockAllSignals blocked;
    const clone_fn clone = real_clone();
    pid = clone(child_main, stack.top(), CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &args,
                &pidfd);
    if (pid < 0 && errno == EINVAL) {  // kernel before 5.2: no CLONE_PIDFD
      pidfd = -1;
      pid = clone(child_main, stack.top(), CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
    }
  }
  if (pid < 0) throw SpawnError(errno, plan.program, "clone");
  Spawned out;
  out.pid = pid;
  out.pidfd.reset(pidfd);
  if (args.error != 0) {
    int status;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    const auto stage = static_cast<Stage>(args.stage);
    std::string what = stage_name(stage);
    if (stage == Stage::cwd) what += " '" + std::string(plan.cwd) + "'";
    if (stage == Stage::rlimit) what += std::string(" (") + rlimit_name(args.resource) + ")";
    what += " for '" + plan.program + "'";
    throw SpawnError(args.error, plan.program, what);
  }
  if (!out.pidfd) {
    const long fd = syscall(SYS_pidfd_open, pid, 0);  // CLOEXEC by design
    if (fd >= 0) out.pidfd.reset(static_cast<int>(fd));
  }
  return out;
}

}  // namespace concur::subprocess::detail
