// The concur command's help layout: CLI11's generated help with our own usage lines
// (CLI11 cannot describe `--` and `:::` groups).
//
//   app.formatter(std::make_shared<concur::cli::UsageFormatter>("concur run [OPTIONS] ..."));
//
// Thread safety: immutable after construction.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <utility>

namespace concur::cli {

class UsageFormatter : public CLI::Formatter {
 public:
  explicit UsageFormatter(std::string usage) : usage_(std::move(usage)) {}
  std::string make_usage(const CLI::App* /*app*/, std::string /*name*/) const override {
    return "Usage: " + usage_ + "\n";
  }

 private:
  std::string usage_;
};

}  // namespace concur::cli
