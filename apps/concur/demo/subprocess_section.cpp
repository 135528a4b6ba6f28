// The subprocess part of the lecture: Popen, captured output, input, exit codes, a timeout
// that expires, check on a failing command, and what one spawn costs beside Python's.
#include <fmt/format.h>
#include <concur/subprocess.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "sections.hpp"

namespace concur::cli::demo {

namespace sp = concur::subprocess;

namespace {

// The first `count` lines of text, and how many were left out.
std::string head(const std::string& text, std::size_t count) {
  std::string out;
  std::size_t start = 0, lines = 0, total = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (lines < count) {
      out += (lines ? "\n" : "") + text.substr(start, end - start);
      ++lines;
    }
    ++total;
    start = end + 1;
  }
  if (total > lines) out += fmt::format("\n... ({} more lines)", total - lines);
  return out;
}

std::string quoted(std::string text) {
  std::string out = "\"";
  for (const char c : text) out += c == '\n' ? std::string("\\n") : std::string(1, c);
  return out + "\"";
}

void popen_ls(Context& ctx) {
  ctx.report.experiment("Popen([\"ls\", \"-l\"]) with out = PIPE",
                        "a child runs beside us; we read what it prints through a pipe");
  ctx.report.code(
      "sp::Popen ls({\"ls\", \"-l\", \"/\"}, {.out = sp::PIPE});\n"
      "auto [out, err] = ls.communicate();   // reads until EOF, then reaps the child");
  sp::Popen ls({"ls", "-l", "/"}, {.out = sp::PIPE});
  const auto output = ls.communicate();
  ctx.report.result(head(output.out, 4));
  ctx.report.result(fmt::format("pid {}, returncode {}", ls.pid(), ls.returncode().value_or(-1)));
}

void echo_captured(Context& ctx) {
  ctx.report.experiment("run([\"echo\", ...], capture_output)",
                        "run() waits for the child and hands back its output as a string");
  ctx.report.code(
      "auto r = sp::run({\"echo\", \"Hello from a child\"}, {.capture_output = true});");
  const auto r = sp::run({"echo", "Hello from a child"}, {.capture_output = true});
  ctx.report.result(fmt::format("r.out = {}, r.returncode = {}", quoted(r.out), r.returncode));
}

void bc_input(Context& ctx) {
  ctx.report.experiment("2 * 3 through bc, with input",
                        "input= feeds the child's stdin; we read its answer on stdout");
  ctx.report.code("sp::run({\"bc\"}, {.input = \"2 * 3\\n\", .capture_output = true}).out");
  try {
    const auto r = sp::run({"bc"}, {.input = "2 * 3\n", .capture_output = true});
    ctx.report.result("bc answered " + quoted(r.out));
  } catch (const sp::SpawnError& e) {
    ctx.report.note(fmt::format("bc is not installed here ({}): skipped", e.what()));
  }
}

void exit_code(Context& ctx) {
  ctx.report.experiment("an exit code is a value",
                        "a command that fails is not an exception unless you ask for one");
  ctx.report.code("auto r = sp::run({\"ls\", \"/no/such/dir\"}, {.capture_output = true});");
  const auto r = sp::run({"ls", "/no/such/dir"}, {.capture_output = true});
  ctx.report.result(fmt::format("r.returncode = {}\nr.err = {}", r.returncode, quoted(r.err)));
}

void timeout_expires(Context& ctx) {
  const double limit = ctx.sizes.timeout_seconds;
  ctx.report.experiment(
      "a timeout that expires",
      "the child is killed and reaped; TimeoutExpired carries what it printed so far");
  ctx.report.code(
      fmt::format("sp::run({{\"sh\", \"-c\", \"echo started; exec sleep 30\"}},\n"
                  "        {{.capture_output = true, .timeout = {}s}});",
                  limit));
  const auto elapsed = seconds_of([&] {
    try {
      sp::run({"sh", "-c", "echo started; exec sleep 30"},
              {.capture_output = true, .timeout = Duration(limit)});
      ctx.report.note("the child finished before its timeout (unexpected)");
    } catch (const sp::TimeoutExpired& e) {
      ctx.report.result(
          fmt::format("TimeoutExpired: {}\npartial output: e.out = {}", e.what(), quoted(e.out)));
    }
  });
  ctx.report.result(fmt::format("back after {} instead of 30 s", format_seconds(elapsed)));
}

void check_fails(Context& ctx) {
  ctx.report.experiment("check = true on a failing command",
                        "check turns a non-zero exit into CalledProcessError, with the output");
  ctx.report.code("sp::run({\"ls\", \"/no/such/dir\"}, {.capture_output = true, .check = true});");
  try {
    sp::run({"ls", "/no/such/dir"}, {.capture_output = true, .check = true});
    ctx.report.note("ls succeeded (unexpected)");
  } catch (const sp::CalledProcessError& e) {
    ctx.report.result(fmt::format("CalledProcessError: {}\ne.returncode = {}, e.err = {}", e.what(),
                                  e.returncode, quoted(e.err)));
  }
}

void spawn_cost(Context& ctx) {
  const int runs = ctx.sizes.echo_runs;
  ctx.report.experiment(fmt::format("{} x run(echo) with capture_output", runs),
                        "what starting a program costs: spawned without fork(), from C++ and "
                        "from Python's subprocess");
  std::string last;
  const double cpp = seconds_of([&] {
    for (int i = 0; i < runs; ++i) {
      last =
          sp::run({"echo", "hello", std::to_string(i)}, {.capture_output = true, .text = true}).out;
    }
  });
  while (!last.empty() && last.back() == '\n') last.pop_back();
  ctx.report.timed({.id = "spawn_echo",
                    .title = fmt::format("{} x run(echo), captured", runs),
                    .cpp_seconds = cpp,
                    .cpp_result = last,
                    .python = ctx.twin("spawn_echo", {std::to_string(runs)})});
}

}  // namespace

void subprocess_section(Context& ctx) {
  ctx.attempt("Popen ls", popen_ls);
  ctx.attempt("echo captured", echo_captured);
  ctx.attempt("bc with input", bc_input);
  ctx.attempt("exit code", exit_code);
  ctx.attempt("timeout", timeout_expires);
  ctx.attempt("check", check_fails);
  ctx.attempt("spawn cost", spawn_cost);
  ctx.report.lesson(
      "Python's subprocess, same names and semantics; a failure is a typed exception or a value");
}

}  // namespace concur::cli::demo
