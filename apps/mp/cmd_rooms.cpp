// sudachi-mp rooms [--game ID]: the public lobby.
#include <boost/json.hpp>

#include "commands.hpp"

namespace sudachi::mp_cli {

int run_rooms(const CommonOptions& common, const RoomsOptions& options, const Output& out) {
  Inbox inbox;
  int exit_code = kOk;
  auto client = connect(common, out, inbox, exit_code);
  if (!client) return exit_code;

  mp::ListRoomsOptions list;
  list.game_id = options.game_id;
  list.limit = 100;
  const mp::Event done = await_call(*client, inbox, client->list_rooms(list));
  if (done.error) {
    out.error(done.error);
    return exit_code_for(done.error);
  }
  for (const auto& room : done.rooms) {
    out.event(boost::json::object{{"event", "lobby_room"},
                                  {"roomId", room.id},
                                  {"name", room.name},
                                  {"gameId", room.game_id},
                                  {"gameName", room.game_name},
                                  {"host", room.host_username},
                                  {"players", room.players},
                                  {"maxPlayers", room.max_players},
                                  {"hasPassword", room.has_password},
                                  {"region", room.region}});
    if (!out.json()) {
      out.status(room.id + "  " + room.name + "  [" + room.game_id + "]  " +
                 std::to_string(room.players) + "/" + std::to_string(room.max_players) +
                 (room.has_password ? "  password" : "") + "  host " + room.host_username);
    }
  }
  out.event(
      boost::json::object{{"event", "rooms"}, {"count", done.rooms.size()}, {"total", done.total}});
  if (!out.json()) {
    out.status(std::to_string(done.rooms.size()) + " of " + std::to_string(done.total) +
               " public room(s)");
  }
  client->stop();
  return kOk;
}

}  // namespace sudachi::mp_cli
