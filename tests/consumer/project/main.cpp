// A consumer of concur: prints the library version, then uses the library.
#include <concur/concur.hpp>

#include <iostream>

int main() {
  std::cout << "concur " << concur::version() << "\n";
  const auto r = concur::subprocess::run({"echo", "subprocess works"}, {.capture_output = true});
  std::cout << r.out;
  return r.returncode == 0 && r.out == "subprocess works\n" ? 0 : 1;
}
