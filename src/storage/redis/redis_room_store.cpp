#include "storage/redis/redis_room_store.hpp"

#include <utility>

#include "storage/redis/room_codec.hpp"
#include "storage/redis/room_scripts.hpp"

namespace sudachi::storage::redis {
namespace {

const char* visibility_text(room::Visibility v) {
  return v == room::Visibility::public_room ? "public" : "private";
}

Result<room::RoomRecord> decode_checked_room(const RedisReply& reply) {
  auto view = decode_view(reply);
  if (!view) return std::move(view).error();
  return std::move(view->room);
}

Result<Unit> decode_status(const RedisReply& reply) {
  return script_status(reply);
}

}  // namespace

RedisRoomStore::RedisRoomStore(std::shared_ptr<RedisClient> client, const Clock& clock,
                               RedisRoomStoreOptions options)
    : client_(std::move(client)),
      clock_(clock),
      options_(std::move(options)),
      keys_(options_.key_prefix) {}

bool RedisRoomStore::healthy() const {
  return client_->healthy();
}

std::vector<std::string> RedisRoomStore::args() const {
  return {options_.key_prefix, std::to_string(options_.room_ttl.count())};
}

template <class T>
void RedisRoomStore::run(const RedisScript& script, std::string key, std::vector<std::string> args,
                         Result<T> (*decode)(const RedisReply&), room::Callback<T> done) {
  client_->eval(script, {std::move(key)}, std::move(args),
                [decode, done = std::move(done)](Result<RedisReply> reply) {
                  if (!reply) {
                    done(std::move(reply).error());
                    return;
                  }
                  done(decode(*reply));
                });
}

void RedisRoomStore::create_room(room::RoomRecord draft, room::Member host,
                                 room::Callback<room::RoomView> done) {
  if (draft.created_at_ms == 0) draft.created_at_ms = clock_.unix_ms();
  if (host.joined_at_ms == 0) host.joined_at_ms = draft.created_at_ms;
  draft.host_client_id = host.client_id;
  draft.host_username = host.username;
  draft.players = 1;
  draft.peak_players = 1;
  std::vector<std::string> a = args();
  a.insert(a.end(), {draft.id, host.client_id, host.username, host.platform,
                     std::to_string(host.joined_at_ms)});
  for (std::string& item : encode_room(draft)) a.push_back(std::move(item));
  run<room::RoomView>(create_room_script(), keys_.room(draft.id), std::move(a), &decode_view,
                      std::move(done));
}

void RedisRoomStore::get_room(std::string room_id, room::Callback<room::RoomView> done) {
  std::vector<std::string> a = args();
  a.push_back(room_id);
  run<room::RoomView>(get_room_script(), keys_.room(room_id), std::move(a), &decode_view,
                      std::move(done));
}

void RedisRoomStore::room_of(std::string client_id,
                             room::Callback<std::optional<std::string>> done) {
  std::vector<std::string> a = args();
  a.push_back(client_id);
  run<std::optional<std::string>>(room_of_script(), keys_.client(client_id), std::move(a),
                                  &decode_room_of, std::move(done));
}

void RedisRoomStore::check_join(std::string room_id, std::string client_id,
                                room::Callback<room::RoomRecord> done) {
  std::vector<std::string> a = args();
  a.insert(a.end(), {room_id, client_id, "", "", "0", "", "1"});
  run<room::RoomRecord>(join_room_script(), keys_.room(room_id), std::move(a), &decode_checked_room,
                        std::move(done));
}

void RedisRoomStore::join_room(std::string room_id, room::Member member,
                               std::string expected_password_hash,
                               room::Callback<room::RoomView> done) {
  if (member.joined_at_ms == 0) member.joined_at_ms = clock_.unix_ms();
  std::vector<std::string> a = args();
  a.insert(a.end(), {room_id, member.client_id, member.username, member.platform,
                     std::to_string(member.joined_at_ms), std::move(expected_password_hash), "0"});
  run<room::RoomView>(join_room_script(), keys_.room(room_id), std::move(a), &decode_view,
                      std::move(done));
}

void RedisRoomStore::leave_room(std::string room_id, std::string client_id,
                                room::Callback<room::LeaveOutcome> done) {
  std::vector<std::string> a = args();
  a.insert(a.end(), {room_id, client_id});
  run<room::LeaveOutcome>(leave_room_script(), keys_.room(room_id), std::move(a), &decode_leave,
                          std::move(done));
}

void RedisRoomStore::kick(std::string room_id, std::string host_client_id,
                          std::string target_client_id, room::Callback<room::LeaveOutcome> done) {
  std::vector<std::string> a = args();
  a.insert(a.end(), {room_id, host_client_id, target_client_id});
  run<room::LeaveOutcome>(kick_script(), keys_.room(room_id), std::move(a), &decode_leave,
                          std::move(done));
}

void RedisRoomStore::close_room(std::string room_id, std::string host_client_id,
                                room::Callback<room::RoomView> done) {
  std::vector<std::string> a = args();
  a.insert(a.end(), {room_id, host_client_id});
  run<room::RoomView>(close_room_script(), keys_.room(room_id), std::move(a), &decode_view,
                      std::move(done));
}

void RedisRoomStore::update_room(std::string room_id, std::string host_client_id,
                                 room::RoomUpdate update, room::Callback<room::RoomView> done) {
  std::vector<std::string> a = args();
  auto flag = [](bool set) { return std::string(set ? "1" : "0"); };
  a.insert(a.end(),
           {room_id, host_client_id, flag(update.name.has_value()), update.name.value_or(""),
            flag(update.max_players.has_value()), std::to_string(update.max_players.value_or(0)),
            flag(update.password_hash.has_value()), update.password_hash.value_or(""),
            flag(update.visibility.has_value()),
            visibility_text(update.visibility.value_or(room::Visibility::public_room))});
  run<room::RoomView>(update_room_script(), keys_.room(room_id), std::move(a), &decode_view,
                      std::move(done));
}

void RedisRoomStore::list_rooms(room::RoomFilter filter, room::Callback<room::RoomPage> done) {
  std::vector<std::string> a = args();
  const int password = filter.has_password ? (*filter.has_password ? 1 : 0) : -1;
  a.insert(a.end(),
           {std::to_string(filter.offset), std::to_string(filter.limit), filter.region ? "1" : "0",
            filter.region.value_or(""), std::to_string(password),
            filter.not_full.value_or(false) ? "1" : "0", std::to_string(options_.list_scan_limit)});
  std::string index = filter.game_id ? keys_.game_index(*filter.game_id) : keys_.public_index();
  run<room::RoomPage>(list_rooms_script(), std::move(index), std::move(a), &decode_page,
                      std::move(done));
}

void RedisRoomStore::record_p2p(std::string room_id, room::P2pOutcome outcome,
                                room::Callback<Unit> done) {
  const char* field = outcome == room::P2pOutcome::direct  ? "c_direct"
                      : outcome == room::P2pOutcome::relay ? "c_relay"
                                                           : "c_failed";
  std::vector<std::string> a = args();
  a.insert(a.end(), {room_id, field});
  run<Unit>(record_p2p_script(), keys_.room(room_id), std::move(a), &decode_status,
            std::move(done));
}

}  // namespace sudachi::storage::redis
