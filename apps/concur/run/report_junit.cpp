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
    switch (r.outcome) {
      case Outcome::passed:
        break;
      case Outcome::failed:
        if (!r.error.empty()) {
          x += "      <error type=\"spawn\" message=\"" + xml_escape(r.error, true) + "\">" +
               err_tail + "</error>\n";
        } else {
          const std::string msg = r.signal != 0 ? fmt::format("killed by signal {}", r.signal)
                                                : fmt::format("exit status {}", r.exit_status);
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
        x += "      <skipped message=\"not run\"/>\n";
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
