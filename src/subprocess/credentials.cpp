// Options::user/group/extra_groups to ids with the reentrant NSS lookups (see credentials.hpp).
#include "subprocess/credentials.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "concur/subprocess/errors.hpp"

namespace concur::subprocess::detail {
namespace {

// The decimal id spelled by `s` (no sign, no spaces), if it is one and not (id_t)-1, which
// the set*id calls read as "unchanged".
template <class Id>
std::optional<Id> parse_id(const std::string& s) {
  unsigned long long v = 0;
  const char* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, v);
  if (s.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  if (v >= static_cast<unsigned long long>(std::numeric_limits<Id>::max())) return std::nullopt;
  return static_cast<Id>(v);
}

// Calls a getXXnam_r-style `lookup(name, entry, buf, size, result)` with a buffer grown on
// ERANGE. Returns 0 and sets `found` (possibly false), or the lookup's error.
template <class Entry, class Lookup>
int lookup_name(const std::string& name, int size_hint, Entry& entry, bool& found, Lookup lookup) {
  const long hint = ::sysconf(size_hint);
  std::vector<char> buf(hint > 0 ? static_cast<std::size_t>(hint) : 1024);
  while (true) {
    Entry* result = nullptr;
    const int err = lookup(name.c_str(), &entry, buf.data(), buf.size(), &result);
    if (err == ERANGE && buf.size() < (1U << 24)) {
      buf.resize(buf.size() * 2);
      continue;
    }
    found = err == 0 && result != nullptr;
    // "Not found" is reported as 0, ENOENT, ESRCH, EBADF or EPERM depending on the NSS module.
    if (err == 0 || err == ENOENT || err == ESRCH || err == EBADF || err == EPERM) return 0;
    return err;
  }
}

[[noreturn]] void unknown(const char* field, const char* kind, const std::string& value,
                          const std::string& program, int err) {
  std::string what = std::string(field) + ": ";
  what += err == 0 ? "no " + std::string(kind) + " named '" + value + "'"
                   : "cannot look up " + std::string(kind) + " '" + value + "'";
  what += " (starting '" + program + "')";
  throw SpawnError(err == 0 ? EINVAL : err, program, what);
}

// A name with a NUL byte would be looked up cut short: a different user. Python: ValueError.
void check_no_nul(const char* field, const std::string& value) {
  if (value.find('\0') != std::string::npos)
    throw std::invalid_argument(std::string("concur::subprocess::Popen: ") + field +
                                ": embedded NUL byte in the name");
}

uid_t user_id(const std::string& user, const std::string& program) {
  check_no_nul("user", user);
  passwd entry{};
  bool found = false;
  const int err = lookup_name(user, _SC_GETPW_R_SIZE_MAX, entry, found, ::getpwnam_r);
  if (err != 0) unknown("user", "user", user, program, err);
  if (found) return entry.pw_uid;
  if (const auto id = parse_id<uid_t>(user)) return *id;
  unknown("user", "user", user, program, 0);
}

gid_t group_id(const char* field, const std::string& group, const std::string& program) {
  check_no_nul(field, group);
  struct group entry {};
  bool found = false;
  const int err = lookup_name(group, _SC_GETGR_R_SIZE_MAX, entry, found, ::getgrnam_r);
  if (err != 0) unknown(field, "group", group, program, err);
  if (found) return entry.gr_gid;
  if (const auto id = parse_id<gid_t>(group)) return *id;
  unknown(field, "group", group, program, 0);
}

}  // namespace

Credentials resolve_credentials(const Options& options, const std::string& program) {
  Credentials c;
  if (options.user) c.uid = user_id(*options.user, program);
  if (options.group) c.gid = group_id("group", *options.group, program);
  if (options.extra_groups) {
    c.groups.emplace();
    c.groups->reserve(options.extra_groups->size());
    for (const auto& g : *options.extra_groups)
      c.groups->push_back(group_id("extra_groups", g, program));
    const long max = ::sysconf(_SC_NGROUPS_MAX);
    if (max > 0 && c.groups->size() > static_cast<std::size_t>(max))
      throw SpawnError(EINVAL, program,
                       "extra_groups: " + std::to_string(c.groups->size()) +
                           " groups, more than NGROUPS_MAX (" + std::to_string(max) + ")");
  }
  return c;
}

}  // namespace concur::subprocess::detail
