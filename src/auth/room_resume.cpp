#include "auth/room_resume.hpp"

#include <array>
#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth/base64url.hpp"

namespace sudachi::auth {

RoomResumeKeys::RoomResumeKeys(std::string secret) : secret_(std::move(secret)) {}

std::string RoomResumeKeys::key(std::string_view room_id, std::string_view client_id) const {
  if (!enabled()) return {};
  std::string message = "room-resume";
  message.push_back('\0');
  message.append(room_id);
  message.push_back('\0');
  message.append(client_id);
  std::array<std::uint8_t, 32> mac{};
  unsigned int len = 0;
  const unsigned char* ok = HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
                                 reinterpret_cast<const unsigned char*>(message.data()),
                                 message.size(), mac.data(), &len);
  if (ok == nullptr || len != mac.size()) throw std::runtime_error("HMAC-SHA256 failed");
  return base64url_encode(std::span<const std::uint8_t>(mac));
}

bool RoomResumeKeys::verify(std::string_view room_id, std::string_view client_id,
                            std::string_view key) const {
  if (!enabled()) return false;
  const std::string expected = this->key(room_id, client_id);
  return key.size() == expected.size() &&
         CRYPTO_memcmp(key.data(), expected.data(), expected.size()) == 0;
}

}  // namespace sudachi::auth
