#include "options.hpp"

#include <CLI/CLI.hpp>

#include "safe_parse.hpp"  // apps/concur/

#include <algorithm>

namespace concur::cli::demo {

bool known_section(std::string_view name) {
  return std::find(kSectionNames.begin(), kSectionNames.end(), name) != kSectionNames.end();
}

std::string section_names() {
  std::string names;
  for (std::size_t i = 0; i < kSectionNames.size(); ++i)
    names += (i == 0                          ? ""
              : i + 1 == kSectionNames.size() ? " or "
                                              : ", ") +
             std::string(kSectionNames[i]);
  return names;
}

bool wanted(const DemoOptions& options, std::string_view name) {
  return options.sections.empty() || std::find(options.sections.begin(), options.sections.end(),
                                               name) != options.sections.end();
}

void declare_demo_options(CLI::App& app, DemoOptions& options) {
  app.add_flag("--quick", options.quick, "small sizes: the whole demo in a few seconds");
  app.add_flag("--json", options.json,
               "print the closing table as JSON on stdout (the narrative goes to stderr)");
  app.add_option("--section", options.sections,
                 "run one section only: " + section_names() + " (repeatable)")
      ->type_name("NAME")
      ->allow_extra_args(false)
      ->check([](const std::string& name) {
        return known_section(name)
                   ? std::string()
                   : "unknown section '" + name + "' (choose " + section_names() + ")";
      });
  app.add_flag("!--no-python", options.python, "C++ alone: do not run the Python twins");
}

DemoOptions parse_demo_options(const std::vector<std::string>& args) {
  CLI::App app{"", "demo"};
  DemoOptions options;
  declare_demo_options(app, options);
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 pops from the back
  try {
    safe_parse(app, reversed);
  } catch (const CLI::CallForHelp&) {
    DemoOptions help;
    help.help = true;
    return help;
  }
  return options;
}

}  // namespace concur::cli::demo
