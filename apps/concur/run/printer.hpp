// concur run: how jobs' output reaches our stdout/stderr. Default: each job's
// output printed whole when it ends (never interleaved); --keep-order holds
// outputs back until every earlier job has printed; --line-buffer passes complete
// lines through as they arrive; --tag prefixes every line with the job's values;
// --quiet prints nothing; a test runner prints only the output of jobs that did not pass. A
// progress bar, if any, is cleared before each write.
//
//   Printer p(printer_options, &progress);
//   p.chunk(result, 1, data);          // from the scheduler (used with --line-buffer)
//   p.finished(result, out, err);      // a job ended
//   p.flush();                         // at the end: whatever --keep-order still holds
//
// Not thread-safe (called from the event loop). A closed stdout (EPIPE) silently
// stops further output.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "capture.hpp"
#include "result.hpp"

namespace concur::cli::run {

class Progress;

struct PrinterOptions {
  bool quiet = false, keep_order = false, tag = false, line_buffer = false;
  bool failures_only = false;  // test runner: print only the output of jobs that did not pass
  int out_fd = 1, err_fd = 2;
};

class Printer {
 public:
  Printer(PrinterOptions o, Progress* progress) : o_(o), progress_(progress) {}

  void chunk(const JobResult& r, int stream, std::string_view data);
  void finished(const JobResult& r, Capture& out, Capture& err);
  /// Tells keep-order that job `seq` will print nothing (skipped, never started).
  void nothing_for(std::size_t seq);
  void flush();

 private:
  struct Held {
    std::string tag;
    Capture out, err;
  };
  void emit(int fd, const std::string& tag, std::string_view data, std::string& partial, bool last);
  void print_whole(const std::string& tag, Capture& out, Capture& err);
  void advance();

  PrinterOptions o_;
  Progress* progress_;
  std::map<std::size_t, std::string> partial_out_, partial_err_;  // line-buffer: unfinished lines
  std::map<std::size_t, Held> held_;                              // keep-order: finished, waiting
  std::map<std::size_t, bool> empty_;                             // keep-order: seqs with nothing
  std::size_t next_seq_ = 1;
  std::size_t held_memory_ = 0;  // bytes of held outputs still in memory
  std::string scratch_;          // emit()'s output buffer
};

/// The --tag prefix of a job: its values joined by spaces, then a tab.
std::string tag_of(const JobResult& r);

}  // namespace concur::cli::run
