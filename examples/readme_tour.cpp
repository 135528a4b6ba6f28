// The README's snippets, compiled and run, so the README stays true.
#include <concur/concur.hpp>

#include <cstdint>
#include <iostream>
#include <numeric>

using namespace std::chrono_literals;

static void first_screen() {
  namespace sp = concur::subprocess;
  try {
    auto r = sp::run({"sh", "-c", "echo testing; exit 1"},
                     {.capture_output = true, .timeout = 60s, .check = true});
    std::cout << r.out;
  } catch (const sp::CalledProcessError& e) {
    std::cerr << "failed with " << e.returncode << ":\n" << e.err;
  } catch (const sp::TimeoutExpired& e) {
    std::cerr << "killed after " << e.timeout.count() << " s\n";
  }
}

static void subprocess_section() {
  namespace sp = concur::subprocess;
  auto r = sp::run({"echo", "hello"}, {.capture_output = true});
  auto six = sp::run({"bc"}, {.input = "2 * 3\n", .capture_output = true}).out;
  sp::Popen p({"ls", "-l"}, {.out = sp::PIPE});
  while (auto line = p.out().readline()) std::cout << *line;
  p.wait();
  sp::run({"true"}, {.timeout = 90s, .start_new_session = true});
  auto argv = concur::shlex::split("grep -n 'two words' file.txt");
  if (r.out != "hello\n" || six != "6\n" || argv.size() != 4)
    throw std::runtime_error("subprocess");
}

static void threading_section() {
  concur::queue::Queue<int> q(100);
  concur::threading::Thread t([&] {
    for (int i = 0; i < 1000; ++i) q.put(i);
    q.shutdown();
  });
  t.start();
  long sum = 0;
  while (auto item = q.try_get(1s)) sum += *item;
  t.join();
  concur::futures::ThreadPoolExecutor pool(4);
  auto doubled = pool.map([](int x) { return 2 * x; }, std::vector{1, 2, 3});
  auto f = pool.submit([](int a, int b) { return a + b; }, 2, 3);
  if (sum != 499500 || doubled != std::vector{2, 4, 6} || f.get() != 5)
    throw std::runtime_error("threading");
}

static void multiprocessing_section() {
  namespace mp = concur::multiprocessing;
  mp::Pool pool(2);
  auto squares = pool.map(
      +[](int x) { return x * x; }, std::vector{1, 2, 3});
  mp::SharedArray<std::int64_t> data(1'000'000);
  for (auto& x : data) x = 1;
  auto part = pool.apply_async(
      +[](mp::SharedArray<std::int64_t> a, std::size_t lo, std::size_t hi) {
        return std::accumulate(a.begin() + lo, a.begin() + hi, std::int64_t{0});
      },
      data, std::size_t{0}, std::size_t{500'000});
  std::int64_t half = part.get(10s);
  if (squares != std::vector{1, 4, 9} || half != 500'000)
    throw std::runtime_error("multiprocessing");
}

int main() {
  first_screen();
  subprocess_section();
  threading_section();
  multiprocessing_section();
  std::cout << "README snippets ok\n";
  return 0;
}
