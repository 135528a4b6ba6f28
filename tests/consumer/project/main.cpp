// A consumer of concur: prints the library version, then uses the library.
#include <concur/concur.hpp>

#include <iostream>

int main() {
  std::cout << "concur " << concur::version() << "\n";
  return 0;
}
