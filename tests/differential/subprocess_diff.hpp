// concur::subprocess::run against Python's subprocess.run on a table of child behaviours:
// exit codes, death by signal, stderr, closed stdin, stdin the child never reads, huge
// outputs on both pipes, timeouts with partial output, grandchildren holding the pipes,
// universal newlines, exec failures. Python runs the whole table once (one python3); concur
// runs it in this process. Compared per case: the exception kind, returncode, errno and the
// length and SHA-256 of stdout and stderr (for exceptions: the output they carry).
#pragma once

#include <openssl/evp.h>

#include <concur/subprocess.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "diff_support.hpp"

namespace concur::difftest {

struct ChildCase {
  std::string name;
  std::vector<std::string> args;
  std::optional<std::string> input = {};
  std::size_t input_repeat = 1;
  std::optional<double> timeout = {};
  bool text = false, check = false, stdin_devnull = false;
};

/// The table; `big` is the size of the huge outputs, in bytes; `slow_cases` adds the ones
/// that wait on timeouts and grandchildren (a few tenths of a second each).
inline std::vector<ChildCase> child_cases(std::size_t big, bool slow_cases) {
  const std::string n = std::to_string(big);
  auto sh = [](std::string name, std::string script) {
    return ChildCase{.name = std::move(name), .args = {"sh", "-c", std::move(script)}};
  };
  std::vector<ChildCase> t = {
      sh("exit 0 with output", "echo hello; echo world"),
      sh("exit 3", "echo out; echo err >&2; exit 3"),
      sh("exit 255", "exit 255"),
      sh("exit 256 wraps to 0", "exit 256"),
      sh("SIGKILL", "echo before; kill -KILL $$"),
      sh("SIGTERM", "kill -TERM $$"),
      sh("SIGSEGV", "kill -SEGV $$"),
      sh("SIGPIPE", "kill -PIPE $$"),
      sh("closed stdin", "exec 0<&-; cat; echo rc=$?"),
      sh("closed stdout", "exec 1>&-; echo gone; echo still >&2"),
      sh("binary and NUL bytes", "printf 'a\\000b\\377\\376\\r\\n'"),
      sh("huge stdout", "head -c " + n + " /dev/zero | tr '\\000' x"),
      sh("huge stdout and stderr at once",
         "yes out | head -c " + n + " & yes err | head -c " + n + " >&2; wait"),
      sh("grandchild closes its copy", "sleep 1 >/dev/null 2>&1 & echo quick"),
  };
  t.push_back({.name = "stdin echoed", .args = {"cat"}, .input = "line\n", .input_repeat = 50000});
  t.push_back(
      {.name = "stdin never read", .args = {"true"}, .input = "x", .input_repeat = 4 << 20});
  t.push_back({.name = "stdin half read",
               .args = {"head", "-c", "1000"},
               .input = "y",
               .input_repeat = 1 << 20});
  t.push_back(
      {.name = "stdin devnull", .args = {"sh", "-c", "cat; echo eof"}, .stdin_devnull = true});
  t.push_back(
      {.name = "finishes inside its timeout", .args = {"sh", "-c", "echo fast"}, .timeout = 30});
  t.push_back({.name = "text mode newlines",
               .args = {"printf", "a\\r\\nb\\rc\\n\\xc3\\xa9"},
               .text = true});
  t.push_back({.name = "check fails", .args = {"sh", "-c", "echo o; exit 7"}, .check = true});
  t.push_back({.name = "check passes", .args = {"true"}, .check = true});
  t.push_back({.name = "program not found", .args = {"/nonexistent/concur-no-such-program"}});
  t.push_back({.name = "not executable", .args = {"/etc/passwd"}});
  t.push_back({.name = "a directory", .args = {"/tmp"}});
  if (!slow_cases) return t;
  t.push_back(sh("grandchild keeps the pipe a while", "(sleep 0.2; echo late) & echo early"));
  t.push_back({.name = "timeout with partial output",
               .args = {"sh", "-c", "echo partial; echo e >&2; exec sleep 5"},
               .timeout = 0.3});
  t.push_back({.name = "timeout while a grandchild holds the pipe",
               .args = {"sh", "-c", "sleep 5 & echo parent; exec sleep 5"},
               .timeout = 0.3});
  return t;
}

inline std::string sha256_hex(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  return to_hex(std::string_view(reinterpret_cast<const char*>(md), len));
}

inline nlohmann::json concur_outcome(const ChildCase& c) {
  namespace sp = concur::subprocess;
  nlohmann::json r = {{"exc", nullptr}, {"rc", nullptr}, {"errno", nullptr}};
  std::string out, err;
  sp::Options o{.capture_output = true, .check = c.check, .text = c.text};
  if (c.input) {
    std::string in;
    in.reserve(c.input->size() * c.input_repeat);
    for (std::size_t i = 0; i < c.input_repeat; ++i) in += *c.input;
    o.input = std::move(in);
  }
  if (c.stdin_devnull) o.in = sp::DEVNULL;
  if (c.timeout) o.timeout = concur::Duration(*c.timeout);
  try {
    auto p = sp::run(c.args, o);
    r["rc"] = p.returncode;
    out = std::move(p.out);
    err = std::move(p.err);
  } catch (const sp::TimeoutExpired& e) {
    r["exc"] = "TimeoutExpired";
    out = e.out;
    err = e.err;
  } catch (const sp::CalledProcessError& e) {
    r["exc"] = "CalledProcessError";
    r["rc"] = e.returncode;
    out = e.out;
    err = e.err;
  } catch (const sp::SpawnError& e) {
    r["exc"] = "OSError";
    r["errno"] = e.code().value();
  }
  r["out_len"] = out.size();
  r["out_sha"] = sha256_hex(out);
  r["err_len"] = err.size();
  r["err_sha"] = sha256_hex(err);
  return r;
}

/// Runs the table through both; returns the differences (empty: none).
inline std::vector<std::string> compare_run_with_python(std::size_t big, bool slow_cases) {
  const auto cases = child_cases(big, slow_cases);
  nlohmann::json table = nlohmann::json::array();
  for (const auto& c : cases) {
    nlohmann::json j = {{"args", c.args},
                        {"text", c.text},
                        {"check", c.check},
                        {"stdin_devnull", c.stdin_devnull},
                        {"input_repeat", c.input_repeat}};
    j["input"] = c.input ? nlohmann::json(*c.input) : nlohmann::json(nullptr);
    j["timeout"] = c.timeout ? nlohmann::json(*c.timeout) : nlohmann::json(nullptr);
    table.push_back(j);
  }
  TempDir dir;
  std::ofstream(dir.file("cases.json")) << table.dump();
  concur::subprocess::run({"python3", source_path("tests/differential/subprocess_oracle.py"),
                           dir.file("cases.json"), dir.file("python.json")},
                          {.check = true});
  std::ifstream f(dir.file("python.json"));
  const auto python = nlohmann::json::parse(f);
  std::vector<std::string> diffs;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto ours = concur_outcome(cases[i]);
    for (const char* key : {"exc", "rc", "errno", "out_len", "out_sha", "err_len", "err_sha"})
      if (ours[key] != python[i][key])
        diffs.push_back(cases[i].name + ": " + key + " concur " + ours[key].dump() + ", python " +
                        python[i][key].dump());
  }
  return diffs;
}

}  // namespace concur::difftest
