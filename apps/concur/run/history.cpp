// Why a moving average and not the last time: one slow run on a busy machine should not
// move a job to the front for good, but a test that became slow should get there soon.
#include "history.hpp"

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <fstream>
#include <sstream>
#include <vector>

#include "escape.hpp"
#include "reports.hpp"

namespace concur::cli::run {
namespace {

constexpr const char* kTool = "concur run history";
constexpr std::size_t kMaxBytes = std::size_t{64} << 20;  // untrusted file: cap what we read
constexpr double kWeight = 0.5;                           // of the newest run in the average

}  // namespace

History History::load(const std::string& path,
                      const std::function<void(const std::string&)>& warn) {
  History h;
  std::ifstream f(path, std::ios::binary);
  if (!f) return h;  // no history yet
  // Read as it comes, never the cap up front: zeroing 64 MiB cost every run ~30 ms (and
  // 0.3 s on a loaded machine) before its first job started.
  std::string text;
  std::vector<char> chunk(std::size_t{1} << 16);
  while (f && text.size() <= kMaxBytes) {
    f.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    text.append(chunk.data(), static_cast<std::size_t>(f.gcount()));
  }
  const auto ignore = [&](const std::string& why, bool ours) {
    warn("ignoring history '" + path + "': " + why +
         (ours ? " (it will be rewritten)" : " (left as it is)"));
    History empty;
    empty.writable_ = ours;
    return empty;
  };
  if (text.size() > kMaxBytes) return ignore("larger than 64 MiB", true);
  const auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return ignore("not valid JSON", true);
  if (!doc.is_object() || doc.value("tool", nlohmann::json()) != kTool)
    return ignore("not a concur run history", false);
  const auto jobs = doc.find("jobs");
  if (jobs == doc.end() || !jobs->is_object()) return ignore("no \"jobs\" object", true);
  for (const auto& [name, e] : jobs->items()) {
    if (!e.is_object()) continue;
    const auto s = e.find("s");
    const auto runs = e.find("runs");
    if (s == e.end() || !s->is_number() || !std::isfinite(s->get<double>()) || *s < 0) continue;
    h.jobs_[name] = {s->get<double>(), runs != e.end() && runs->is_number_integer()
                                           ? std::max<long>(1, runs->get<long>())
                                           : 1};
  }
  return h;
}

std::optional<double> History::expected(const std::string& name) const {
  const auto it = jobs_.find(name);
  if (it == jobs_.end()) return std::nullopt;
  return it->second.seconds;
}

void History::record(const std::string& name, double seconds) {
  auto [it, fresh] = jobs_.try_emplace(name, Entry{seconds, 0});
  Entry& e = it->second;
  if (!fresh) e.seconds = kWeight * seconds + (1 - kWeight) * e.seconds;
  ++e.runs;
}

void History::save(const std::string& path) const {
  nlohmann::json jobs = nlohmann::json::object();
  for (const auto& [name, e] : jobs_) jobs[name] = {{"s", e.seconds}, {"runs", e.runs}};
  const nlohmann::json doc = {{"tool", kTool}, {"version", 1}, {"jobs", jobs}};
  const auto slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    const std::string dir = path.substr(0, slash);
    if (::mkdir(dir.c_str(), 0777) != 0 && errno != EEXIST)
      throw std::system_error(errno, std::generic_category(),
                              "cannot create directory '" + dir + "'");
  }
  write_file(path, json_text(doc, 1) + "\n");
}

std::vector<std::size_t> longest_first(const std::vector<std::string>& names, const History& h) {
  std::vector<std::size_t> order(names.size());
  std::vector<double> key(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    order[i] = i;
    const auto e = h.expected(names[i]);
    key[i] = e ? *e : INFINITY;  // unknown: as if longest
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return key[a] > key[b]; });
  return order;
}

}  // namespace concur::cli::run
