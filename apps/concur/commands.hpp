// The subcommands of the concur command. main() declares each on its CLI11 app;
// after the command line is parsed, the selected one runs and returns the exit status.
//
//   CLI::App app;  auto run = add_run_command(app);  app.parse(argc, argv);
//   if (run->app().parsed()) return run->run();
#pragma once

#include <memory>

namespace CLI {
class App;
}  // namespace CLI

namespace concur::cli {

class Subcommand {
 public:
  virtual ~Subcommand() = default;
  /// The CLI11 subcommand this object declared its options on.
  virtual CLI::App& app() = 0;
  /// The work, once parsing selected this subcommand: the exit status (2 on bad usage).
  virtual int run() = 0;
};

std::unique_ptr<Subcommand> add_run_command(CLI::App& parent);   // apps/concur/run/
std::unique_ptr<Subcommand> add_demo_command(CLI::App& parent);  // apps/concur/demo/

}  // namespace concur::cli
