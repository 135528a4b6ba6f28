// Private: text mode of concur::subprocess — "\r\n" and "\r" become "\n".
#pragma once

#include <string>

namespace concur::subprocess::detail {

/// Normalises newlines in place. `pending_cr` carries a '\r' that ended the previous chunk of the
/// same stream (already emitted as '\n'), so a '\n' starting this chunk is dropped.
inline void normalise_newlines(std::string& s, bool& pending_cr) {
  std::size_t w = 0;
  for (std::size_t r = 0; r < s.size(); ++r) {
    const char c = s[r];
    if (c == '\n' && pending_cr) {
      pending_cr = false;
      continue;
    }
    pending_cr = c == '\r';
    s[w++] = pending_cr ? '\n' : c;
  }
  s.resize(w);
}

inline std::string normalised(std::string s) {
  bool pending = false;
  normalise_newlines(s, pending);
  return s;
}

}  // namespace concur::subprocess::detail
