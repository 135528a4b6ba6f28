// concur/subprocess/errors.hpp — the exceptions of concur::subprocess.
//
//   try {
//     concur::subprocess::run({"make", "test"}, {.timeout = 60s, .check = true});
//   } catch (const concur::subprocess::CalledProcessError& e) {   // non-zero exit
//     std::cerr << e.what() << "\n" << e.err;
//   } catch (const concur::subprocess::TimeoutExpired& e) {       // killed after 60 s
//     std::cerr << e.what() << "\n" << e.out;                    // what it printed so far
//   } catch (const concur::subprocess::SpawnError& e) {           // could not start at all
//     std::cerr << e.program << ": " << e.code().message();      // the child's errno
//   }
//
// The hierarchy is Python's: SubprocessError is the base of CalledProcessError and
// TimeoutExpired; SpawnError (Python: OSError from Popen) and BrokenPipeError derive from
// std::system_error and carry the errno. Thread safety: value types.
#pragma once

#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "concur/duration.hpp"

namespace concur::subprocess {

/// Base of the errors about a child's outcome (Python's SubprocessError).
struct SubprocessError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A child exited non-zero (or died from a signal) where `check` asked for success.
/// what(): "Command 'false' returned non-zero exit status 1." or
/// "Command 'sleep 9' died with SIGKILL." — the command as shlex::join spells it.
struct CalledProcessError : SubprocessError {
  /// The error of a child that ran `cmd` and ended with `returncode`, with what was captured.
  CalledProcessError(int returncode, std::vector<std::string> cmd, std::string out = {},
                     std::string err = {});
  int returncode;                ///< negative N: killed by signal N
  std::vector<std::string> cmd;  ///< the args as given
  std::string out;               ///< captured stdout ("" where not piped)
  std::string err;               ///< captured stderr ("" where not piped)
};

/// A timeout passed before the child finished. what():
/// "Command 'sleep 9' timed out after 0.5 seconds". `out`/`err` hold what was read so far.
struct TimeoutExpired : SubprocessError {
  /// `cmd` did not finish within `timeout`; `out`/`err`: what was read until then.
  TimeoutExpired(std::vector<std::string> cmd, Duration timeout, std::string out = {},
                 std::string err = {});
  std::vector<std::string> cmd;  ///< the args as given
  Duration timeout;              ///< the timeout that passed
  std::string out;               ///< stdout read before the timeout ("" where not piped)
  std::string err;               ///< stderr read before the timeout ("" where not piped)
};

/// The child could not be started: the program is missing or not executable, cwd is
/// missing, a redirect file cannot be opened, or the system is out of processes.
/// code() is the errno of the failure (for exec/chdir failures: the CHILD's errno, never
/// an exit status 127); `program` is the program that was to be executed.
struct SpawnError : std::system_error {
  /// A failure with errno `errno_value` while starting `program`; `what` says which step.
  SpawnError(int errno_value, std::string program, const std::string& what);
  std::string program;  ///< the program that was to be executed (args[0] or executable)
};

/// Writing to a child's stdin after it closed its end (EPIPE). The process is never
/// killed by SIGPIPE: concur blocks it in the writing thread around the write.
struct BrokenPipeError : std::system_error {
  /// code() is EPIPE; `what` names the write that failed.
  explicit BrokenPipeError(const std::string& what);
};

}  // namespace concur::subprocess
