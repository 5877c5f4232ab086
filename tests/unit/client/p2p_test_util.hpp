#pragma once

#include <cstdint>

#include "client/p2p/address.hpp"

namespace sudachi::client::p2p::test {

inline Endpoint v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d,
                   std::uint16_t port) {
  Endpoint e;
  e.family = 4;
  e.port = port;
  e.addr = {a, b, c, d};
  return e;
}

}  // namespace sudachi::client::p2p::test
