#include "selection.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <set>

namespace concur::cli::run {
namespace {

bool glob_match(const std::string& pattern, const std::string& text) {
  return ::fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

bool matches(const std::string& pattern, const std::string& name,
             const std::vector<std::string>& labels) {
  constexpr std::string_view kLabel = "label:";
  if (pattern.rfind(kLabel, 0) == 0) {
    const std::string p = pattern.substr(kLabel.size());
    for (const auto& l : labels)
      if (glob_match(p, l)) return true;
    return false;
  }
  return glob_match(pattern, name);
}

// Adds to `kept` (sorted indices) the setup and cleanup tests of the fixtures its tests
// require, and theirs in turn, as ctest does for a test selected with -R.
void add_fixture_tests(const std::vector<JobSpec>& jobs, std::vector<std::size_t>& kept) {
  std::vector<bool> in(jobs.size(), false);
  for (const std::size_t i : kept) in[i] = true;
  std::set<std::string> fixtures;
  for (std::size_t k = 0; k < kept.size(); ++k) {  // grows while it is walked
    for (const auto& f : jobs[kept[k]].fixtures_required) {
      if (!fixtures.insert(f).second) continue;
      for (std::size_t j = 0; j < jobs.size(); ++j) {
        const auto provides = [&](const std::vector<std::string>& list) {
          return std::find(list.begin(), list.end(), f) != list.end();
        };
        if (!in[j] && (provides(jobs[j].fixtures_setup) || provides(jobs[j].fixtures_cleanup))) {
          in[j] = true;
          kept.push_back(j);
        }
      }
    }
  }
  std::sort(kept.begin(), kept.end());
}

}  // namespace

bool passes_filters(const std::string& name, const std::vector<std::string>& labels,
                    const std::vector<std::string>& filters) {
  bool any_include = false, included = false;
  for (const auto& f : filters) {
    if (f[0] == '-') {
      if (matches(f.substr(1), name, labels)) return false;
    } else {
      any_include = true;
      included = included || matches(f, name, labels);
    }
  }
  return !any_include || included;
}

std::uint64_t stable_hash(const std::string& s) {
  std::uint64_t h = 14695981039346656037ull;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

std::vector<std::size_t> select_jobs(const std::vector<JobSpec>& jobs,
                                     const std::vector<std::string>& names,
                                     const std::vector<std::string>& filters,
                                     const std::optional<Partition>& partition) {
  std::vector<std::size_t> kept;
  for (std::size_t i = 0; i < jobs.size(); ++i)
    if (passes_filters(names[i], jobs[i].labels, filters)) kept.push_back(i);
  if (!filters.empty()) add_fixture_tests(jobs, kept);
  if (!partition) return kept;
  const auto n = static_cast<std::uint64_t>(partition->count);
  const auto m = static_cast<std::uint64_t>(partition->index - 1);
  std::vector<std::size_t> bucket;
  for (std::size_t k = 0; k < kept.size(); ++k) {
    const std::uint64_t b =
        partition->kind == Partition::Kind::slice ? k % n : stable_hash(names[kept[k]]) % n;
    if (b == m) bucket.push_back(kept[k]);
  }
  return bucket;
}

std::vector<JobSpec> repeat_jobs(const std::vector<JobSpec>& jobs, int times) {
  if (times <= 1) return jobs;
  std::vector<JobSpec> out;
  out.reserve(jobs.size() * static_cast<std::size_t>(times));
  for (const auto& j : jobs) {
    for (int r = 0; r < times; ++r) {
      JobSpec copy = j;
      copy.seq = out.size() + 1;
      copy.repeat = static_cast<std::size_t>(r);
      out.push_back(std::move(copy));
    }
  }
  return out;
}

}  // namespace concur::cli::run
