// Placeholder until `concur run` lands (see its issue): it says so plainly.
#include <cstdio>

#include "commands.hpp"

namespace concur::cli {

int run_main(int, char**) {
  std::fputs("concur run: not implemented yet in this build\n", stderr);
  return 255;
}

}  // namespace concur::cli
