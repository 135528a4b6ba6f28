// The demo's sections, one per module of the lecture, and what they share.
//
//   Context ctx{report, python, sizes_for(/*quick=*/true)};
//   subprocess_section(ctx);
//
// Each section prints its experiments through ctx.report and adds its timed rows to the
// closing table; a Python twin runs beside each timed experiment where python3 exists.
// Sections are built only on concur's public API: the demo is also the library's showcase.
// Thread safety: a section runs on the main thread; Report and PythonTwins are not shared.
#pragma once

#include <chrono>
#include <cstddef>
#include <exception>
#include <string>

#include "python_twin.hpp"
#include "report.hpp"

namespace concur::cli::demo {

/// Problem sizes: the lecture's by default, small ones under --quick.
struct Sizes {
  std::size_t ones;           // the sum of ones (the lecture's 10^7)
  std::size_t compute_steps;  // steps of the compute-bound kernel, over all threads
  int echo_runs;              // spawns of `echo` in a row
  double request_seconds;     // how long one slow "request" sleeps
  std::size_t map_items;      // items of Pool.map(x * 2)
  double timeout_seconds;     // the timeout that expires
};
Sizes sizes_for(bool quick);

struct Context {
  Report& report;
  PythonTwins& python;
  Sizes sizes;

  /// Runs one experiment; an exception it throws becomes a note and a failure (the demo goes on).
  template <class F>
  void attempt(std::string_view what, F&& experiment) {
    try {
      experiment(*this);
    } catch (const std::exception& e) {
      report.failed(what, e.what());
    }
  }

  /// Runs the twin of a timed experiment; notes why when it cannot (once for a missing python3).
  std::optional<TwinResult> twin(std::string_view script, const std::vector<std::string>& args);
};

/// Seconds one call of f takes, on the steady clock.
template <class F>
double seconds_of(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void subprocess_section(Context& ctx);
void threading_section(Context& ctx);
void threading_parallel(Context& ctx);  // part of threading_section: speed-up with threads
void multiprocessing_section(Context& ctx);
void spawn_section(Context& ctx);

}  // namespace concur::cli::demo
