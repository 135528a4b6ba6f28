// Placeholder until `concur demo` lands (see its issue): it says so plainly.
#include <cstdio>

#include "commands.hpp"

namespace concur::cli {

int demo_main(int, char**) {
  std::fputs("concur demo: not implemented yet in this build\n", stderr);
  return 255;
}

}  // namespace concur::cli
