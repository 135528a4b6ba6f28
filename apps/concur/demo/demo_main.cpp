// concur demo: parses its options, runs the sections, prints the closing table.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "machine.hpp"
#include "options.hpp"
#include "sections.hpp"
#include "usage_format.hpp"

namespace concur::cli {

namespace {

struct SectionEntry {
  std::string_view name;
  std::string_view about;
  void (*run)(demo::Context&);
};

constexpr SectionEntry kSections[] = {
    {demo::kSectionNames[0],
     "concur::subprocess: run programs, talk to them through pipes, time them out",
     demo::subprocess_section},
    {demo::kSectionNames[1],
     "concur::threading, queue, futures: threads that really run in parallel",
     demo::threading_section},
    {demo::kSectionNames[2], "concur::multiprocessing: worker processes, what they copy and share",
     demo::multiprocessing_section},
    {demo::kSectionNames[3],
     "the spawn start method: Python's re-import of __main__ vs a C++ program image",
     demo::spawn_section},
};
static_assert(std::size(kSections) == demo::kSectionNames.size());

using demo::DemoOptions;

bool colour_on(std::FILE* out) {
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && *no_color != '\0') return false;
  return ::isatty(::fileno(out)) == 1;
}

int run_demo(const DemoOptions& options) {
  std::FILE* narrative = options.json ? stderr : stdout;
  demo::Report report{{.colour = colour_on(narrative), .narrative = narrative}};
  demo::PythonTwins python{options.python};
  demo::Context ctx{report, python, demo::sizes_for(options.quick)};

  report.section("concur demo",
                 "The lecture's experiments, live: C++ with concur, Python beside it.");
  report.result(
      "Each experiment: what it shows, the C++ call, what it printed. Timed ones also run the\n"
      "same code in Python and give the ratio; a table of them all closes the demo.");
  report.result(std::string("sizes: ") +
                (options.quick ? "--quick (small, for tests)" : "the lecture's (10^7 ones)") +
                "; " + demo::machine_summary());
  if (python.available()) {
    report.result("Python twins: python3 " + python.version() +
                  " runs the lecture's own code for every timed experiment");
  } else {
    report.note(python.last_error() + ": showing C++ alone");
  }

  for (const auto& section : kSections) {
    if (!demo::wanted(options, section.name)) continue;
    report.section(section.name, section.about);
    section.run(ctx);
  }

  if (options.json) {
    auto table = report.table_json();
    table["quick"] = options.quick;
    table["python"] = python.available() ? nlohmann::json(python.version()) : nlohmann::json();
    std::cout << table.dump(2) << std::endl;
  } else {
    report.print_table(stdout);
  }
  if (report.failures() > 0) {
    std::fprintf(stderr, "concur demo: %d experiment%s failed (see FAILED above)\n",
                 report.failures(), report.failures() == 1 ? "" : "s");
    return 1;
  }
  return 0;
}

class DemoCommand : public Subcommand {
 public:
  explicit DemoCommand(CLI::App& app) : app_(app) {
    app.formatter(std::make_shared<UsageFormatter>(
        "concur demo [--quick] [--json] [--section NAME]... [--no-python]"));
    app.footer(
        "Replays the lecture's experiments on subprocess, threading and multiprocessing, live,\n"
        "in C++ with concur and, where python3 is on PATH, the same experiments in Python beside\n"
        "them: what each shows, both times and their ratio, and a closing table. Offline; exits\n"
        "0 (1 if an experiment failed, 2 on bad usage).\n"
        "\n"
        "Colour is used on a terminal, unless NO_COLOR is set.");
    demo::declare_demo_options(app, options_);
  }
  CLI::App& app() override { return app_; }
  int run() override { return run_demo(options_); }

 private:
  CLI::App& app_;
  DemoOptions options_;
};

}  // namespace

std::unique_ptr<Subcommand> add_demo_command(CLI::App& parent) {
  CLI::App* app = parent.add_subcommand(
      "demo", "replay the lecture's experiments live, in C++ and Python side by side");
  return std::make_unique<DemoCommand>(*app);
}

}  // namespace concur::cli
