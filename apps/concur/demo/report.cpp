// The demo's output framework: headings, result lines, timed rows and the closing table.
#include "report.hpp"

#include <fmt/color.h>
#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace concur::cli::demo {

namespace {

const fmt::text_style kBold = fmt::emphasis::bold;
const fmt::text_style kDim = fmt::emphasis::faint;
const fmt::text_style kCyan = fmt::emphasis::bold | fmt::fg(fmt::terminal_color::cyan);
const fmt::text_style kGreen = fmt::fg(fmt::terminal_color::green);
const fmt::text_style kYellow = fmt::fg(fmt::terminal_color::yellow);

std::optional<double> ratio_of(const Timing& t) {
  if (!t.python || t.cpp_seconds <= 0) return std::nullopt;
  return t.python->seconds / t.cpp_seconds;
}

std::string ratio_text(double ratio) {
  if (ratio >= 0.9 && ratio <= 1.1) return fmt::format("about the same ({:.2f}x)", ratio);
  if (ratio >= 1.0) return fmt::format("C++ {:.1f}x faster", ratio);
  return fmt::format("C++ {:.2f}x as fast", ratio);
}

// Words of `text` on lines of at most `width` characters; later lines start with `indent`.
std::string wrap(std::string_view text, std::size_t width, std::string_view indent) {
  std::string out, line;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view word = text.substr(start, end - start);
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      out += line + "\n" + std::string(indent);
      line.clear();
    }
    line += (line.empty() ? "" : " ") + std::string(word);
    start = end + 1;
  }
  return out + line;
}

constexpr std::size_t kWidth = 92;  // text columns, so lines fit a 100-column terminal

}  // namespace

std::string format_seconds(double seconds) {
  if (seconds >= 1.0) return fmt::format("{:.2f} s", seconds);
  if (seconds >= 1e-3) return fmt::format("{:.1f} ms", seconds * 1e3);
  return fmt::format("{:.0f} us", seconds * 1e6);
}

std::string format_bytes(std::size_t bytes) {
  if (bytes >= 1'000'000) return fmt::format("{} MB", bytes / 1'000'000);
  return fmt::format("{} kB", bytes / 1'000);
}

Report::Report(ReportOptions options) : options_(options) {}

std::string Report::paint(std::string_view text, const fmt::text_style& style) const {
  if (!options_.colour) return std::string(text);
  return fmt::format(style, "{}", text);
}

void Report::write(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), options_.narrative);
  std::fflush(options_.narrative);
}

void Report::section(std::string_view name, std::string_view about) {
  section_ = std::string(name);
  const std::string rule(std::max<std::size_t>(4, 72 - name.size() - 4), '=');
  write(fmt::format("\n{}\n{}\n", paint(fmt::format("== {} {}", name, rule), kCyan),
                    paint(about, kDim)));
}

void Report::experiment(std::string_view title, std::string_view shows) {
  write(fmt::format("\n{} {}\n  {}\n", paint(">", kCyan), paint(title, kBold),
                    wrap(shows, kWidth, "  ")));
}

void Report::code(std::string_view text) {
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    out += fmt::format("    {}\n", paint(text.substr(start, end - start), kDim));
    start = end + 1;
  }
  write(out);
}

void Report::result(std::string_view text) {
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    out += fmt::format("    {}\n", text.substr(start, end - start));
    start = end + 1;
  }
  write(out);
}

void Report::lesson(std::string_view text) {
  // Painted line by line, so a pager or a narrow terminal keeps the colour right.
  std::string wrapped = wrap(text, kWidth, ""), out;
  std::size_t start = 0;
  bool first = true;
  while (start < wrapped.size()) {
    std::size_t end = wrapped.find('\n', start);
    if (end == std::string::npos) end = wrapped.size();
    out += fmt::format("  {} {}\n", first ? paint("=>", kGreen) : std::string("  "),
                       paint(std::string_view(wrapped).substr(start, end - start), kGreen));
    first = false;
    start = end + 1;
  }
  write(out);
}

void Report::note(std::string_view text) { write(fmt::format("  {}\n", paint(text, kYellow))); }

void Report::failed(std::string_view experiment, std::string_view why) {
  ++failures_;
  write(fmt::format("  {} {}: {}\n",
                    paint("FAILED", fmt::emphasis::bold | fmt::fg(fmt::terminal_color::red)),
                    experiment, why));
}

void Report::timed(Timing timing) {
  timing.section = section_;
  std::string text = fmt::format("    {}\n", paint(timing.title, kBold));
  text += fmt::format("      {:<7}{:>10}", "C++", format_seconds(timing.cpp_seconds));
  if (!timing.cpp_result.empty()) text += fmt::format("   result {}", timing.cpp_result);
  text += '\n';
  if (timing.python) {
    text += fmt::format("      {:<7}{:>10}", "Python", format_seconds(timing.python->seconds));
    if (!timing.python->result.empty()) text += fmt::format("   result {}", timing.python->result);
    if (const auto ratio = ratio_of(timing)) {
      text += fmt::format("   {}", paint(ratio_text(*ratio), kGreen));
    }
    text += '\n';
  }
  write(text);
  timings_.push_back(std::move(timing));
}

void Report::print_table(std::FILE* out) const {
  std::size_t width = 10;
  for (const auto& t : timings_) width = std::max(width, t.title.size());
  std::string text = "\n" + paint("== every timed experiment: C++ beside Python", kCyan) + "\n";
  text += fmt::format("  {:<16} {:<{}} {:>10} {:>10} {:>11}\n", "section", "experiment", width,
                      "C++", "Python", "Python/C++");
  text += fmt::format("  {}\n", std::string(16 + width + 10 + 10 + 11 + 4, '-'));
  for (const auto& t : timings_) {
    const auto ratio = ratio_of(t);
    const std::string python = t.python ? format_seconds(t.python->seconds) : "-";
    const std::string ratio_cell = ratio ? fmt::format("{:.1f}x", *ratio) : "-";
    const std::string padded = fmt::format("{:>11}", ratio_cell);
    text +=
        fmt::format("  {:<16} {:<{}} {:>10} {:>10} {}\n", t.section, t.title, width,
                    format_seconds(t.cpp_seconds), python, ratio ? paint(padded, kBold) : padded);
  }
  text +=
      "  Each side times only the measured part (no interpreter start-up, no program start-up).\n"
      "  Python/C++ above 1 means C++ is that many times faster.\n";
  std::fwrite(text.data(), 1, text.size(), out);
  std::fflush(out);
}

nlohmann::json Report::table_json() const {
  auto rows = nlohmann::json::array();
  for (const auto& t : timings_) {
    nlohmann::json row = {{"id", t.id},
                          {"section", t.section},
                          {"title", t.title},
                          {"cpp_s", t.cpp_seconds},
                          {"cpp_result", t.cpp_result},
                          {"python_s", nullptr},
                          {"python_result", nullptr},
                          {"ratio", nullptr}};
    if (t.python) {
      row["python_s"] = t.python->seconds;
      row["python_result"] = t.python->result;
    }
    if (const auto ratio = ratio_of(t)) row["ratio"] = *ratio;
    rows.push_back(std::move(row));
  }
  return {{"experiments", std::move(rows)}};
}

}  // namespace concur::cli::demo
