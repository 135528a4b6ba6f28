// Processes do not share memory: each child appends to its own copy of `accumulator`;
// the parent's stays empty. (The lecture's cell, with concur::multiprocessing::Process.)
#include <concur/multiprocessing.hpp>
#include <iostream>
#include <vector>

namespace mp = concur::multiprocessing;

std::vector<int> accumulator;

void add(int x) {
  accumulator.push_back(x);
  std::cout << "child: accumulator has " << accumulator.size() << " item(s)\n";
}

int main() {
  std::vector<mp::Process> procs;
  for (int i = 0; i < 3; ++i) procs.emplace_back(&add, i);
  for (auto& p : procs) p.start();
  for (auto& p : procs) p.join();
  std::cout << "parent: accumulator has " << accumulator.size() << " item(s)\n";
  for (auto& p : procs)
    if (p.exitcode() != 0) return 1;
  return accumulator.empty() ? 0 : 1;
}
