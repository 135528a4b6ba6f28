// The remote wrapper script and the command line that starts it (see remote_wrapper.hpp).
// Why POSIX sh: it is the one interpreter every host has (GNU parallel needs perl there).
// Why signals travel as lines on stdin: ssh forwards no signals without a tty, and a tty
// would mangle the job's output.
#include "remote_wrapper.hpp"

#include <concur/shlex.hpp>

#include <cstdio>

namespace concur::cli::run {
namespace {

// $1 grace, $2 directory ("" = the login's), $3 the job's shell command. Background lists get
// /dev/null as stdin in a shell without job control, so the watcher reads a saved copy (fd 3).
// `kill -15 -PGID` is the spelling dash and bash both accept.
constexpr const char* kWrapper = R"(grace=$1; dir=$2; cmd=$3
if [ -n "$dir" ]; then cd "$dir" || exit 255; fi
exec 3<&0
setsid /bin/sh -c "$cmd" </dev/null 3<&- &
pid=$!
(
  while IFS= read -r c; do
    case $c in
      T) kill -15 -$pid 2>/dev/null ;;
      K) kill -9 -$pid 2>/dev/null ;;
    esac
  done
  kill -15 -$pid 2>/dev/null
  sleep "$grace"
  kill -9 -$pid 2>/dev/null
) <&3 >/dev/null 2>&1 &
watcher=$!
exec 3<&-
wait $pid
rc=$?
kill -9 -$pid 2>/dev/null
kill $watcher 2>/dev/null
exit $rc)";

bool valid_name(const std::string& k) {
  if (k.empty() || (k[0] >= '0' && k[0] <= '9')) return false;
  for (const char c : k)
    if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
      return false;
  return true;
}

std::string job_line(const LaunchSpec& spec) {
  std::string line;
  for (const auto& [k, v] : spec.env) {
    if (!valid_name(k)) continue;  // sh cannot export it; such a name cannot come from --env
    line += "export " + k + "=" + concur::shlex::quote(v) + "; ";
  }
  line += "exec ";
  if (spec.shell) line += "/bin/sh -c ";
  line += concur::shlex::join(spec.argv);
  return line;
}

}  // namespace

std::string remote_command(const LaunchSpec& spec, double grace_seconds) {
  char grace[32];
  std::snprintf(grace, sizeof grace, "%.3f", grace_seconds < 0 ? 0.0 : grace_seconds);
  return "exec /bin/sh -c " + concur::shlex::quote(kWrapper) + " concur-remote " +
         concur::shlex::quote(grace) + " " + concur::shlex::quote(spec.cwd.value_or("")) + " " +
         concur::shlex::quote(job_line(spec));
}

}  // namespace concur::cli::run
