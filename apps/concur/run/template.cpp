#include "template.hpp"

#include <concur/shlex.hpp>

#include "options.hpp"

namespace concur::cli::run {
namespace {

bool placeholder_like(std::string_view s) {
  for (const char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '/' || c == '#' || c == '%' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string strip_extension(const std::string& v) {
  const auto slash = v.rfind('/');
  const auto dot = v.rfind('.');
  const std::size_t base = slash == std::string::npos ? 0 : slash + 1;
  if (dot == std::string::npos || dot <= base) return v;  // no dot, or a dotfile's leading dot
  return v.substr(0, dot);
}

std::string base_name(const std::string& v) {
  std::string s = v;
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  const auto slash = s.rfind('/');
  return slash == std::string::npos || s == "/" ? s : s.substr(slash + 1);
}

std::string dir_name(const std::string& v) {
  std::string s = v;
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  const auto slash = s.rfind('/');
  if (slash == std::string::npos) return ".";
  // "a//b" -> "a", as dirname(1), Python and GNU parallel: the whole run of slashes goes.
  const auto end = s.find_last_not_of('/', slash);
  if (end == std::string::npos) return "/";
  return s.substr(0, end + 1);
}

Template Template::compile(const std::string& text, std::size_t group_count) {
  Template t;
  std::string literal;
  const auto flush = [&] {
    if (!literal.empty()) t.parts_.push_back({Kind::literal, 0, std::move(literal)});
    literal.clear();
  };
  for (std::size_t i = 0; i < text.size();) {
    const auto close = text[i] == '{' ? text.find('}', i + 1) : std::string::npos;
    const bool after_dollar = i > 0 && text[i - 1] == '$';
    if (close == std::string::npos || after_dollar) {
      literal += text[i++];
      continue;
    }
    const std::string body = text.substr(i + 1, close - i - 1);
    if (!placeholder_like(body) || body.find('{') != std::string::npos) {
      literal += text[i++];
      continue;
    }
    std::size_t d = 0;
    while (d < body.size() && body[d] >= '0' && body[d] <= '9') ++d;
    std::size_t group = 0;
    if (d > 0) {
      group = d > 6 ? 1000000 : std::stoul(body.substr(0, d));
      if (group == 0 || group > group_count)
        throw UsageError("placeholder {" + body + "}: there " +
                         (group_count == 1
                              ? std::string("is 1 input group")
                              : "are " + std::to_string(group_count) + " input groups"));
    }
    const std::string mod = body.substr(d);
    Kind kind;
    if (mod.empty())
      kind = Kind::whole;
    else if (mod == ".")
      kind = Kind::no_ext;
    else if (mod == "/")
      kind = Kind::base;
    else if (mod == "//")
      kind = Kind::dir;
    else if (mod == "/.")
      kind = Kind::base_no_ext;
    else if (mod == "#" && d == 0)
      kind = Kind::seq;
    else if (mod == "%" && d == 0)
      kind = Kind::slot;
    else
      throw UsageError("unknown placeholder {" + body + "} in '" + text + "'");
    flush();
    t.parts_.push_back({kind, group, {}});
    t.has_placeholder_ = true;
    t.uses_slot_ = t.uses_slot_ || kind == Kind::slot;
    i = close + 1;
  }
  flush();
  return t;
}

std::string Template::expand(const std::vector<std::string>& values, std::size_t seq, int slot,
                             bool quote) const {
  std::string out;
  for (const Part& p : parts_) {
    switch (p.kind) {
      case Kind::literal:
        out += p.text;
        continue;
      case Kind::seq:
        out += std::to_string(seq);
        continue;
      case Kind::slot:
        out += std::to_string(slot);
        continue;
      default:
        break;
    }
    const auto one = [&](const std::string& v) {
      std::string r;
      switch (p.kind) {
        case Kind::no_ext:
          r = strip_extension(v);
          break;
        case Kind::base:
          r = base_name(v);
          break;
        case Kind::dir:
          r = dir_name(v);
          break;
        case Kind::base_no_ext:
          r = strip_extension(base_name(v));
          break;
        default:
          r = v;
          break;
      }
      return quote ? concur::shlex::quote(r) : r;
    };
    if (p.group > 0) {
      out += one(values.at(p.group - 1));
    } else {
      for (std::size_t k = 0; k < values.size(); ++k) {
        if (k > 0) out += ' ';
        out += one(values[k]);
      }
    }
  }
  return out;
}

}  // namespace concur::cli::run
