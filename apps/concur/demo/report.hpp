// The demo's output: sections, experiments, result lines and the closing table.
//
//   Report report{{.colour = true}};
//   report.section("subprocess", "run programs, talk to them through pipes");
//   report.experiment("echo captured", "a child's stdout comes back as a string");
//   report.result("out = \"hello\"");
//   report.timed({.id = "spawn_echo", .title = "100 x run(echo)", .cpp_seconds = 0.2});
//   report.print_table();          // or: std::cout << report.table_json().dump(2)
//
// Narrative goes to `narrative` (stdout, or stderr under --json so stdout stays pure JSON).
// Colour is the caller's choice (on a terminal, NO_COLOR unset). Every line is flushed as it is
// written, so nothing sits in a stdio buffer when a process pool forks.
// Thread safety: none; the demo writes from its main thread only.
#pragma once

#include <fmt/color.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace concur::cli::demo {

/// What a Python twin measured: its seconds and the result it computed (as text).
struct TwinResult {
  double seconds = 0;
  std::string result{};
};

/// One row of the closing table.
struct Timing {
  std::string id{};                    // stable id, e.g. "compute_2_threads"
  std::string title{};                 // what was timed, for people
  double cpp_seconds = 0;              // the C++ time of the timed part
  std::string cpp_result{};            // what C++ computed (compared with Python's)
  std::optional<TwinResult> python{};  // nullopt: no python3, no twin, or the twin failed
  std::string section{};               // filled in by Report::timed
};

struct ReportOptions {
  bool colour = false;
  std::FILE* narrative = stdout;
};

class Report {
 public:
  explicit Report(ReportOptions options);

  /// A heading for one part of the lecture, and one line on what it is about.
  void section(std::string_view name, std::string_view about);
  /// One experiment: its title and one line of what it shows.
  void experiment(std::string_view title, std::string_view shows);
  /// The C++ call being demonstrated, shown dimmed.
  void code(std::string_view text);
  /// A result line; every '\n' in `text` starts a new indented line.
  void result(std::string_view text);
  /// A conclusion to take away, highlighted.
  void lesson(std::string_view text);
  /// A note (something skipped, a twin that failed).
  void note(std::string_view text);
  /// An experiment that threw: says what and why, and counts it.
  void failed(std::string_view experiment, std::string_view why);
  int failures() const { return failures_; }
  /// Prints the C++ and Python times and their ratio, and adds the row to the closing table.
  void timed(Timing timing);

  /// The closing table of every timed experiment: C++ time, Python time, ratio.
  void print_table(std::FILE* out) const;
  /// The same table as JSON: {"experiments": [{id, section, title, cpp_s, python_s, ratio, ...}]}.
  nlohmann::json table_json() const;
  const std::vector<Timing>& timings() const { return timings_; }

 private:
  std::string paint(std::string_view text, const fmt::text_style& style) const;
  void write(std::string_view text);

  ReportOptions options_;
  std::string section_;
  std::vector<Timing> timings_;
  int failures_ = 0;
};

/// "12.3 ms", "1.20 s", "850 us": a duration people read at a glance.
std::string format_seconds(double seconds);
/// "80 MB", "800 kB".
std::string format_bytes(std::size_t bytes);

}  // namespace concur::cli::demo
