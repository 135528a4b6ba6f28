// JUnit XML as Jenkins and GitLab read it: <testsuites><testsuite><testcase> with
// <failure>, <error> (a job that could not start) and <skipped>; a timeout is a
// <failure type="timeout">. Every value and output passes through xml_escape.
#include <fmt/format.h>

#include <algorithm>

#include "escape.hpp"
#include "reports.hpp"

namespace concur::cli::run {
namespace {

std::string case_name(const JobResult& r) {
  if (!r.name.empty() && r.name != r.command) return r.name;  // a test: its own name
  std::string name = r.command;
  if (r.cwd) name += " (in " + *r.cwd + ")";
  return name;
}

}  // namespace

void write_junit(const std::string& path, const std::vector<JobResult>& results, const Totals& t) {
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  const std::size_t errors = static_cast<std::size_t>(std::count_if(
      results.begin(), results.end(), [](const JobResult& r) { return !r.error.empty(); }));
  const std::size_t failures = t.failed + t.timed_out - errors;
  const std::string counts =
      fmt::format("tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3f}\"",
                  results.size(), failures, errors, t.skipped + t.interrupted, t.wall);
  x += "<testsuites name=\"concur run\" " + counts + ">\n";
  x += "  <testsuite name=\"concur run\" " + counts + ">\n";
  for (const auto& r : results) {
    x += fmt::format("    <testcase classname=\"concur.run\" name=\"{}\" time=\"{:.3f}\">\n",
                     xml_escape(case_name(r), true), r.runtime);
    const std::string err_tail = xml_escape(r.stderr_tail);
    std::string leftovers;
    for (const auto& p : r.leftovers) leftovers += p + "\n";
    const std::string leak_message =
        fmt::format("left {} process{} behind: killed after --leak-timeout", r.leftovers.size(),
                    r.leftovers.size() == 1 ? "" : "es");
    switch (r.outcome) {
      case Outcome::passed:
        // Maven Surefire's rerun format: a passing case, one <flakyFailure> per failed attempt.
        for (const auto& a : r.failed_attempts) {
          const std::string msg = a.outcome == Outcome::timed_out
                                      ? fmt::format("timed out after {:.3f}s", a.runtime)
                                  : a.signal != 0 ? fmt::format("killed by signal {}", a.signal)
                                                  : fmt::format("exit status {}", a.exit_status);
          x += "      <flakyFailure message=\"" + msg + "\" type=\"" +
               (a.outcome == Outcome::timed_out ? "timeout" : "failure") + "\"><system-err>" +
               xml_escape(a.stderr_tail) + "</system-err></flakyFailure>\n";
        }
        if (r.leaky)
          x += "      <properties><property name=\"leaky\" value=\"" +
               xml_escape(leak_message, true) + "\"/></properties>\n";
        break;
      case Outcome::failed:
        if (r.leaky && r.error.empty() && r.exit_status == 0 && r.signal == 0) {
          x += "      <failure type=\"leak\" message=\"" + xml_escape(leak_message, true) + "\">" +
               xml_escape(leftovers) + "</failure>\n";
        } else if (!r.error.empty()) {
          x += "      <error type=\"spawn\" message=\"" + xml_escape(r.error, true) + "\">" +
               err_tail + "</error>\n";
        } else {
          const std::string msg = (r.signal != 0 ? fmt::format("killed by signal {}", r.signal)
                                                 : fmt::format("exit status {}", r.exit_status)) +
                                  (r.reason.empty() ? "" : ": " + xml_escape(r.reason, true));
          x += "      <failure type=\"failure\" message=\"" + msg + "\">" + err_tail +
               "</failure>\n";
        }
        break;
      case Outcome::timed_out:
        x += fmt::format("      <failure type=\"timeout\" message=\"timed out after {:.3f}s\">",
                         r.runtime) +
             err_tail + "</failure>\n";
        break;
      case Outcome::skipped:
        x += "      <skipped message=\"" +
             (r.reason.empty() ? std::string("not run") : xml_escape(r.reason, true)) + "\"/>\n";
        break;
      case Outcome::interrupted:
        x += "      <skipped message=\"interrupted\"/>\n";
        break;
    }
    if (!r.stdout_tail.empty())
      x += "      <system-out>" + xml_escape(r.stdout_tail) + "</system-out>\n";
    if (!r.stderr_tail.empty()) x += "      <system-err>" + err_tail + "</system-err>\n";
    x += "    </testcase>\n";
  }
  x += "  </testsuite>\n</testsuites>\n";
  write_file(path, x);
}

}  // namespace concur::cli::run
