// concur run: making untrusted bytes (what jobs print, what values contain) safe
// inside reports. Jobs may print invalid UTF-8, control bytes or markup; none of it
// can break a report's syntax or run script in it.
//
//   xml_escape("a<b\x01") == "a&lt;b\uFFFD"      (as UTF-8)
//   json_for_html_script(j)  -> JSON text with no '<', '>' or '&' (safe in <script>)
//
// Pure functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace concur::cli::run {

/// Valid UTF-8: each invalid byte (or overlong/surrogate sequence) becomes U+FFFD.
std::string sanitize_utf8(std::string_view s);

/// Text for XML 1.0 element content or attributes: valid UTF-8, characters illegal
/// in XML 1.0 (control bytes other than tab/newline/CR, U+FFFE/U+FFFF) replaced by
/// U+FFFD, and & < > " ' escaped. In attributes, also tab/newline/CR as references.
std::string xml_escape(std::string_view s, bool attribute = false);

/// Text for HTML content and quoted attributes (same rules as XML).
inline std::string html_escape(std::string_view s) { return xml_escape(s, true); }

/// JSON text (UTF-8 errors replaced) for a file.
std::string json_text(const nlohmann::json& j, int indent = 2);

/// JSON text that is safe verbatim inside an HTML <script> element: ASCII only,
/// with '<', '>' and '&' written as \u escapes, so "</script>" cannot appear.
std::string json_for_html_script(const nlohmann::json& j);

}  // namespace concur::cli::run
