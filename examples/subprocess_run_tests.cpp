// Lecture cell: run the test suite in a build directory, with a timeout, and check the result.
//
//   try:
//       subprocess.run(["ctest"], cwd="build", timeout=60, check=True)
//   except subprocess.CalledProcessError as e: print("tests failed:", e.returncode)
//   except subprocess.TimeoutExpired as e:     print("tests hung:", e)
//
// Here the "test command" is a small shell script so the example runs anywhere.
#include <concur/subprocess.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>

using namespace concur::subprocess;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

// Runs `command` in `build` the way a CI script would; returns what happened, in words.
std::string run_tests(const fs::path& build, const std::string& command, concur::Duration timeout) {
  try {
    auto r = run({"sh", "-c", command},
                 {.capture_output = true, .timeout = timeout, .check = true, .cwd = build});
    return "passed: " + r.out;
  } catch (const CalledProcessError& e) {
    return "failed with exit status " + std::to_string(e.returncode) + ": " + e.err;
  } catch (const TimeoutExpired& e) {
    return std::string(e.what()) + " after printing: " + e.out;
  }
}

int main() {
  const fs::path build = fs::temp_directory_path() / "concur_example_build";
  fs::create_directories(build);
  std::ofstream(build / "CTestTestfile.cmake") << "# pretend build directory\n";

  const auto ok = run_tests(build, "ls CTestTestfile.cmake && echo 100% tests passed", 60s);
  const auto bad = run_tests(build, "echo 1 test failed >&2; exit 8", 60s);
  const auto hung = run_tests(build, "echo starting; exec sleep 30", 500ms);
  std::cout << ok << bad << hung << "\n";
  fs::remove_all(build);

  const bool as_expected = ok.find("100% tests passed") != std::string::npos &&
                           bad.rfind("failed with exit status 8", 0) == 0 &&
                           hung.find("timed out after 0.5 seconds") != std::string::npos &&
                           hung.find("starting") != std::string::npos;
  return as_expected ? 0 : 1;
}
