// The Python twins of the demo's timed experiments, compiled into the binary.
//
//   const std::string_view code = embedded_script("queue_sum");   // common/python/queue_sum.py
//
// The table is generated at build time from apps/concur/demo/python/*.py and common/python/*.py
// (embed_python.cmake), so an installed `concur` runs them without the source tree.
// Thread safety: read-only after first use (a function-local static).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace concur::cli::demo {

struct EmbeddedScript {
  std::string_view name;  // the file name without ".py"
  std::string_view code;  // the whole file
};

/// Every embedded script, sorted by name (defined in the generated source).
const std::vector<EmbeddedScript>& embedded_scripts();

/// The code of python/<name>.py. Throws std::out_of_range for an unknown name (a demo bug).
inline std::string_view embedded_script(std::string_view name) {
  for (const auto& script : embedded_scripts()) {
    if (script.name == name) return script.code;
  }
  throw std::out_of_range("no embedded Python script named " + std::string(name));
}

}  // namespace concur::cli::demo
