// sudachi-mp probe: this machine's public address and NAT mapping behaviour, as far as STUN
// Binding to the room server's relays can tell.
#include <boost/json.hpp>

#include "commands.hpp"

namespace sudachi::mp_cli {

int run_probe(const CommonOptions& common, const Output& out) {
  Inbox inbox;
  int exit_code = kOk;
  auto client = connect(common, out, inbox, exit_code);
  if (!client) return exit_code;
  out.status("asking the relays' STUN service ...");
  const mp::ProbeResult r = client->probe(std::chrono::seconds(5));
  client->stop();
  if (r.error) {
    out.error(r.error);
    return exit_code_for(r.error) == kOk ? kFailed : exit_code_for(r.error);
  }
  boost::json::array observations;
  for (const auto& o : r.observations)
    observations.push_back(boost::json::object{{"server", o.server}, {"mapped", o.mapped}});
  out.event(boost::json::object{{"event", "probe"},
                                {"localAddress", r.local_address},
                                {"publicAddress", r.public_address},
                                {"mapping", r.mapping},
                                {"udpBlocked", r.udp_blocked},
                                {"observations", observations}});
  if (!out.json()) {
    out.status("local address:  " + r.local_address);
    out.status("public address: " + (r.public_address.empty() ? "(none)" : r.public_address));
    out.status("NAT mapping:    " + r.mapping);
    if (r.udp_blocked)
      out.status("UDP looks blocked: no STUN server answered (the relay over TCP still works)");
    for (const auto& o : r.observations)
      out.status("  " + o.server + " saw " + (o.mapped.empty() ? "nothing" : o.mapped));
  }
  return kOk;
}

}  // namespace sudachi::mp_cli
