// Internal: Python's connection authentication (multiprocessing.connection's
// deliver_challenge / answer_challenge), HMAC through OpenSSL's libcrypto.
//
// The challenger sends b"#CHALLENGE#{sha256}" + 40 random bytes; the answer is
// b"{sha256}" + HMAC-SHA256(key, message) — the MAC covers the "{digest}" prefix, so it
// cannot be downgraded — and the challenger replies b"#WELCOME#" or b"#FAILURE#". As Python
// 3.12+, we also accept the legacy protocol of Python <= 3.11: a 20-byte challenge without a
// prefix is answered with a raw 16-byte HMAC-MD5, and a raw 16-byte HMAC-MD5 answer to our
// challenge is verified as such. Allowed digests: md5, sha256, sha384, sha3_256, sha3_384.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace concur::multiprocessing {
class Connection;
}

namespace concur::multiprocessing::detail {

/// The digest named by a challenge or response and the payload after its prefix; "" for the
/// legacy protocol (16 or 20 bytes, no prefix); nullopt if malformed or not allowed.
std::optional<std::pair<std::string, std::string_view>> digest_and_payload(std::string_view m);
/// HMAC of `message` under `key` with Python's digest name. Throws AuthenticationError for
/// a digest OpenSSL does not offer.
std::string hmac(std::string_view digest, std::string_view key, std::string_view message);
/// The answer to a challenge message (without "#CHALLENGE#"). Throws AuthenticationError.
std::string create_response(std::string_view key, std::string_view message);
/// Whether `response` is a correct answer to `message` (constant-time comparison).
bool verify_response(std::string_view key, std::string_view message, std::string_view response);

/// Both halves on a connection; throw connection::AuthenticationError (and EOFError,
/// std::system_error from the connection). The caller closes the connection on failure.
void deliver_challenge(Connection& c, std::string_view key);
void answer_challenge(Connection& c, std::string_view key);

}  // namespace concur::multiprocessing::detail
