// concur demo: parses its options, runs the sections, prints the closing table.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "commands.hpp"
#include "machine.hpp"
#include "sections.hpp"

namespace concur::cli {

namespace {

constexpr const char* kUsage =
    "Usage: concur demo [--quick] [--json] [--section NAME]\n"
    "\n"
    "Replays the lecture's experiments on subprocess, threading and multiprocessing, live, in C++\n"
    "with concur and, where python3 is on PATH, the same experiments in Python beside them:\n"
    "what each shows, both times and their ratio, and a closing table. Offline; exits 0\n"
    "(1 if an experiment failed, 2 on bad usage).\n"
    "\n"
    "Options:\n"
    "  --quick          small sizes: the whole demo in a few seconds\n"
    "  --json           print the closing table as JSON on stdout (the narrative goes to stderr)\n"
    "  --section NAME   run one section only: subprocess, threading or multiprocessing\n"
    "                   (repeatable)\n"
    "  --no-python      C++ alone: do not run the Python twins\n"
    "  -h, --help       show this help and exit\n"
    "\n"
    "Colour is used on a terminal, unless NO_COLOR is set.\n";

struct SectionEntry {
  std::string_view name;
  std::string_view about;
  void (*run)(demo::Context&);
};

constexpr SectionEntry kSections[] = {
    {"subprocess", "concur::subprocess: run programs, talk to them through pipes, time them out",
     demo::subprocess_section},
    {"threading", "concur::threading, queue, futures: threads that really run in parallel",
     demo::threading_section},
    {"multiprocessing", "concur::multiprocessing: worker processes, what they copy and share",
     demo::multiprocessing_section},
    {"spawn", "the spawn start method: Python's re-import of __main__ vs a C++ program image",
     demo::spawn_section},
};

struct DemoOptions {
  bool quick = false;
  bool json = false;
  bool python = true;
  std::vector<std::string> sections;
};

int usage_error(const std::string& message) {
  std::fprintf(stderr, "concur demo: %s (try 'concur demo --help')\n", message.c_str());
  return 2;
}

bool known_section(std::string_view name) {
  for (const auto& s : kSections) {
    if (s.name == name) return true;
  }
  return false;
}

// Returns -1 when the demo should run, else the exit status.
int parse(int argc, char** argv, DemoOptions& options) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "--quick") {
      options.quick = true;
    } else if (arg == "--json") {
      options.json = true;
    } else if (arg == "--no-python") {
      options.python = false;
    } else if (arg == "--section" || arg.starts_with("--section=")) {
      std::string name;
      if (arg == "--section") {
        if (i + 1 >= argc) return usage_error("--section needs a NAME");
        name = argv[++i];
      } else {
        name = std::string(arg.substr(std::strlen("--section=")));
      }
      if (!known_section(name)) {
        return usage_error("unknown section '" + name +
                           "' (choose subprocess, threading or multiprocessing)");
      }
      options.sections.push_back(name);
    } else {
      return usage_error("unknown option '" + std::string(arg) + "'");
    }
  }
  return -1;
}

bool wanted(const DemoOptions& options, std::string_view name) {
  if (options.sections.empty()) return true;
  for (const auto& s : options.sections) {
    if (s == name) return true;
  }
  return false;
}

bool colour_on(std::FILE* out) {
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && *no_color != '\0') return false;
  return ::isatty(::fileno(out)) == 1;
}

}  // namespace

int demo_main(int argc, char** argv) {
  DemoOptions options;
  if (const int status = parse(argc, argv, options); status >= 0) return status;

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
    if (!wanted(options, section.name)) continue;
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

}  // namespace concur::cli
