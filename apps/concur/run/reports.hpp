// concur run: records and reports. The joblog and the results directory are written
// as each job ends (nothing lost if the run is interrupted); the JSON, JUnit and HTML
// reports and the summary at the end. Everything a job printed and every value is
// escaped for the format it lands in (see escape.hpp).
//
//   Joblog log(path, /*append=*/resume);   // throws std::system_error
//   log.write(result);                     // one line, written with one write(2)
//   write_junit(path, results, totals);    // throws std::system_error
//
// Not thread-safe (the event loop calls them).
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "capture.hpp"
#include "result.hpp"

namespace concur::cli::run {

/// GNU parallel's joblog: Seq Host Starttime JobRuntime Send Receive Exitval Signal Command.
class Joblog {
 public:
  Joblog(const std::string& path, bool append);
  ~Joblog();
  Joblog(const Joblog&) = delete;
  Joblog& operator=(const Joblog&) = delete;
  void write(const JobResult& r);

 private:
  int fd_ = -1;
  std::string path_;
};

/// Seqs a joblog shows finished ok (Exitval 0, Signal 0). A missing file is empty.
std::set<std::size_t> joblog_succeeded(const std::string& path);

/// DIR/<seq>/stdout, stderr (the whole output) and meta.json. Throws std::system_error.
void write_results(const std::string& dir, const JobResult& r, const Capture& out,
                   const Capture& err);

/// One job as JSON (values and outputs as they are: dump with escape.hpp).
nlohmann::json job_json(const JobResult& r);

void write_json(const std::string& path, const std::vector<JobResult>& results, const Totals& t);
void write_junit(const std::string& path, const std::vector<JobResult>& results, const Totals& t);
void write_html(const std::string& path, const std::vector<JobResult>& results, const Totals& t,
                int slots);

/// The summary printed on stderr at the end.
std::string summary_text(const std::vector<JobResult>& results, const Totals& t);

/// mkdir -p. Throws std::system_error naming the directory.
void make_directories(const std::string& path);

/// Writes `text` to `path` atomically (temp file + rename). Throws std::system_error.
void write_file(const std::string& path, const std::string& text);

}  // namespace concur::cli::run
