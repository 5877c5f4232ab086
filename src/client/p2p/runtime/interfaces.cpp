#include "client/p2p/runtime/interfaces.hpp"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

namespace sudachi::client::p2p::runtime {

std::vector<Endpoint> interface_addresses() {
  std::vector<Endpoint> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (const ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || (i->ifa_flags & IFF_UP) == 0) continue;
    const int family = i->ifa_addr->sa_family;
    if (family != AF_INET && family != AF_INET6) continue;
    const socklen_t len = family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
    const Endpoint e = Endpoint::from_sockaddr(i->ifa_addr, len);
    if (e.valid()) out.push_back(e);
  }
  ::freeifaddrs(list);
  return out;
}

}  // namespace sudachi::client::p2p::runtime
