// Sections whose library module has not landed yet: they say so instead of running.
// (Removed as each module lands and its section is wired in.)
#include "sections.hpp"

namespace concur::cli::demo {

void multiprocessing_section(Context& ctx) {
  ctx.report.note("concur::multiprocessing has not landed in this build yet: section skipped");
}

}  // namespace concur::cli::demo
