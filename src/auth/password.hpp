#pragma once

#include <string>
#include <string_view>

namespace sudachi::auth {

// Room passwords are stored only as salted PBKDF2-HMAC-SHA256 hashes:
// "pbkdf2-sha256$<iterations>$<salt base64url>$<hash base64url>". Verification is constant
// time. Hashing costs milliseconds by design; callers keep it off locks.
std::string hash_password(std::string_view password, int iterations = 60'000);
bool verify_password(std::string_view password, std::string_view stored_hash);

}  // namespace sudachi::auth
