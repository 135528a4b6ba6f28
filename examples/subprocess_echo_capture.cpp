// Lecture cell: capture what a program prints.
//
//   r = subprocess.run(["echo", "hello", "world"], capture_output=True, text=True)
//   print(repr(r.stdout), r.returncode)
#include <concur/subprocess.hpp>
#include <iostream>

using namespace concur::subprocess;

int main() {
  auto r = run({"echo", "hello", "world"}, {.capture_output = true, .text = true});
  std::cout << "stdout: " << r.out << "returncode: " << r.returncode << "\n";
  std::cout << "check_output: " << check_output({"echo", "again"});
  return r.out == "hello world\n" && r.returncode == 0 ? 0 : 1;
}
