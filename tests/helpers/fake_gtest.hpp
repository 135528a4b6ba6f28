// A stand-in for a GoogleTest binary, for concur run's test-runner tests: it answers
// --gtest_list_tests in GoogleTest's format and runs the one case --gtest_filter names.
// Cases behave as their names say; state between runs lives in $FAKE_GTEST_STATE (a
// directory; default the current one).
#pragma once

#include <spawn.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

extern char** environ;  // NOLINT

namespace fake_gtest {

inline std::string state(const std::string& name) {
  const char* dir = std::getenv("FAKE_GTEST_STATE");
  return std::string(dir != nullptr ? dir : ".") + "/" + name;
}

inline bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

inline void touch(const std::string& path) {
  if (std::FILE* f = std::fopen(path.c_str(), "w")) std::fclose(f);
}

// Runs one case by name: its exit status.
inline int run_case(const std::string& name) {
  if (name.ends_with(".Passes") || name.ends_with(".Adds") || name.find("Param") != name.npos)
    return 0;
  if (name.ends_with(".Fails")) {
    std::fprintf(stderr, "math_test.cpp:12: Failure\nexpected 2, got 3\n");
    return 1;
  }
  if (name.ends_with(".Flaky")) {  // fails on the first run, passes afterwards
    const std::string seen = state("flaky.seen");
    if (exists(seen)) return 0;
    touch(seen);
    std::fprintf(stderr, "flaky: first attempt fails\n");
    return 1;
  }
  if (name.ends_with(".Alternates")) {  // fails, passes, fails, ...
    const std::string flag = state("alternates.flag");
    if (exists(flag)) {
      ::unlink(flag.c_str());
      return 0;
    }
    touch(flag);
    std::fprintf(stderr, "alternates: this run fails\n");
    return 1;
  }
  if (name.ends_with(".Leaks")) {  // a background server left running
    pid_t pid = 0;
    char sleep_path[] = "/bin/sleep", arg[] = "30";
    char* argv[] = {sleep_path, arg, nullptr};
    if (::posix_spawn(&pid, sleep_path, nullptr, nullptr, argv, environ) != 0) return 2;
    if (std::FILE* f = std::fopen(state("leak.pid").c_str(), "w")) {
      std::fprintf(f, "%d\n", static_cast<int>(pid));
      std::fclose(f);
    }
    return 0;
  }
  if (name.ends_with(".Slow")) {  // the job itself takes a while
    timespec t{0, 400'000'000};
    while (::nanosleep(&t, &t) != 0) {
    }
    return 0;
  }
  std::fprintf(stderr, "unknown case %s\n", name.c_str());
  return 3;
}

// main() of a fake binary whose listing is `listing`.
inline int main(int argc, char** argv, const char* listing) {
  std::string filter;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--gtest_list_tests") {
      std::fputs(listing, stdout);
      return 0;
    }
    if (a.rfind("--gtest_filter=", 0) == 0) filter = a.substr(15);
  }
  if (filter.empty()) {
    std::fprintf(stderr, "fake gtest: give --gtest_list_tests or --gtest_filter=NAME\n");
    return 2;
  }
  std::printf("[ RUN      ] %s\n", filter.c_str());
  std::fflush(stdout);
  const int rc = run_case(filter);
  std::printf("[ %s ] %s\n", rc == 0 ? "      OK" : " FAILED ", filter.c_str());
  return rc;
}

}  // namespace fake_gtest
