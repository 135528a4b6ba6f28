// Private: resolving Options::user, group and extra_groups to ids, in the parent.
//
// Names are looked up here, before anything is started: the child cannot call getpwnam (it runs
// inside our address space until exec and may use only raw syscalls), and an unknown name must
// fail without a process ever existing.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "concur/subprocess/options.hpp"

namespace concur::subprocess::detail {

struct Credentials {
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  std::optional<std::vector<gid_t>> groups;
};

/// The ids Options asks for. A name is looked up first (getpwnam_r / getgrnam_r); a decimal
/// number that names nobody is taken as the id itself. Throws SpawnError naming the field and
/// the value when neither works, or when the lookup itself fails (its errno).
Credentials resolve_credentials(const Options& options, const std::string& program);

}  // namespace concur::subprocess::detail
