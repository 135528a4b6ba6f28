// concur run: GNU parallel's placeholders in a command word, --cwd or --env value.
//
//   auto t = Template::compile("{//}/out/{/.}.o", 1);        // throws UsageError
//   t.expand({"src/a.c"}, /*seq=*/1, /*slot=*/1, /*quote=*/false) == "src/out/a.o"
//
// {} value ({} of several ::: groups: the values joined by spaces), {.} without
// extension, {/} basename, {//} dirname, {/.} basename without extension, {#} job
// number, {%} slot, {N} and {N.} {N/} {N//} {N/.}: group N. Braces around text that
// contains spaces, quotes or `$` stay literal (awk '{print $1}'); anything else that
// looks like a placeholder but is none is a UsageError. With quote=true each
// substituted value is shell-quoted, so it stays one word of data under /bin/sh.
// Thread safety: immutable after compile().
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace concur::cli::run {

class Template {
 public:
  static Template compile(const std::string& text, std::size_t group_count);

  bool has_placeholder() const { return has_placeholder_; }
  bool uses_slot() const { return uses_slot_; }
  std::string expand(const std::vector<std::string>& values, std::size_t seq, int slot,
                     bool quote) const;

 private:
  enum class Kind { literal, whole, no_ext, base, dir, base_no_ext, seq, slot };
  struct Part {
    Kind kind;
    std::size_t group;  // 0 = all groups
    std::string text;   // literal text
  };
  std::vector<Part> parts_;
  bool has_placeholder_ = false;
  bool uses_slot_ = false;
};

/// {.} {/} {//} {/.} on one value (exposed for tests).
std::string strip_extension(const std::string& v);
std::string base_name(const std::string& v);
std::string dir_name(const std::string& v);

}  // namespace concur::cli::run
