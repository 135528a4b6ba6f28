// A task's exception across the process boundary: described in the worker, rebuilt in the
// parent from a table of the standard exceptions and the registered user types, keyed by the
// mangled type name (the same binary runs on both sides).
#include "concur/multiprocessing/detail/remote_error.hpp"

#include <cxxabi.h>

#include <any>
#include <functional>
#include <future>
#include <ios>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <typeinfo>
#include <variant>

#include "concur/errors.hpp"
#include "concur/multiprocessing/errors.hpp"

namespace concur::multiprocessing::detail {
namespace {

std::string demangle(const char* name) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> d(abi::__cxa_demangle(name, nullptr, nullptr, &status),
                                           std::free);
  return status == 0 && d ? std::string(d.get()) : std::string(name);
}

using Rebuild = void (*)(const std::string&);

template <class E>
void add_msg(std::map<std::string, Rebuild>& t) {
  t[typeid(E).name()] = [](const std::string& m) { throw E(m); };
}
template <class E>
void add_plain(std::map<std::string, Rebuild>& t) {
  t[typeid(E).name()] = [](const std::string&) { throw E(); };
}

struct Registry {
  std::mutex mutex;
  std::map<std::string, Rebuild> table;
  Registry() {
    add_msg<std::logic_error>(table);
    add_msg<std::invalid_argument>(table);
    add_msg<std::domain_error>(table);
    add_msg<std::length_error>(table);
    add_msg<std::out_of_range>(table);
    add_msg<std::runtime_error>(table);
    add_msg<std::range_error>(table);
    add_msg<std::overflow_error>(table);
    add_msg<std::underflow_error>(table);
    add_msg<concur::TimeoutError>(table);
    add_msg<ProcessError>(table);
    add_plain<std::exception>(table);
    add_plain<std::bad_alloc>(table);
    add_plain<std::bad_array_new_length>(table);
    add_plain<std::bad_cast>(table);
    add_plain<std::bad_typeid>(table);
    add_plain<std::bad_function_call>(table);
    add_plain<std::bad_optional_access>(table);
    add_plain<std::bad_variant_access>(table);
    add_plain<std::bad_any_cast>(table);
    add_plain<std::bad_weak_ptr>(table);
  }
};

Registry& registry() {
  static auto* r = new Registry;  // leaked: used by workers forked at any time
  return *r;
}

const std::error_category* category_named(const std::string& name) {
  if (name == std::generic_category().name()) return &std::generic_category();
  if (name == std::system_category().name()) return &std::system_category();
  if (name == std::iostream_category().name()) return &std::iostream_category();
  if (name == std::future_category().name()) return &std::future_category();
  return nullptr;
}

// A system_error's what() is "what_arg: code.message()"; strip the suffix the constructor adds.
std::string what_arg(const std::string& what, const std::error_code& ec) {
  const std::string suffix = ": " + ec.message();
  if (what.size() >= suffix.size() &&
      what.compare(what.size() - suffix.size(), suffix.size(), suffix) == 0)
    return what.substr(0, what.size() - suffix.size());
  if (what == ec.message()) return {};
  return what;
}

[[noreturn]] void rethrow_system_error(const WireError& e, const std::error_category& cat) {
  const std::error_code ec(e.code, cat);
  const std::string arg = what_arg(e.message, ec);
  if (e.mangled == typeid(std::ios_base::failure).name()) throw std::ios_base::failure(arg, ec);
  if (e.mangled == typeid(std::future_error).name())
    throw std::future_error(static_cast<std::future_errc>(e.code));
  throw std::system_error(ec, arg);
}

}  // namespace

void register_rebuilder(const std::type_info& type, void (*rethrow)(const std::string&)) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.table[type.name()] = rethrow;
}

WireError describe_current_exception() {
  WireError w;
  try {
    throw;
  } catch (const std::system_error& e) {
    w.mangled = typeid(e).name();
    w.message = e.what();
    w.system_error = true;
    w.code = e.code().value();
    w.category = e.code().category().name();
  } catch (const std::exception& e) {
    w.mangled = typeid(e).name();
    w.message = e.what();
  } catch (...) {
    const std::type_info* t = abi::__cxa_current_exception_type();
    w.mangled = t != nullptr ? t->name() : "unknown exception";
  }
  w.type = demangle(w.mangled.c_str());
  return w;
}

void rethrow(const WireError& e) {
  if (e.system_error) {
    // Only the standard system_error family is rebuilt with its code; a user type derived
    // from it is looked up in the registry below like any other.
    if (const std::error_category* cat = category_named(e.category);
        cat != nullptr && (e.mangled == typeid(std::system_error).name() ||
                           e.mangled == typeid(std::ios_base::failure).name() ||
                           e.mangled == typeid(std::future_error).name()))
      rethrow_system_error(e, *cat);
  }
  Rebuild rebuild = nullptr;
  {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    auto it = r.table.find(e.mangled);
    if (it != r.table.end()) rebuild = it->second;
  }
  if (rebuild != nullptr) rebuild(e.message);
  throw RemoteError(e.type, e.message);
}

std::string to_string(const WireError& e) {
  return e.message.empty() ? e.type : e.type + ": " + e.message;
}

}  // namespace concur::multiprocessing::detail
