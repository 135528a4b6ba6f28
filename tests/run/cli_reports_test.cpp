// concur run end to end: the JSON and JUnit reports, and that nothing a job prints or a
// value contains can break them.
#include <nlohmann/json.hpp>

#include "cli_support.hpp"

namespace {

using namespace concur::test::run;

// Prints markup that would close a <script>, invalid UTF-8, control bytes and NUL.
const std::string kHostile =
    "printf "
    "'</script><script>document.title=\"pwned\"</script>\\377\\376\\001\\033[31m\\000]]>&<x>\\n'"
    " ; printf '<!-- \\377 -->' >&2; exit 1";

bool python_available() { return ::access("/usr/bin/python3", X_OK) == 0; }

TEST(RunReports, JsonParsesWhateverJobsPrint) {
  TempDir dir;
  const auto r =
      concur_run({"--json", dir / "r.json", "--", "sh", "-c", kHostile, ":::", "<v\xff>"});
  EXPECT_EQ(r.status, 1);
  const auto doc = nlohmann::json::parse(read_text(dir / "r.json"));
  EXPECT_EQ(doc["summary"]["failed"], 1);
  const auto& job = doc["jobs"][0];
  EXPECT_EQ(job["outcome"], "failed");
  const std::string out = job["stdout_tail"];
  EXPECT_EQ(out.rfind("</script>", 0), 0u);
  EXPECT_NE(out.find("\xEF\xBF\xBD"), std::string::npos);  // invalid bytes became U+FFFD
  EXPECT_EQ(job["values"][0], "<v\xEF\xBF\xBD>");
}

TEST(RunReports, JunitIsWellFormedXmlWithOneTestcasePerJob) {
  if (!python_available()) GTEST_SKIP() << "python3 needed to parse the XML";
  TempDir dir;
  const auto r =
      concur_run({"--junit", dir / "j.xml", "--timeout", "300ms", "--", "sh", "-c",
                  "case $0 in ok) exit 0;; hang) exec sleep 30;; *) " + kHostile + ";; esac",
                  ":::", "ok", "bad", "hang"});
  EXPECT_EQ(r.status, 2);
  // ElementTree rejects anything that is not well-formed XML 1.0.
  const std::string check =
      "import sys, xml.etree.ElementTree as E\n"
      "s = E.parse(sys.argv[1]).getroot().find('testsuite')\n"
      "cases = s.findall('testcase')\n"
      "print(len(cases), s.get('tests'), s.get('failures'),\n"
      "      [c.find('failure').get('type') for c in cases if c.find('failure') is not None])\n";
  const auto py = sp::run({"python3", "-c", check, dir / "j.xml"}, {.capture_output = true});
  EXPECT_EQ(py.returncode, 0) << py.err;
  EXPECT_EQ(py.out, "3 3 2 ['failure', 'timeout']\n");
  const std::string xml = read_text(dir / "j.xml");
  EXPECT_EQ(xml.find("</script><script>"), std::string::npos);
  EXPECT_NE(xml.find("&lt;/script&gt;"), std::string::npos);
}

TEST(RunReports, HtmlCannotBeBrokenByJobOutput) {
  TempDir dir;
  const auto r =
      concur_run({"--html", dir / "r.html", "--", "sh", "-c", kHostile, ":::", "</script>"});
  EXPECT_EQ(r.status, 1);
  const std::string html = read_text(dir / "r.html");
  EXPECT_EQ(count_of(html, "</script>"), 2);  // only the page's own two script elements close
  EXPECT_EQ(html.find("document.title=\"pwned\""), std::string::npos);
  EXPECT_NE(html.find("<!DOCTYPE html>"), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);  // self-contained
  EXPECT_EQ(html.find("https://"), std::string::npos);
}

}  // namespace
