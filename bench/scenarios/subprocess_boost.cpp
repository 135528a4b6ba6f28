// Boost.Process v2 (Debian's libboost1.81-dev, header-only build through src.hpp), for the
// spawn_true scenarios.
//
// Debian 12 ships Boost 1.81 headers but only Boost.Filesystem 1.74 binaries, and Process v2's
// sources reference one Boost.Filesystem function (status(), used for PATH searches only; we
// always pass an absolute path). A small stat()-based definition of it below stands in for the
// missing library, so no link dependency is needed.
#include "subprocess_spawn_support.hpp"

#if defined(CONCUR_HAVE_BOOST) && __has_include(<boost/process/v2.hpp>)
#define BOOST_PROCESS_V2_SEPARATE_COMPILATION 1
#include <sys/stat.h>

#include <boost/asio/io_context.hpp>
#include <boost/filesystem/operations.hpp>
#include <boost/process/v2.hpp>
#include <boost/process/v2/src.hpp>

namespace boost::filesystem::detail {
file_status status(path const& p, system::error_code* ec) {
  struct ::stat st {};
  if (ec != nullptr) ec->clear();
  if (::stat(p.c_str(), &st) != 0) return file_status(file_not_found);
  const auto pm = static_cast<perms>(st.st_mode & 07777);
  if (S_ISREG(st.st_mode)) return file_status(regular_file, pm);
  if (S_ISDIR(st.st_mode)) return file_status(directory_file, pm);
  return file_status(type_unknown, pm);
}
}  // namespace boost::filesystem::detail

double concur::bench::spawn::boost_process_v2(int n) {
  namespace bp = boost::process::v2;
  boost::asio::io_context ctx;
  return time_it([&] {
    for (int i = 0; i < n; ++i) {
      bp::process proc(ctx, "/bin/true", {});
      if (proc.wait() != 0) throw std::runtime_error("true failed");
    }
  });
}
#else
double concur::bench::spawn::boost_process_v2(int) { throw Skip("Boost.Process v2 not available"); }
#endif
