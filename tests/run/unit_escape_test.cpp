#include <gtest/gtest.h>

#include "escape.hpp"

namespace {

using namespace concur::cli::run;

TEST(RunEscape, InvalidUtf8BecomesReplacementCharacter) {
  EXPECT_EQ(sanitize_utf8("ok\xff!"), "ok\xEF\xBF\xBD!");
  EXPECT_EQ(sanitize_utf8("\xC3\xA9"), "\xC3\xA9");                          // é stays
  EXPECT_EQ(sanitize_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");          // overlong
  EXPECT_EQ(sanitize_utf8("\xED\xA0\x80").find("\xED"), std::string::npos);  // surrogate
}

TEST(RunEscape, XmlEscapesMarkupAndDropsIllegalControls) {
  EXPECT_EQ(xml_escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
  EXPECT_EQ(xml_escape(std::string("a\x01\x1b[31mb\0c", 10)),
            "a\xEF\xBF\xBD\xEF\xBF\xBD[31mb\xEF\xBF\xBD"
            "c");
  EXPECT_EQ(xml_escape("tab\tnl\n"), "tab\tnl\n");
  EXPECT_EQ(xml_escape("nl\n", true), "nl&#10;");
}

TEST(RunEscape, JsonForScriptCannotCloseTheScript) {
  const nlohmann::json j = {{"out", "</script><script>alert(1)</script>\xff\u2028"}};
  const std::string s = json_for_html_script(j);
  EXPECT_EQ(s.find('<'), std::string::npos);
  EXPECT_EQ(s.find('>'), std::string::npos);
  for (const char c : s) EXPECT_LT(static_cast<unsigned char>(c), 0x80);
  const auto back = nlohmann::json::parse(s);
  EXPECT_EQ(back["out"].get<std::string>().substr(0, 9), "</script>");
}

TEST(RunEscape, JsonTextReplacesInvalidUtf8) {
  const std::string s = json_text(nlohmann::json{{"x", std::string("\xfe\x01")}});
  EXPECT_TRUE(nlohmann::json::accept(s));
  EXPECT_NE(s.find("\\u0001"), std::string::npos);
}

}  // namespace
