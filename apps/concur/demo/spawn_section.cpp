// The lecture's multiprocessing cell under the spawn start method: Python's spawned child
// is a fresh interpreter that must re-import __main__ to find the worker, and a notebook (or
// `python3 -c`) has no file to import: "AttributeError: Can't get attribute 'worker' on
// <module '__main__'>". concur's spawned child is a fresh exec of this very program; the
// worker travels as its offset in the program image and is found whatever ASLR did.
#include <fmt/format.h>
#include <concur/multiprocessing.hpp>

#include <cstdint>
#include <string>

#include "sections.hpp"

namespace concur::cli::demo {

namespace mp = concur::multiprocessing;

namespace {

// The lecture's worker: a plain function of the program, defined in "__main__".
std::int64_t worker(std::int64_t n) {
  std::int64_t s = 0;
  for (std::int64_t x = 0; x < n; ++x) s += x * x;
  return s;
}

void spawn_worker(Context& ctx) {
  const std::int64_t n = 10;
  ctx.report.experiment(
      "the same worker, started with the spawn start method",
      "Python's spawned child re-imports __main__ to find `worker`, and fails where __main__ "
      "is a notebook or `python3 -c`; concur execs this program again and finds `worker` by "
      "its offset in the program image");
  ctx.report.code(
      "int main(int argc, char** argv) {\n"
      "  mp::freeze_support(argc, argv);      // first: a spawned child becomes a worker here\n"
      "  mp::Pool pool(1, {.start_method = mp::StartMethod::spawn});\n"
      "  pool.apply(worker, 10);               // sum of x * x below 10\n"
      "}");
  std::string cpp_result;
  const double cpp = seconds_of([&] {
    mp::Pool pool(1, {.start_method = mp::StartMethod::spawn});
    cpp_result = "ran: " + std::to_string(pool.apply(worker, n));
  });
  const auto twin = ctx.twin("spawn_worker", {std::to_string(n)});
  ctx.report.result(fmt::format("C++    (spawn, {}): {}\nPython (spawn{}): {}", format_seconds(cpp),
                                cpp_result, twin ? ", " + format_seconds(twin->seconds) : "",
                                twin ? twin->result : "not run"));
  const bool python_failed = twin && twin->result.rfind("failed", 0) == 0;
  ctx.report.lesson(
      python_failed
          ? "under spawn, Python must re-import the worker's module, so it cannot run workers "
            "defined in a notebook or `python3 -c`; a C++ function is code of the program itself"
          : "both ran: Python found the worker by re-importing __main__ from a file; C++ finds "
            "it in the program image");
}

}  // namespace

void spawn_section(Context& ctx) { ctx.attempt("the spawn start method", spawn_worker); }

}  // namespace concur::cli::demo
