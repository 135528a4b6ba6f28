// `concur run` against GNU parallel: the same generated values (paths with dots, slashes,
// spaces, quotes, shell metacharacters and UTF-8) on stdin, the same shell command printing
// every placeholder and exiting with a status derived from {#}. Compared: the output (-k
// keeps input order), and the joblog's Seq, Host, Send, Receive, Exitval and Signal columns
// and its Command column as shell words (both quote for /bin/sh, in different spellings).
// Returns the differences (empty: none).
#pragma once

#include <concur/shlex.hpp>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "diff_support.hpp"

namespace concur::difftest {

inline std::string random_path_value(std::mt19937_64& rng) {
  static const std::vector<std::string> atoms = {
      "a",  "b",    "src", "x", "é",  "日本", "€", "😀", ".",  "..", "/", "//", "./",
      ".c", ".tar", ".gz", " ", "  ", "-",    "_", "'", "\"", "$",  "`", "\\", "*",
      "?",  ";",    "&",   "|", "(",  ")",    "{", "}", "=",  "%",  "~", "!",  ".hidden"};
  std::uniform_int_distribution<std::size_t> len(1, 8), pick(0, atoms.size() - 1);
  for (;;) {
    std::string s;
    for (std::size_t n = len(rng); n > 0; --n) s += atoms[pick(rng)];
    // One value per line, as both read them: no blank line. Outside the two documented,
    // intended differences (docs/reliability.md): a last component starting with '.' (a
    // dotfile keeps its name in {.} and {/.}) and a trailing '/' ({/} {//} {/.} ignore it,
    // as basename(1) and dirname(1) do).
    const std::string last = s.substr(s.rfind('/') + 1);
    if (s.find_first_not_of(' ') != std::string::npos && !last.empty() && last[0] != '.') return s;
  }
}

struct JoblogRow {
  std::vector<std::string> cols;  // the nine columns
};

inline std::map<std::string, JoblogRow> read_joblog(const std::string& path) {
  std::map<std::string, JoblogRow> rows;
  bool header = true;
  for (const auto& line : read_lines(path)) {
    if (header) {
      header = false;
      continue;
    }
    JoblogRow r;
    std::size_t start = 0;
    for (int c = 0; c < 8; ++c) {
      const auto tab = line.find('\t', start);
      r.cols.push_back(line.substr(start, tab - start));
      start = tab == std::string::npos ? line.size() : tab + 1;
    }
    r.cols.push_back(line.substr(start));
    rows[r.cols[0]] = r;
  }
  return rows;
}

inline std::vector<std::string> compare_run_with_parallel(std::size_t count, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  TempDir dir;
  {
    std::ofstream f(dir.file("values"), std::ios::binary);
    for (std::size_t i = 0; i < count; ++i) f << random_path_value(rng) << '\n';
  }
  // Exit statuses 0..4 from {#}; every fifth job ends by SIGTERM (Signal column).
  const std::string command =
      "printf '[%s]' {} {.} {/} {//} {/.} {#}; echo; n={#}; "
      "if [ $((n % 5)) -eq 0 ]; then kill -TERM $$; fi; exit $((n % 4))";
  using concur::subprocess::run;
  const concur::subprocess::Options io{.in = std::filesystem::path(dir.file("values")),
                                       .capture_output = true};
  const auto gnu = run({"parallel", "-k", "-j4", "--joblog", dir.file("gnu.log"), command}, io);
  const auto ours = run({CONCUR_CLI_PATH, "run", "-k", "-j4", "--shell", "--no-progress",
                         "--joblog", dir.file("ours.log"), "--", command},
                        io);
  std::vector<std::string> diffs;
  if (gnu.out != ours.out) {
    const auto a = gnu.out, b = ours.out;
    std::size_t at = 0;
    while (at < a.size() && at < b.size() && a[at] == b[at]) ++at;
    const auto from = at > 200 ? at - 200 : 0;
    diffs.push_back("output differs at byte " + std::to_string(at) + ": parallel ..." +
                    a.substr(from, 300) + "\n  concur ..." + b.substr(from, 300));
  }
  if (gnu.returncode != ours.returncode)
    diffs.push_back("exit status: parallel " + std::to_string(gnu.returncode) + ", concur " +
                    std::to_string(ours.returncode));
  const auto g = read_joblog(dir.file("gnu.log")), o = read_joblog(dir.file("ours.log"));
  if (g.size() != count || o.size() != count)
    diffs.push_back("joblog rows: parallel " + std::to_string(g.size()) + ", concur " +
                    std::to_string(o.size()) + ", jobs " + std::to_string(count));
  static const char* names[] = {"Seq",     "Host",    "Starttime", "JobRuntime", "Send",
                                "Receive", "Exitval", "Signal",    "Command"};
  for (const auto& [seq, grow] : g) {
    if (diffs.size() > 20) break;
    const auto it = o.find(seq);
    if (it == o.end()) {
      diffs.push_back("joblog: concur has no seq " + seq);
      continue;
    }
    const auto& orow = it->second;
    for (int c : {0, 1, 4, 5, 6, 7})
      if (grow.cols[c] != orow.cols[c])
        diffs.push_back("joblog seq " + seq + " " + names[c] + ": parallel '" + grow.cols[c] +
                        "', concur '" + orow.cols[c] + "'");
    for (int c : {2, 3}) {  // numbers (parallel pads JobRuntime with spaces)
      try {
        (void)std::stod(orow.cols[c]);
      } catch (const std::exception&) {
        diffs.push_back("joblog seq " + seq + " " + names[c] + " is not a number: '" +
                        orow.cols[c] + "'");
      }
    }
    try {
      if (concur::shlex::split(grow.cols[8]) != concur::shlex::split(orow.cols[8]))
        diffs.push_back("joblog seq " + seq + " Command words differ: parallel " + grow.cols[8] +
                        " | concur " + orow.cols[8]);
    } catch (const std::invalid_argument& e) {
      diffs.push_back("joblog seq " + seq + " Command does not split: " + e.what());
    }
  }
  return diffs;
}

}  // namespace concur::difftest
