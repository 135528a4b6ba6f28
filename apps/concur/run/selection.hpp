// concur run: which jobs run — --filter, --partition and --repeat, applied in that order.
//
//   auto keep = select_jobs(jobs, names, opts.filters, opts.partition);  // indices, input order
//   auto all = repeat_jobs(jobs, 3);                                      // every job 3 times
//
// --filter GLOB keeps jobs whose name matches (fnmatch, `*` matches `/` too); -GLOB
// excludes; label:GLOB and -label:GLOB match a ctest label. With only exclusions every
// other job is kept. Partitions: slice:M/N takes every N-th job starting at the M-th;
// hash:M/N the jobs whose name hashes (FNV-1a, stable across runs and machines) to
// bucket M, so a bucket changes only by the jobs added or removed. Every bucket's union
// is the whole selection, each job exactly once. As `ctest -R`, a filter keeps the setup and
// cleanup tests of every fixture a kept test requires (before partitioning). Pure functions;
// thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "jobs.hpp"
#include "options.hpp"

namespace concur::cli::run {

/// Does `name` (or one of `labels`) pass the filters?
bool passes_filters(const std::string& name, const std::vector<std::string>& labels,
                    const std::vector<std::string>& filters);

/// Indices of the jobs (named `names`) that pass the filters and fall in the partition.
std::vector<std::size_t> select_jobs(const std::vector<JobSpec>& jobs,
                                     const std::vector<std::string>& names,
                                     const std::vector<std::string>& filters,
                                     const std::optional<Partition>& partition);

/// 64-bit FNV-1a of `s`: the hash partition's bucket function.
std::uint64_t stable_hash(const std::string& s);

/// Each job `times` times in a row (seq renumbered, JobSpec::repeat counting the runs).
std::vector<JobSpec> repeat_jobs(const std::vector<JobSpec>& jobs, int times);

}  // namespace concur::cli::run
