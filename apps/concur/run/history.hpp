// concur run --history: how long each job took in earlier runs, keyed by job name (a test's
// name, otherwise its expanded command line), so the next run starts the longest jobs first
// (LPT: the run then ends as early as its longest job allows) and the live view's ETA
// means something.
//
//   History h = History::load(".concur/history.json", warn);  // never throws; warns once
//   std::vector<std::size_t> order = longest_first(names, h);
//   h.record(name, seconds);  h.save(path);                   // atomic: temp file + rename
//
// The file is JSON: {"tool": "concur run history", "version": 1, "jobs": {NAME: {"s": S,
// "runs": N}}}. A corrupt file is ignored (and replaced at the end); a foreign one (valid
// JSON that is not ours) is ignored and left alone. Not thread-safe.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace concur::cli::run {

class History {
 public:
  /// Reads `path`; a missing file is an empty history. Anything unusable is reported
  /// through `warn` (one line) and treated as empty. Never throws.
  static History load(const std::string& path, const std::function<void(const std::string&)>& warn);

  /// Seconds the job took last time (a moving average over runs), if known.
  std::optional<double> expected(const std::string& name) const;
  /// Records a run of `name` that took `seconds`.
  void record(const std::string& name, double seconds);
  /// May save() overwrite the file? (false for a foreign file.)
  bool writable() const { return writable_; }
  /// Writes atomically, creating the parent directory. Throws std::system_error.
  void save(const std::string& path) const;
  std::size_t size() const { return jobs_.size(); }

 private:
  struct Entry {
    double seconds = 0;
    long runs = 0;
  };
  std::map<std::string, Entry> jobs_;
  bool writable_ = true;
};

/// Start order over jobs named `names`: unknown jobs first (they may be long), then the
/// known ones longest first; ties keep input order.
std::vector<std::size_t> longest_first(const std::vector<std::string>& names, const History& h);

}  // namespace concur::cli::run
