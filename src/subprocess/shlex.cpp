// concur::shlex: Python's shlex.split/quote/join (posix=True, whitespace_split, no comments).
#include "concur/shlex.hpp"

#include <stdexcept>

namespace concur::shlex {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool is_safe(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("_@%+=:,./-").find(c) != std::string_view::npos;
}

}  // namespace

std::vector<std::string> split(std::string_view s) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;  // a word has started (possibly empty, from '')
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i++];
    if (is_space(c)) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else if (c == '\\') {
      if (i == s.size()) throw std::invalid_argument("No escaped character");
      word += s[i++];
      in_word = true;
    } else if (c == '\'') {
      const auto close = s.find('\'', i);
      if (close == std::string_view::npos) throw std::invalid_argument("No closing quotation");
      word.append(s.substr(i, close - i));
      i = close + 1;
      in_word = true;
    } else if (c == '"') {
      while (true) {
        if (i == s.size()) throw std::invalid_argument("No closing quotation");
        const char d = s[i++];
        if (d == '"') break;
        if (d == '\\') {
          if (i == s.size()) throw std::invalid_argument("No escaped character");
          if (s[i] != '"' && s[i] != '\\') word += '\\';  // only \" and \\ are escapes here
          word += s[i++];
        } else {
          word += d;
        }
      }
      in_word = true;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

std::string quote(std::string_view s) {
  if (s.empty()) return "''";
  bool safe = true;
  for (char c : s) safe = safe && is_safe(c);
  if (safe) return std::string(s);
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\"'\"'";
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i != 0) out += ' ';
    out += quote(words[i]);
  }
  return out;
}

}  // namespace concur::shlex
