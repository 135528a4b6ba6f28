// Python's connection challenge (see auth.hpp), with OpenSSL's HMAC and RAND_bytes.
//
// libcrypto is loaded on first use (dlopen), not linked: every spawned worker is a fresh exec
// of the program, and the dynamic loader spends ~1.5 ms per exec relocating libcrypto (5,000
// symbol relocations) — most of a worker's start-up — for an authentication few programs use.
#include "multiprocessing/auth.hpp"

#include <dlfcn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>

#include "concur/multiprocessing/connection.hpp"

namespace concur::multiprocessing::detail {
namespace {

using connection::AuthenticationError;

#ifndef CONCUR_LIBCRYPTO
#define CONCUR_LIBCRYPTO "libcrypto.so.3"
#endif

// The four libcrypto functions we call, resolved once (thread-safe static initialisation).
struct Crypto {
  decltype(&EVP_get_digestbyname) get_digestbyname = nullptr;
  decltype(&HMAC) hmac = nullptr;
  decltype(&CRYPTO_memcmp) memcmp = nullptr;
  decltype(&RAND_bytes) rand_bytes = nullptr;
  std::string error;  // why it could not be loaded (empty: loaded)
};

template <class F>
void resolve(void* lib, const char* name, F& out, std::string& error) {
  out = reinterpret_cast<F>(::dlsym(lib, name));
  if (out == nullptr && error.empty()) error = std::string("no symbol ") + name;
}

const Crypto& crypto() {
  static const Crypto c = [] {
    Crypto r;
    void* lib = ::dlopen(CONCUR_LIBCRYPTO, RTLD_NOW | RTLD_LOCAL);  // never closed
    if (lib == nullptr) {
      const char* e = ::dlerror();
      r.error = e != nullptr ? e : "dlopen failed";
      return r;
    }
    resolve(lib, "EVP_get_digestbyname", r.get_digestbyname, r.error);
    resolve(lib, "HMAC", r.hmac, r.error);
    resolve(lib, "CRYPTO_memcmp", r.memcmp, r.error);
    resolve(lib, "RAND_bytes", r.rand_bytes, r.error);
    return r;
  }();
  if (!c.error.empty())
    throw AuthenticationError("concur::multiprocessing: authentication needs OpenSSL's " +
                              std::string(CONCUR_LIBCRYPTO) +
                              ", which could not be loaded: " + c.error);
  return c;
}

constexpr std::string_view challenge_tag = "#CHALLENGE#";
constexpr std::string_view welcome = "#WELCOME#";
constexpr std::string_view failure = "#FAILURE#";
constexpr std::size_t message_length = 40;  // Python 3.12's MESSAGE_LENGTH
constexpr std::size_t md5_only_length = 20, md5_length = 16;
constexpr std::size_t max_digest_name = 8;  // "sha3_256"
constexpr std::size_t max_handshake_message = 256;

struct Digest {
  std::string_view python, openssl;
};
constexpr std::array<Digest, 5> allowed = {{{"md5", "MD5"},
                                            {"sha256", "SHA256"},
                                            {"sha384", "SHA384"},
                                            {"sha3_256", "SHA3-256"},
                                            {"sha3_384", "SHA3-384"}}};

std::string printable(std::string_view m) {
  std::string out;
  for (unsigned char c : m.substr(0, 64)) {
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return m.size() > 64 ? out + "..." : out;
}

std::string recv_handshake(Connection& c) {
  try {
    return c.recv_bytes(max_handshake_message);
  } catch (const std::system_error& e) {
    if (e.code().value() == EMSGSIZE || e.code().value() == EPROTO)
      throw AuthenticationError(std::string("concur::multiprocessing: authentication: ") +
                                e.what());
    throw;
  }
}

}  // namespace

std::optional<std::pair<std::string, std::string_view>> digest_and_payload(std::string_view m) {
  if (m.size() == md5_only_length || m.size() == md5_length)
    return std::pair<std::string, std::string_view>{"", m};
  if (m.empty() || m.front() != '{') return std::nullopt;
  const auto close = m.substr(0, max_digest_name + 2).find('}', 1);
  if (close == std::string_view::npos) return std::nullopt;
  const std::string_view name = m.substr(1, close - 1);
  for (const auto& d : allowed)
    if (d.python == name)
      return std::pair<std::string, std::string_view>{name, m.substr(close + 1)};
  return std::nullopt;
}

std::string hmac(std::string_view digest, std::string_view key, std::string_view message) {
  const Crypto& c = crypto();
  const EVP_MD* md = nullptr;
  for (const auto& d : allowed)
    if (d.python == digest) md = c.get_digestbyname(std::string(d.openssl).c_str());
  if (md == nullptr)
    throw AuthenticationError("concur::multiprocessing: authentication: digest '" +
                              std::string(digest) + "' is not available");
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned len = 0;
  if (c.hmac(md, key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(message.data()), message.size(), out.data(),
             &len) == nullptr)
    throw AuthenticationError("concur::multiprocessing: authentication: HMAC failed");
  return {reinterpret_cast<const char*>(out.data()), len};
}

std::string create_response(std::string_view key, std::string_view message) {
  const auto parsed = digest_and_payload(message);
  if (!parsed)
    throw AuthenticationError(
        "concur::multiprocessing: authentication: unsupported challenge (length, digest "
        "prefix or digest): '" +
        printable(message) + "'");
  if (parsed->first.empty()) return hmac("md5", key, message);  // legacy peer: raw HMAC-MD5
  return "{" + parsed->first + "}" + hmac(parsed->first, key, message);
}

bool verify_response(std::string_view key, std::string_view message, std::string_view response) {
  const auto parsed = digest_and_payload(response);
  if (!parsed) return false;
  const std::string expected = hmac(parsed->first.empty() ? "md5" : parsed->first, key, message);
  return expected.size() == parsed->second.size() &&
         crypto().memcmp(expected.data(), parsed->second.data(), expected.size()) == 0;
}

void deliver_challenge(Connection& c, std::string_view key) {
  std::array<unsigned char, message_length> random{};
  if (crypto().rand_bytes(random.data(), static_cast<int>(random.size())) != 1)
    throw AuthenticationError("concur::multiprocessing: authentication: RAND_bytes failed");
  const std::string message =
      "{sha256}" + std::string(reinterpret_cast<const char*>(random.data()), random.size());
  c.send_bytes(std::string(challenge_tag) + message);
  const std::string response = recv_handshake(c);
  if (!verify_response(key, message, response)) {
    try {
      c.send_bytes(failure);
    } catch (const std::exception&) {  // the peer may have gone already: the verdict stands
    }
    throw AuthenticationError(
        "concur::multiprocessing: authentication: digest received was wrong (a different "
        "authkey?)");
  }
  c.send_bytes(welcome);
}

void answer_challenge(Connection& c, std::string_view key) {
  const std::string m = recv_handshake(c);
  if (m.substr(0, challenge_tag.size()) != challenge_tag)
    throw AuthenticationError(
        "concur::multiprocessing: authentication: protocol error, expected a challenge, got '" +
        printable(m) + "'");
  const std::string_view message = std::string_view(m).substr(challenge_tag.size());
  if (message.size() < md5_only_length)
    throw AuthenticationError("concur::multiprocessing: authentication: challenge too short (" +
                              std::to_string(message.size()) + " bytes)");
  c.send_bytes(create_response(key, message));
  if (recv_handshake(c) != welcome)
    throw AuthenticationError(
        "concur::multiprocessing: authentication: digest sent was rejected (a different "
        "authkey?)");
}

}  // namespace concur::multiprocessing::detail
