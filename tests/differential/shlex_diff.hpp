// concur::shlex against Python's shlex: `count` random strings from a fixed seed (quotes,
// escapes, whitespace, UTF-8, control and non-UTF-8 bytes, NUL) go to Python in one file,
// one run of python3; split() must give the same words or the same error, quote() the same
// bytes. Returns the differences found (empty: none), at most `max_report` of them.
#pragma once

#include <concur/shlex.hpp>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "diff_support.hpp"

namespace concur::difftest {

inline std::string random_shell_text(std::mt19937_64& rng) {
  static const std::vector<std::string> atoms = {
      "a",     "b",     "Z",       "0",     "_",       "-",        ".",           "/",    "=",
      "%",     "@",     " ",       "  ",    "\t",      "\n",       "\r",          "\v",   "\f",
      "'",     "\"",    "\\",      "\\\\",  "\\'",     "\\\"",     "''",          "\"\"", "#",
      "$",     "$x",    "`",       "*",     "?",       "~",        ";",           "|",    "&",
      "(",     ")",     "<",       ">",     "{",       "}",        "!",           "é",    "€",
      "😀",     "\xa0",  "\x01",    "\x7f",  "\x1b",    "\0",       "\xff",        "\xc3", "\x80",
      "ab cd", "'a b'", "\"a b\"", "a\\ b", "\"\\x\"", "\"\\\\\"", "\xe2\x80\x8b"};
  std::uniform_int_distribution<std::size_t> len(0, 24), pick(0, atoms.size() - 1);
  std::string s;
  for (std::size_t n = len(rng); n > 0; --n) s += atoms[pick(rng)];
  return s;
}

inline std::vector<std::string> compare_shlex_with_python(std::size_t count, std::uint64_t seed,
                                                          std::size_t max_report = 10) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> inputs;
  inputs.reserve(count);
  for (std::size_t i = 0; i < count; ++i) inputs.push_back(random_shell_text(rng));
  TempDir dir;
  {
    std::ofstream f(dir.file("in"), std::ios::binary);
    for (const auto& s : inputs) f << to_hex(s) << '\n';
  }
  concur::subprocess::run({"python3", source_path("tests/differential/shlex_oracle.py"),
                           dir.file("in"), dir.file("out")},
                          {.check = true});
  const auto lines = read_lines(dir.file("out"));
  std::vector<std::string> diffs;
  if (lines.size() != inputs.size()) {
    diffs.push_back("python answered " + std::to_string(lines.size()) + " of " +
                    std::to_string(inputs.size()) + " inputs");
    return diffs;
  }
  for (std::size_t i = 0; i < inputs.size() && diffs.size() < max_report; ++i) {
    const auto tab = lines[i].find('\t');
    const std::string py_split = lines[i].substr(0, tab), py_quote = lines[i].substr(tab + 1);
    std::string ours = "S ";
    try {
      const auto words = concur::shlex::split(inputs[i]);
      for (std::size_t w = 0; w < words.size(); ++w) ours += (w ? "," : "") + to_hex(words[w]);
    } catch (const std::invalid_argument& e) {
      ours = "E " + to_hex(e.what());
    }
    if (ours != py_split)
      diffs.push_back("split(hex " + to_hex(inputs[i]) + "): concur " + ours + ", python " +
                      py_split);
    if (to_hex(concur::shlex::quote(inputs[i])) != py_quote)
      diffs.push_back("quote(hex " + to_hex(inputs[i]) + "): concur " +
                      to_hex(concur::shlex::quote(inputs[i])) + ", python " + py_quote);
  }
  return diffs;
}

}  // namespace concur::difftest
