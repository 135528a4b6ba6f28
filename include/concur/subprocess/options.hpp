// concur/subprocess/options.hpp — how a child is started: Options, Stream, Redirect.
//
//   using namespace concur::subprocess;
//   Options o{.out = PIPE, .err = STDOUT, .cwd = "build", .env = {{{"LANG", "C"}}}};
//   Options f{.out = std::filesystem::path("log.txt"), .err = DEVNULL};   // to a file
//   Options g{.in = fd};                                                  // from our fd
//   Options h{.user = "nobody", .group = "nogroup", .extra_groups = std::vector<std::string>{},
//             .rlimits = {{RLIMIT_NOFILE, 256}, {RLIMIT_CPU, 60}}};       // root drops privileges
//   Options e{.extra_env = {{"LANG", "C"}}};                              // our environment +
//   LANG=C
//
// Field order is fixed, so designated initializers keep compiling. Thread safety: a value type.
#pragma once

#include <sys/resource.h>

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "concur/duration.hpp"

namespace concur::subprocess {

/// Where a standard stream of the child goes. `to_stdout` (STDOUT) is valid only for `err`
/// and sends it wherever the child's stdout goes ("2>&1").
enum class Stream { inherit, pipe, devnull, to_stdout };
inline constexpr Stream PIPE = Stream::pipe, DEVNULL = Stream::devnull, STDOUT = Stream::to_stdout;

/// A Stream, one of OUR file descriptors (duplicated into the child; we keep ours), or a file
/// path (stdin: opened for reading; out/err: created or truncated, mode 0666 & ~umask).
using Redirect = std::variant<Stream, int /*fd*/, std::filesystem::path /*file*/>;

/// Options of run(), call(), check_call(), check_output() and Popen. Popen uses every field
/// except the four marked run(): those are the business of the convenience functions, and the
/// Popen constructor rejects them (std::invalid_argument naming the field) rather than ignore
/// them — use Popen::wait(timeout) / communicate(input, timeout) there.
///
/// user, group, extra_groups: a name or a decimal number. Names are resolved in the parent
/// before anything is started (getpwnam_r / getgrnam_r); an unknown one is a SpawnError naming
/// it. In the child the order is setgroups(extra_groups), setresgid(group), setresuid(user) —
/// real, effective and saved ids, so privileges are dropped for good. As in Python, `user`
/// alone changes neither the group nor the supplementary groups: a root parent dropping to
/// "nobody" should also give `group` and `extra_groups` (an empty list clears them).
// Every field has an initializer, so designated initializers stay -Wextra clean.
struct Options {
  Redirect in = Stream::inherit;   ///< the child's stdin: a Stream, an fd or a file
  Redirect out = Stream::inherit;  ///< the child's stdout: a Stream (not STDOUT), fd or file
  Redirect err = Stream::inherit;  ///< the child's stderr; STDOUT: into the child's stdout
  std::optional<std::string> input =
      {};                       ///< run(): bytes for stdin (implies in=PIPE; in must be unset)
  bool capture_output = false;  ///< run(): out=err=PIPE (out and err must be unset)
  std::optional<Duration> timeout =
      {};              ///< run()/call(): kill the child, then throw TimeoutExpired
  bool check = false;  ///< run(): throw CalledProcessError on non-zero exit
  bool shell = false;  ///< args[0] is a command line for /bin/sh -c; args[1..] are $0, $1...
  std::optional<std::string> executable =
      {};  ///< program to exec instead of args[0] (shell: the shell)
  std::optional<std::filesystem::path> cwd = {};               ///< child's working directory
  std::optional<std::map<std::string, std::string>> env = {};  ///< nullopt = inherit ours
  bool text = false;               ///< "\r\n" and "\r" become "\n" in captured output
  bool close_fds = true;           ///< close every fd > 2 not in pass_fds
  std::vector<int> pass_fds = {};  ///< fds the child keeps (same numbers), even with close_fds
  bool start_new_session = false;  ///< setsid(); run() timeouts then kill the whole session
  std::optional<int> process_group =
      {};                                ///< setpgid(0, value); 0 makes a new group (killed as one)
  std::optional<unsigned> umask = {};    ///< the child's umask
  std::optional<std::string> user = {};  ///< setresuid in the child (name or number)
  std::optional<std::string> group = {};  ///< setresgid in the child (name or number)
  std::optional<std::vector<std::string>> extra_groups =
      {};  ///< setgroups in the child (names or numbers); an empty list clears them
  std::optional<std::size_t> pipesize =
      {};  ///< F_SETPIPE_SZ on every pipe we create (nullopt or 0: the system's default)
  std::vector<std::pair<int, rlim_t>> rlimits =
      {};  ///< *beyond*: setrlimit(resource, {v, v}) in the child, before user/group
  std::map<std::string, std::string> extra_env =
      {};  ///< *beyond*: set on top of `env` (or of our environment when env is nullopt)
  bool reset_ignored_signals =
      false;  ///< *beyond*: signals we ignore (SIG_IGN) are SIG_DFL again in the child, as
              ///< ctest gives its tests (a shell's `cmd &` leaves SIGINT ignored otherwise)
};

}  // namespace concur::subprocess
