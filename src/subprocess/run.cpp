// run(), call(), check_call(), check_output(), getoutput(), getstatusoutput().
#include <stdexcept>
#include <utility>

#include "concur/subprocess.hpp"

namespace concur::subprocess {
namespace {

bool is_inherit(const Redirect& r) {
  return std::holds_alternative<Stream>(r) && std::get<Stream>(r) == Stream::inherit;
}

// run() and call() fail the same way: whatever escapes (TimeoutExpired included) first ends the
// child with stop(0) — SIGKILL to its whole group when it leads one, so no grandchild survives,
// else to the child only (Python's behaviour) — and reaps it.
template <class F>
auto stopping_on_failure(Popen& p, F body) {
  try {
    return body();
  } catch (...) {
    try {
      p.stop(Duration::zero());
    } catch (...) {  // the first failure is the one to report
    }
    throw;
  }
}

}  // namespace

void CompletedProcess::check_returncode() const {
  if (returncode != 0) throw CalledProcessError(returncode, args, out, err);
}

CompletedProcess run(std::vector<std::string> args, Options options) {
  if (options.input) {
    if (!is_inherit(options.in))
      throw std::invalid_argument("concur::subprocess::run: input and in may not both be used");
    options.in = PIPE;
  }
  if (options.capture_output) {
    if (!is_inherit(options.out) || !is_inherit(options.err))
      throw std::invalid_argument(
          "concur::subprocess::run: capture_output may not be used with out or err");
    options.out = PIPE;
    options.err = PIPE;
  }
  // The fields only run() reads: Popen refuses them.
  auto input = std::exchange(options.input, std::nullopt);
  const auto timeout = std::exchange(options.timeout, std::nullopt);
  const bool check = std::exchange(options.check, false);
  options.capture_output = false;
  Popen p(std::move(args), std::move(options));
  auto output = stopping_on_failure(p, [&] { return p.communicate(std::move(input), timeout); });
  CompletedProcess done{p.args(), *p.returncode(), std::move(output.out), std::move(output.err)};
  if (check) done.check_returncode();
  return done;
}

int call(std::vector<std::string> args, Options options) {
  const auto timeout = std::exchange(options.timeout, std::nullopt);
  Popen p(std::move(args), std::move(options));
  return stopping_on_failure(p, [&] { return p.wait(timeout); });
}

void check_call(std::vector<std::string> args, Options options) {
  const int rc = call(args, std::move(options));
  if (rc != 0) throw CalledProcessError(rc, std::move(args));
}

std::string check_output(std::vector<std::string> args, Options options) {
  if (!is_inherit(options.out))
    throw std::invalid_argument("concur::subprocess::check_output: out is set by check_output");
  options.out = PIPE;
  options.check = true;
  return run(std::move(args), std::move(options)).out;
}

std::pair<int, std::string> getstatusoutput(std::string command) {
  Options options{.err = STDOUT, .shell = true, .text = true};
  int code = 0;
  std::string data;
  try {
    data = check_output({std::move(command)}, std::move(options));
  } catch (const CalledProcessError& e) {
    data = e.out;
    code = e.returncode;
  }
  if (!data.empty() && data.back() == '\n') data.pop_back();
  return {code, std::move(data)};
}

std::string getoutput(std::string command) { return getstatusoutput(std::move(command)).second; }

}  // namespace concur::subprocess
