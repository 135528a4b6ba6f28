// Lecture cell: read the output of `ls -l` line by line while it runs.
//
//   with subprocess.Popen(["ls", "-l"], stdout=subprocess.PIPE, text=True) as p:
//       for line in p.stdout:
//           print("ls says:", line, end="")
//   print("exit status", p.returncode)
#include <concur/subprocess.hpp>
#include <iostream>

using namespace concur::subprocess;

int main() {
  Popen p({"ls", "-l", "/"}, {.out = PIPE, .text = true});
  int lines = 0;
  while (auto line = p.out().readline()) {
    std::cout << "ls says: " << *line;
    ++lines;
  }
  const int status = p.wait();
  std::cout << "exit status " << status << " after " << lines << " lines\n";
  return status == 0 && lines > 0 ? 0 : 1;
}
