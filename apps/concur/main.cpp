// concur — one command over the concur library: `concur run` and `concur demo`.
// main() only dispatches; each subcommand parses its own options.
#include <concur/multiprocessing.hpp>
#include <concur/version.hpp>

#include <cstdio>
#include <cstring>
#include <string_view>

#include "commands.hpp"

namespace {

constexpr const char* kUsage =
    "concur — Python's subprocess, threading and multiprocessing, in C++20\n"
    "\n"
    "Usage: concur COMMAND [OPTIONS]\n"
    "\n"
    "Commands:\n"
    "  run     run many commands or test suites in parallel, with timeouts and reports\n"
    "  demo    replay the lecture's experiments live, in C++ and Python side by side\n"
    "\n"
    "Options:\n"
    "  -h, --help     show this help and exit\n"
    "  --version      show the version and exit\n"
    "\n"
    "`concur COMMAND --help` describes a command's options.\n";

}  // namespace

int main(int argc, char** argv) {
  // First: the demo's StartMethod::spawn workers are fresh execs of this program.
  concur::multiprocessing::freeze_support(argc, argv);
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string_view command = argv[1];
  if (command == "-h" || command == "--help" || command == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (command == "--version" || command == "-V") {
    std::printf("concur %.*s\n", static_cast<int>(concur::version().size()),
                concur::version().data());
    return 0;
  }
  if (command == "run") return concur::cli::run_main(argc - 1, argv + 1);
  if (command == "demo") return concur::cli::demo_main(argc - 1, argv + 1);
  std::fprintf(stderr, "concur: unknown command '%s' (try 'concur --help')\n", argv[1]);
  return 2;
}
