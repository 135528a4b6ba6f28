// Code addresses as (module, offset): see image.hpp.
#include "multiprocessing/image.hpp"

#include <dlfcn.h>
#include <link.h>

#include <mutex>
#include <string>

#include "concur/multiprocessing/errors.hpp"

namespace concur::multiprocessing::detail {
namespace {

constexpr int offset_bits = 48;
constexpr std::uint64_t offset_mask = (std::uint64_t{1} << offset_bits) - 1;

struct Found {
  bool ok = false;
  bool main = false;
  std::string path;
  std::uintptr_t bias = 0;
};

// The loaded module whose PT_LOAD segments contain `addr`.
Found find_module(std::uintptr_t addr) {
  struct Search {
    std::uintptr_t addr;
    Found found;
    bool first = true;
  } s{addr, {}, true};
  ::dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* data) -> int {
        auto& s = *static_cast<Search*>(data);
        const bool main = s.first;
        s.first = false;
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const auto& ph = info->dlpi_phdr[i];
          if (ph.p_type != PT_LOAD) continue;
          const std::uintptr_t lo = info->dlpi_addr + ph.p_vaddr;
          if (s.addr >= lo && s.addr < lo + ph.p_memsz) {
            s.found = {true, main, info->dlpi_name != nullptr ? info->dlpi_name : "",
                       static_cast<std::uintptr_t>(info->dlpi_addr)};
            return 1;
          }
        }
        return 0;
      },
      &s);
  return s.found;
}

std::uintptr_t main_bias() {
  std::uintptr_t bias = 0;
  ::dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* data) -> int {
        *static_cast<std::uintptr_t*>(data) = info->dlpi_addr;
        return 1;  // the first entry is the program
      },
      &bias);
  return bias;
}

// The load bias of the library at `path` in this process, loading it if needed.
std::uintptr_t library_bias(const std::string& path) {
  void* h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD);
  if (h == nullptr) h = ::dlopen(path.c_str(), RTLD_NOW);  // the parent dlopen()ed it
  link_map* lm = nullptr;
  if (h == nullptr || ::dlinfo(h, RTLD_DI_LINKMAP, &lm) != 0 || lm == nullptr) {
    const char* why = ::dlerror();
    throw ProcessError("concur::multiprocessing: spawned worker cannot load '" + path +
                       "': " + (why != nullptr ? why : "dlopen failed"));
  }
  return lm->l_addr;  // kept loaded: the handle is never closed
}

struct Table {
  std::mutex mutex;
  std::vector<std::string> paths{""};     // parent: module id -> path ("" = the program)
  std::vector<std::uintptr_t> biases{0};  // worker: module id -> bias here
  bool main_known = false;
};

Table& table() {
  static auto* t = new Table;  // leaked: used by forked children and at exit
  return *t;
}

}  // namespace

std::uint64_t encode_code_address(std::uintptr_t addr) {
  if (addr == 0) return 0;
  const Found f = find_module(addr);
  if (!f.ok)
    throw ProcessError(
        "concur::multiprocessing: a function to send to a spawned worker is in no loaded "
        "module (JIT code?)");
  const std::uint64_t offset = addr - f.bias;
  if (offset > offset_mask)
    throw ProcessError("concur::multiprocessing: code offset out of range for spawn");
  std::size_t id = 0;
  if (!f.main) {
    auto& t = table();
    std::lock_guard lock(t.mutex);
    id = 1;
    while (id < t.paths.size() && t.paths[id] != f.path) ++id;
    if (id == t.paths.size()) t.paths.push_back(f.path);
  }
  return (static_cast<std::uint64_t>(id + 1) << offset_bits) | offset;
}

std::size_t module_count() {
  auto& t = table();
  std::lock_guard lock(t.mutex);
  return t.paths.size();
}

std::vector<std::string> module_paths(std::size_t from) {
  auto& t = table();
  std::lock_guard lock(t.mutex);
  if (from >= t.paths.size()) return {};
  return {t.paths.begin() + static_cast<std::ptrdiff_t>(from), t.paths.end()};
}

void load_modules(std::size_t first, const std::vector<std::string>& paths) {
  auto& t = table();
  std::lock_guard lock(t.mutex);
  if (!t.main_known) {
    t.biases[0] = main_bias();
    t.main_known = true;
  }
  for (std::size_t i = 0; i < paths.size(); ++i) {
    const std::size_t id = first + i;
    if (id == 0) continue;
    const std::uintptr_t bias = library_bias(paths[i]);
    if (t.biases.size() <= id) t.biases.resize(id + 1, 0);
    t.biases[id] = bias;
  }
}

std::uintptr_t decode_code_address(std::uint64_t code) {
  if (code == 0) return 0;
  const std::size_t id = static_cast<std::size_t>(code >> offset_bits) - 1;
  auto& t = table();
  std::lock_guard lock(t.mutex);
  if (!t.main_known) {
    t.biases[0] = main_bias();
    t.main_known = true;
  }
  if (id >= t.biases.size() || (id > 0 && t.biases[id] == 0))
    throw ProcessError("concur::multiprocessing: a task names an unknown code module");
  return t.biases[id] + static_cast<std::uintptr_t>(code & offset_mask);
}

CodeLocation locate_code(std::uintptr_t addr) {
  const Found f = find_module(addr);
  if (!f.ok)
    throw ProcessError("concur::multiprocessing: a function to share is in no loaded module");
  return {f.main ? std::string() : f.path, addr - f.bias};
}

std::uintptr_t resolve_code(const std::string& module, std::uint64_t offset) {
  const std::uintptr_t bias = module.empty() ? main_bias() : library_bias(module);
  return bias + static_cast<std::uintptr_t>(offset);
}

}  // namespace concur::multiprocessing::detail
