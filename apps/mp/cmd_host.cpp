// sudachi-mp host --game GAMEID [...]: creates a room, echoes every datagram back to its
// sender, and reports each peer's path.
#include <algorithm>

#include <boost/json.hpp>

#include "commands.hpp"

namespace sudachi::mp_cli {

int run_host(const CommonOptions& common, const HostOptions& options, const Output& out) {
  using Clock = std::chrono::steady_clock;
  Inbox inbox;
  int exit_code = kOk;
  auto client = connect(common, out, inbox, exit_code);
  if (!client) return exit_code;

  mp::CreateRoomOptions create;
  create.game_id = options.game_id;
  create.name = options.room_name.empty() ? common.username + "'s room" : options.room_name;
  create.max_players = options.max_players;
  create.password = options.password;
  const mp::Event created = await_call(*client, inbox, client->create_room(create));
  if (created.error) {
    out.error(created.error);
    return exit_code_for(created.error);
  }
  const std::string room_id = created.room ? created.room->id : "";
  out.event(boost::json::object{{"event", "room"}, {"roomId", room_id}});
  if (!out.json()) {
    out.status("room " + room_id + " created: \"" + create.name + "\", game " + create.game_id +
               ", up to " + std::to_string(create.max_players) + " players");
    out.status("echoing datagrams; Ctrl-C to stop");
  }

  mp::Error ended;
  inbox.on_event_fn = [&](const mp::Event& e) {
    switch (e.type) {
      case mp::EventType::peer_connected:
        out.event(boost::json::object{{"event", "peer"},
                                      {"clientId", e.peer_id},
                                      {"path", mp::to_string(e.path)},
                                      {"connectMs", e.connect_ms}});
        if (!out.json()) {
          out.status("peer " + e.peer_id + " connected (" + std::string(mp::to_string(e.path)) +
                     ") in " + std::to_string(e.connect_ms) + " ms");
        }
        break;
      case mp::EventType::peer_path_changed:
        out.event(boost::json::object{
            {"event", "peer_path"}, {"clientId", e.peer_id}, {"path", mp::to_string(e.path)}});
        if (!out.json()) {
          out.status("peer " + e.peer_id + " now " + std::string(mp::to_string(e.path)));
        }
        break;
      case mp::EventType::peer_failed:
        out.log("peer " + e.peer_id + ": no path: " + e.error.message);
        break;
      default:
        if (auto gone = report_common(e, out)) ended = *gone;
        break;
    }
  };
  inbox.on_datagram_fn = [&client](std::string_view peer, std::span<const std::byte> data) {
    client->send(peer, data);
  };

  const auto start = Clock::now();
  const auto until = options.for_seconds
                         ? start + std::chrono::milliseconds(
                                       static_cast<std::int64_t>(*options.for_seconds * 1000))
                         : Clock::time_point::max();
  while (!g_stop_requested.load() && !ended && Clock::now() < until) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    client->wait(std::clamp(left, std::chrono::milliseconds(0), std::chrono::milliseconds(100)));
    client->poll(inbox);
  }
  client->stop();
  if (ended) {
    out.error(ended);
    return kFailed;
  }
  if (!out.json()) out.status("stopped");
  return kOk;
}

}  // namespace sudachi::mp_cli
