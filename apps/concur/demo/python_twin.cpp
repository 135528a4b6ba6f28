// The Python twins run through concur::subprocess: the demo eats its own cooking.
#include "python_twin.hpp"

#include <sys/stat.h>
#include <unistd.h>
#include <concur/subprocess.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>

#include "embedded_scripts.hpp"

namespace concur::cli::demo {

namespace sp = concur::subprocess;
using namespace std::chrono_literals;

namespace {

std::string last_line(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  const auto newline = text.rfind('\n');
  return std::string(newline == std::string_view::npos ? text : text.substr(newline + 1));
}

}  // namespace

std::string find_on_path(std::string_view program) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return {};
  std::string_view dirs = path;
  while (true) {
    const auto colon = dirs.find(':');
    std::string dir(dirs.substr(0, colon));
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/" + std::string(program);
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    if (colon == std::string_view::npos) return {};
    dirs.remove_prefix(colon + 1);
  }
}

PythonTwins::PythonTwins(bool enabled) {
  if (!enabled) {
    last_error_ = "Python twins are off";
    return;
  }
  const std::string program = find_on_path("python3");
  if (program.empty()) {
    last_error_ = "python3 is not on PATH";
    return;
  }
  try {
    // A pyenv shim may exist without a usable interpreter behind it: ask it something.
    const auto r = sp::run({program, "-c", "import sys; print(sys.version.split()[0])"},
                           {.capture_output = true, .timeout = 30s});
    if (r.returncode != 0) {
      last_error_ = "python3 does not run: " + last_line(r.err);
      return;
    }
    version_ = last_line(r.out);
    program_ = program;
  } catch (const std::exception& e) {
    last_error_ = std::string("python3 does not run: ") + e.what();
  }
}

std::optional<TwinResult> PythonTwins::run(std::string_view name,
                                           const std::vector<std::string>& args) {
  if (!available()) return std::nullopt;
  std::vector<std::string> argv = {program_, "-c", std::string(embedded_script(name))};
  argv.insert(argv.end(), args.begin(), args.end());
  try {
    const auto r = sp::run(std::move(argv), {.capture_output = true, .timeout = 300s});
    if (r.returncode != 0) {
      last_error_ =
          "the Python twin failed (exit " + std::to_string(r.returncode) + "): " + last_line(r.err);
      return std::nullopt;
    }
    const auto answer = nlohmann::json::parse(last_line(r.out));
    TwinResult twin;
    twin.seconds = answer.at("seconds").get<double>();
    twin.result = answer.at("result").get<std::string>();
    return twin;
  } catch (const sp::TimeoutExpired&) {
    last_error_ = "the Python twin took more than 300 s and was stopped";
  } catch (const std::exception& e) {
    last_error_ = std::string("the Python twin failed: ") + e.what();
  }
  return std::nullopt;
}

}  // namespace concur::cli::demo
