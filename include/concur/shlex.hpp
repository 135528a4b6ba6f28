// concur/shlex.hpp — POSIX shell quoting, as Python's shlex (posix=True).
//
//   concur::shlex::split("cc -o 'my prog' \"a b\".c")   // {"cc", "-o", "my prog", "a b.c"}
//   concur::shlex::quote("it's")                          // 'it'"'"'s'
//   concur::shlex::join({"echo", "a b"})                  // echo 'a b'
//
// For every vector v of strings: split(join(v)) == v.
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace concur::shlex {

/// Splits a command line as a POSIX shell does (Python's shlex.split, comments=False):
/// whitespace separates words; '...' keeps everything literally; in "..." a backslash escapes
/// only '"' and '\\'; outside quotes a backslash escapes any character; adjacent quoted and
/// unquoted parts join into one word; '' makes an empty word. No expansion of any kind.
/// Throws std::invalid_argument("No closing quotation") for an unclosed quote and
/// std::invalid_argument("No escaped character") for a trailing backslash (Python: ValueError).
std::vector<std::string> split(std::string_view s);

/// A shell-safe spelling of `s`: unchanged if it contains only [A-Za-z0-9_@%+=:,./-] and is not
/// empty, otherwise in single quotes (each ' becomes '"'"'). Never throws except bad_alloc.
std::string quote(std::string_view s);

/// The words quoted and joined by spaces: the inverse of split().
std::string join(const std::vector<std::string>& words);

}  // namespace concur::shlex
