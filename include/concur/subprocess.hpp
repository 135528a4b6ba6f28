// concur/subprocess.hpp — Python's subprocess for C++20 on Linux.
//
//   #include <concur/subprocess.hpp>
//   using namespace concur::subprocess;
//   using namespace std::chrono_literals;
//
//   auto r = run({"echo", "hello"}, {.capture_output = true});       // r.out == "hello\n"
//   run({"ctest"}, {.timeout = 60s, .check = true, .cwd = "build"}); // throws on failure/timeout
//   auto six = run({"bc"}, {.input = "2 * 3\n", .capture_output = true}).out;   // "6\n"
//   std::string files = check_output({"ls", "-l"});
//   Popen p({"ls", "-l"}, {.out = PIPE});                            // see subprocess/popen.hpp
//
// What it guarantees: no fd leaks and no zombies (every child reaped, exceptions included);
// deadlock-free communicate(); spawning never fork()s the parent, so it costs the same from a
// large parent; exec failures are SpawnError with the child's errno, never exit status 127; no
// process-wide signal disposition is ever changed (no SIGCHLD handler, no SIG_IGN for SIGPIPE).
//
// Thread safety: every function here may be called from many threads at once.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "concur/duration.hpp"
#include "concur/subprocess/errors.hpp"
#include "concur/subprocess/options.hpp"
#include "concur/subprocess/popen.hpp"

namespace concur::subprocess {

/// The outcome of run().
struct CompletedProcess {
  std::vector<std::string> args;  ///< the args as given to run()
  int returncode;                 ///< negative N: killed by signal N (as Python)
  std::string out;                ///< captured stdout ("" where not piped)
  std::string err;                ///< captured stderr ("" where not piped)
  /// Throws CalledProcessError if returncode != 0.
  void check_returncode() const;
};

/// Runs args to completion: Popen + communicate(options.input, options.timeout).
/// On timeout the child is killed — its whole process group when it leads one
/// (start_new_session or process_group == 0), otherwise only the child, as Python does, so
/// grandchildren of a plain run survive — then reaped, and TimeoutExpired (with the partial
/// output) is thrown. Throws CalledProcessError if check and the exit is non-zero, SpawnError if
/// it cannot start, std::invalid_argument if input is combined with `in`, or capture_output
/// with `out`/`err`.
CompletedProcess run(std::vector<std::string> args, Options options = {});
/// Runs and returns the returncode (honours options.timeout as run() does).
int call(std::vector<std::string> args, Options options = {});
/// call(), then CalledProcessError if the returncode is not 0.
void check_call(std::vector<std::string> args, Options options = {});
/// run() with out=PIPE and check; returns stdout.
std::string check_output(std::vector<std::string> args, Options options = {});
/// The output (stdout and stderr merged) of a shell command, one trailing '\n' stripped.
std::string getoutput(std::string command);
/// {returncode, output} of a shell command: stdout and stderr merged, one trailing '\n'
/// stripped. Never throws for a non-zero exit.
std::pair<int, std::string> getstatusoutput(std::string command);

}  // namespace concur::subprocess
