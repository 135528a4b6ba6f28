// Lecture cell: feed a calculator through stdin.
//
//   r = subprocess.run(["bc"], input="2 * 3\n", capture_output=True, text=True)
//   print(r.stdout)   # 6
#include <concur/subprocess.hpp>
#include <iostream>

using namespace concur::subprocess;

int main() {
  try {
    auto r = run({"bc"}, {.input = "2 * 3\n", .capture_output = true, .check = true, .text = true});
    std::cout << "2 * 3 = " << r.out;
    return r.out == "6\n" ? 0 : 1;
  } catch (const SpawnError& e) {  // no bc here: say so, as a script would
    std::cout << "bc is not installed: " << e.what() << "\n";
    auto r = run({"sh", "-c", "echo $((2 * 3))"}, {.capture_output = true});
    std::cout << "2 * 3 = " << r.out;
    return r.out == "6\n" ? 0 : 1;
  }
}
