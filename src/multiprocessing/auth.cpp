// Python's connection challenge (see auth.hpp), with OpenSSL's HMAC and RAND_bytes.
#include "multiprocessing/auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>

#include "concur/multiprocessing/connection.hpp"

namespace concur::multiprocessing::detail {
namespace {

using connection::AuthenticationError;

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
  const EVP_MD* md = nullptr;
  for (const auto& d : allowed)
    if (d.python == digest) md = EVP_get_digestbyname(std::string(d.openssl).c_str());
  if (md == nullptr)
    throw AuthenticationError("concur::multiprocessing: authentication: digest '" +
                              std::string(digest) + "' is not available");
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned len = 0;
  if (HMAC(md, key.data(), static_cast<int>(key.size()),
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
         CRYPTO_memcmp(expected.data(), parsed->second.data(), expected.size()) == 0;
}

void deliver_challenge(Connection& c, std::string_view key) {
  std::array<unsigned char, message_length> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1)
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
