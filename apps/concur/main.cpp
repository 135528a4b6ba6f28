// concur — one command over the concur library: `concur run` and `concur demo`.
// main() declares the subcommands on one CLI11 app, parses, and runs the chosen one.
// Bad usage is one line on stderr and exit 2, whatever CLI11 would print.
#include <concur/multiprocessing.hpp>
#include <concur/version.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>
#include <string_view>

#include "commands.hpp"
#include "run/options.hpp"
#include "safe_parse.hpp"
#include "usage_format.hpp"

int main(int argc, char** argv) {
  // First: the demo's StartMethod::spawn workers are fresh execs of this program.
  concur::multiprocessing::freeze_support(argc, argv);
  namespace cc = concur::cli;
  CLI::App app{"concur — Python's subprocess, threading and multiprocessing, in C++20", "concur"};
  app.formatter(std::make_shared<cc::UsageFormatter>("concur COMMAND [OPTIONS]"));
  app.footer("`concur COMMAND --help` describes a command's options.");
  app.require_subcommand(0, 1);  // one command; a later word is the command's, never a command
  app.set_version_flag("-V,--version", "concur " + std::string(concur::version()),
                       "show the version and exit");
  auto run = cc::add_run_command(app);
  auto demo = cc::add_demo_command(app);
  for (CLI::App* sub : {&run->app(), &demo->app()})  // help2man asks `concur run --version`
    sub->set_version_flag("--version", "concur " + std::string(concur::version()),
                          "show the version and exit");
  const std::string_view first = argc > 1 ? argv[1] : "";
  if (argc < 2) {  // no command: usage, as a mistake
    std::fputs(app.help().c_str(), stderr);
    return 2;
  }
  if (first == "help") {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  }
  try {
    cc::safe_parse(app, argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::fputs(app.help().c_str(), stdout);  // the selected subcommand's help, if any
    return 0;
  } catch (const CLI::CallForVersion& e) {
    std::printf("%s\n", e.what());
    return 0;
  } catch (const CLI::ParseError& e) {
    const char* who = run->app().count() > 0    ? "concur run"
                      : demo->app().count() > 0 ? "concur demo"
                                                : "concur";
    std::string message = cc::run::usage_message(e);
    if (who == std::string_view("concur") && message.starts_with("unexpected argument"))
      message = "unknown command" + message.substr(std::string_view("unexpected argument").size());
    std::fprintf(stderr, "%s: %s (try '%s --help')\n", who, message.c_str(), who);
    return 2;
  }
  if (run->app().parsed()) return run->run();
  if (demo->app().parsed()) return demo->run();
  std::fputs(app.help().c_str(), stderr);  // options but no command
  return 2;
}
