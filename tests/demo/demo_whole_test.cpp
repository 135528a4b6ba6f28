// The whole `concur demo --quick`, as CI runs it: every section, the closing table, and the
// JSON table with a positive time for every experiment (and a Python time where python3 is).
// Labelled slow: each case runs the whole quick demo (a few seconds).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>
#include <string>

#include "demo/demo_runner.hpp"

namespace {

using concur::test::python3_on_path;
using concur::test::run_demo;
using ::testing::HasSubstr;

TEST(DemoWhole, QuickRunHasEverySectionAndTheClosingTable) {
  const auto r = run_demo({"--quick"});
  ASSERT_EQ(r.returncode, 0) << r.err;
  for (const char* heading :
       {"== subprocess", "== threading", "== multiprocessing", "== every timed experiment"}) {
    EXPECT_THAT(r.out, HasSubstr(heading));
  }
  EXPECT_THAT(r.out, HasSubstr("Python/C++"));
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << "colour on a pipe";
}

TEST(DemoWhole, JsonHasAPositiveTimeForEveryExperiment) {
  const auto r = run_demo({"--quick", "--json"});
  ASSERT_EQ(r.returncode, 0) << r.err;
  const auto table = nlohmann::json::parse(r.out);  // stdout is pure JSON
  const bool python = python3_on_path();
  EXPECT_EQ(table.at("python").is_string(), python);
  const auto& rows = table.at("experiments");
  std::set<std::string> sections, ids;
  for (const auto& row : rows) {
    sections.insert(row.at("section").get<std::string>());
    EXPECT_TRUE(ids.insert(row.at("id").get<std::string>()).second) << "duplicate id " << row;
    EXPECT_GT(row.at("cpp_s").get<double>(), 0.0) << row.dump();
    if (python && !row.at("python_s").is_null()) {
      EXPECT_GT(row.at("python_s").get<double>(), 0.0) << row.dump();
      EXPECT_GT(row.at("ratio").get<double>(), 0.0) << row.dump();
      EXPECT_EQ(row.at("python_result"), row.at("cpp_result")) << row.dump();
    }
  }
  EXPECT_EQ(sections, (std::set<std::string>{"subprocess", "threading", "multiprocessing"}));
  if (python) {
    // Every experiment has a Python twin except the hand-written std::thread limits.
    for (const auto& row : rows) {
      const auto id = row.at("id").get<std::string>();
      if (id.find("_raw_") != std::string::npos) continue;
      EXPECT_FALSE(row.at("python_s").is_null()) << "no Python time for " << id;
    }
  }
}

}  // namespace
