// concur demo: its command line, declared on a CLI11 app. Kept apart from the demo's sections
// so the option parser can be fuzzed (tests/fuzz/fuzz_demo_options.cpp) without them.
//
//   CLI::App app;  DemoOptions o;  declare_demo_options(app, o);  app.parse(argc, argv);
//   DemoOptions o2 = parse_demo_options({"--quick", "--section", "spawn"});  // tests
//
// Pure: no I/O; thread-compatible.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace CLI {
class App;
}  // namespace CLI

namespace concur::cli::demo {

/// The demo's sections, in the order they run (the --section choices).
inline constexpr std::array<std::string_view, 4> kSectionNames{"subprocess", "threading",
                                                               "multiprocessing", "spawn"};

struct DemoOptions {
  bool quick = false;
  bool json = false;
  bool python = true;
  bool help = false;                  // set by parse_demo_options only
  std::vector<std::string> sections;  // empty: all of them
};

bool known_section(std::string_view name);
/// "subprocess, threading, multiprocessing or spawn".
std::string section_names();
/// Whether `options` selects the section called `name`.
bool wanted(const DemoOptions& options, std::string_view name);

/// Declares --quick, --json, --section and --no-python on `app`, parsed into `options`.
void declare_demo_options(CLI::App& app, DemoOptions& options);

/// Parses `args` (without argv[0]). Throws CLI::ParseError (its subclasses) on bad usage;
/// `--help` sets DemoOptions::help.
DemoOptions parse_demo_options(const std::vector<std::string>& args);

}  // namespace concur::cli::demo
