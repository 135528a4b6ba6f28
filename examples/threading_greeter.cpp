// The lecture's first threading cell: a few greeter threads, started and joined.
//
//   def greeter(name, times):
//       for i in range(times): print(f"Hello {name} ({i})")
//   threads = [threading.Thread(target=greeter, args=(n, 3)) for n in ("Ann", "Bob", "Cid")]
//   for t in threads: t.start()
//   for t in threads: t.join()
#include <iostream>
#include <mutex>
#include <string>
#include <vector>

#include "concur/threading.hpp"

int main() {
  using concur::threading::Lock;
  using concur::threading::Thread;
  Lock print_lock;  // one line at a time (Python's print holds a lock too)
  auto greeter = [&](std::string name, int times) {
    for (int i = 0; i < times; ++i) {
      std::lock_guard lk(print_lock);
      std::cout << "Hello " << name << " (" << i << ")\n";
    }
  };
  std::vector<Thread> threads;
  for (std::string name : {"Ann", "Bob", "Cid"}) {
    threads.emplace_back(greeter, name, 3);
    threads.back().set_name("greeter-" + name);
  }
  for (auto& t : threads) t.start();
  for (auto& t : threads) t.join();
  std::cout << "all " << threads.size() << " greeters done\n";
}
