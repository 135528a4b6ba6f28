// Messages of concur::subprocess's exceptions, spelled as Python spells them.
#include <string.h>

#include <sstream>

#include "concur/shlex.hpp"
#include "concur/subprocess/errors.hpp"

namespace concur::subprocess {
namespace {

std::string called_message(int returncode, const std::vector<std::string>& cmd) {
  std::string msg = "Command '" + shlex::join(cmd) + "' ";
  if (returncode < 0) {
    const char* abbrev = ::sigabbrev_np(-returncode);
    msg += abbrev != nullptr ? "died with SIG" + std::string(abbrev) + "."
                             : "died with unknown signal " + std::to_string(-returncode) + ".";
  } else {
    msg += "returned non-zero exit status " + std::to_string(returncode) + ".";
  }
  return msg;
}

std::string timeout_message(const std::vector<std::string>& cmd, Duration timeout) {
  std::ostringstream msg;
  msg << "Command '" << shlex::join(cmd) << "' timed out after " << timeout.count() << " seconds";
  return msg.str();
}

}  // namespace

CalledProcessError::CalledProcessError(int returncode_, std::vector<std::string> cmd_,
                                       std::string out_, std::string err_)
    : SubprocessError(called_message(returncode_, cmd_)),
      returncode(returncode_),
      cmd(std::move(cmd_)),
      out(std::move(out_)),
      err(std::move(err_)) {}

TimeoutExpired::TimeoutExpired(std::vector<std::string> cmd_, Duration timeout_, std::string out_,
                               std::string err_)
    : SubprocessError(timeout_message(cmd_, timeout_)),
      cmd(std::move(cmd_)),
      timeout(timeout_),
      out(std::move(out_)),
      err(std::move(err_)) {}

SpawnError::SpawnError(int errno_value, std::string program_, const std::string& what)
    : std::system_error(errno_value, std::generic_category(), what), program(std::move(program_)) {}

BrokenPipeError::BrokenPipeError(const std::string& what)
    : std::system_error(EPIPE, std::generic_category(), what) {}

}  // namespace concur::subprocess
