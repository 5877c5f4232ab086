// STUN Binding fuzz target (docs/relay-protocol.md §5). The request parser sees every hostile
// datagram that reaches a relay port; the response parser is what clients run on whatever a
// "server" sends back. Neither may read past its input; a request that parses gets a response
// that round-trips through the response parser, within the size the relay promises.
#include <algorithm>
#include <array>

#include "fuzz_support.hpp"
#include "relay/stun.hpp"
#include "relay/wire.hpp"

namespace sudachi::fuzz {
namespace {

namespace stun = relay::stun;
using relay::Endpoint;

constexpr const char* kTarget = "stun";

Endpoint mapped_from(const std::uint8_t* data, std::size_t size, bool v6) {
  // An address from the input's tail, so every family and byte value gets exercised.
  Endpoint e;
  e.family = v6 ? 6 : 4;
  e.port = static_cast<std::uint16_t>(size * 2654435761u);
  for (std::size_t i = 0; i < (v6 ? 16u : 4u) && i < size; ++i) e.addr[i] = data[size - 1 - i];
  return e;
}

}  // namespace

int stun_one_input(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  stun::BindingRequest request;
  const stun::Parse parsed = stun::parse_binding_request(in, request);
  SUDACHI_FUZZ_CHECK((parsed == stun::Parse::not_stun) == !stun::looks_like_stun(in));
  if (parsed == stun::Parse::binding_request) {
    SUDACHI_FUZZ_CHECK(size >= stun::kHeaderSize && size % 4 == 0);
    SUDACHI_FUZZ_CHECK(!request.has_fingerprint || size >= stun::kHeaderSize + 8);
    for (const bool v6 : {false, true}) {
      for (const bool fingerprint : {false, true}) {
        std::array<std::uint8_t, stun::kMaxResponseSize> out{};
        const Endpoint mapped = mapped_from(data, size, v6);
        const std::size_t n = stun::encode_binding_response(out, request, mapped, fingerprint);
        SUDACHI_FUZZ_CHECK(n == stun::kHeaderSize + (v6 ? 24 : 12) + (fingerprint ? 8 : 0));
        Endpoint back;
        SUDACHI_FUZZ_CHECK(
            stun::parse_binding_response({out.data(), n}, request.transaction_id, back));
        SUDACHI_FUZZ_CHECK(back == mapped);
        // Our own framing check accepts our response (as STUN that is not a request).
        stun::BindingRequest as_request;
        SUDACHI_FUZZ_CHECK(stun::parse_binding_request({out.data(), n}, as_request) ==
                           stun::Parse::other_stun);
      }
    }
  }
  // The client side: any bytes as a response to any transaction.
  stun::TransactionId tid{};
  if (size >= stun::kHeaderSize) std::copy(data + 8, data + 20, tid.begin());
  Endpoint mapped;
  if (stun::parse_binding_response(in, tid, mapped)) {
    SUDACHI_FUZZ_CHECK(mapped.family == 4 || mapped.family == 6);
  }
  return 0;
}

}  // namespace sudachi::fuzz

#ifndef SUDACHI_FUZZ_NO_ENTRY_POINT
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return sudachi::fuzz::stun_one_input(data, size);
}
#endif
