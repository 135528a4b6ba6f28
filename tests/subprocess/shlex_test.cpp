// concur::shlex: Python's shlex.split/quote/join (posix=True).
#include <gtest/gtest.h>

#include <concur/shlex.hpp>
#include <random>

using concur::shlex::join;
using concur::shlex::quote;
using concur::shlex::split;
using V = std::vector<std::string>;

TEST(Shlex, SplitsOnWhitespace) {
  EXPECT_EQ(split("  a b\tc\nd  "), (V{"a", "b", "c", "d"}));
  EXPECT_EQ(split(""), V{});
  EXPECT_EQ(split("   "), V{});
}

TEST(Shlex, QuotesGroupAndJoinAdjacentParts) {
  EXPECT_EQ(split("cc -o 'my prog' \"a b\".c"), (V{"cc", "-o", "my prog", "a b.c"}));
  EXPECT_EQ(split("a'b c'd"), (V{"ab cd"}));
  EXPECT_EQ(split("'' \"\" x''"), (V{"", "", "x"}));
}

TEST(Shlex, BackslashRulesAsPython) {
  EXPECT_EQ(split("a\\ b"), (V{"a b"}));
  EXPECT_EQ(split("\\'x"), (V{"'x"}));
  EXPECT_EQ(split("'a\\b'"), (V{"a\\b"}));                    // literal inside single quotes
  EXPECT_EQ(split("\"a\\\"b\\\\c\\d\""), (V{"a\"b\\c\\d"}));  // only \" and \\ escape in "..."
  EXPECT_EQ(split("\"$HOME\" `x`"), (V{"$HOME", "`x`"}));     // no expansion
}

TEST(Shlex, CommentsAreNotSpecial) {  // Python's split(): comments=False
  EXPECT_EQ(split("a # b"), (V{"a", "#", "b"}));
}

TEST(Shlex, UnclosedQuoteThrowsInvalidArgument) {
  try {
    split("echo 'oops");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "No closing quotation");
  }
  EXPECT_THROW(split("\"oops"), std::invalid_argument);
  EXPECT_THROW(split("trailing\\"), std::invalid_argument);
}

TEST(Shlex, QuoteAsPython) {
  EXPECT_EQ(quote(""), "''");
  EXPECT_EQ(quote("safe-_@%+=:,./A9"), "safe-_@%+=:,./A9");
  EXPECT_EQ(quote("a b"), "'a b'");
  EXPECT_EQ(quote("it's"), "'it'\"'\"'s'");
  EXPECT_EQ(quote("$x"), "'$x'");
}

TEST(Shlex, JoinQuotesEachWord) {
  EXPECT_EQ(join({"echo", "a b", ""}), "echo 'a b' ''");
  EXPECT_EQ(join({}), "");
}

TEST(Shlex, SplitOfJoinIsIdentityOverRandomWords) {
  std::mt19937 rng(12345);
  const std::string alphabet = std::string("ab '\"\\$`#*?;&|<>()\t\n\r-_=.") + '\0' + "\xff";
  for (int round = 0; round < 2000; ++round) {
    V words(rng() % 6);
    for (auto& w : words) {
      const std::size_t n = rng() % 8;
      for (std::size_t i = 0; i < n; ++i) w += alphabet[rng() % alphabet.size()];
    }
    ASSERT_EQ(split(join(words)), words) << join(words);
  }
}

TEST(Shlex, QuotedWordSurvivesTheRealShell) {
  // A property checked against /bin/sh itself is in the subprocess tests; here: quote is a fixpoint
  // of split for single words.
  for (const std::string w : {"x", "a b", "it's", "", "\"", "\\"}) EXPECT_EQ(split(quote(w)), V{w});
}
