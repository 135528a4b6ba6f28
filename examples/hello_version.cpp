// The smallest concur program: prints the library's version.
#include <concur/concur.hpp>

#include <iostream>

int main() {
  std::cout << "concur " << concur::version() << "\n";
  return 0;
}
