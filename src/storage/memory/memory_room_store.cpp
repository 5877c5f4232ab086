#include "storage/memory/memory_room_store.hpp"

#include <algorithm>
#include <utility>

namespace sudachi::storage {

using memory::RoomEntry;

namespace {

// Position of the client in the member list (join order), or npos.
std::size_t member_index(const room::RoomView& view, const std::string& client_id) {
  auto it = std::find_if(view.members.begin(), view.members.end(),
                         [&](const room::Member& m) { return m.client_id == client_id; });
  return it == view.members.end() ? std::string::npos
                                  : static_cast<std::size_t>(it - view.members.begin());
}

bool is_member(const room::RoomView& view, const std::string& client_id) {
  return member_index(view, client_id) != std::string::npos;
}

}  // namespace

MemoryRoomStore::MemoryRoomStore(const Clock& clock) : clock_(clock) {}

std::optional<MemoryRoomStore::LockedRoom> MemoryRoomStore::lock_room(const std::string& room_id) {
  std::shared_ptr<RoomEntry> entry = table_.find(room_id);
  if (!entry) return std::nullopt;
  std::unique_lock lock(entry->mutex);
  // Deleted between the table lookup and the lock: gone for this caller too.
  if (entry->removed) return std::nullopt;
  return LockedRoom{std::move(entry), std::move(lock)};
}

// ---- operations: each public method runs its body, then the callback with no lock held ----

void MemoryRoomStore::create_room(room::RoomRecord draft, room::Member host,
                                  room::Callback<room::RoomView> done) {
  done(do_create(std::move(draft), std::move(host)));
}

void MemoryRoomStore::get_room(std::string room_id, room::Callback<room::RoomView> done) {
  done(do_get(room_id));
}

void MemoryRoomStore::room_of(std::string client_id,
                              room::Callback<std::optional<std::string>> done) {
  done(clients_.room_of(client_id));
}

void MemoryRoomStore::check_join(std::string room_id, std::string client_id,
                                 room::Callback<room::RoomRecord> done) {
  done(do_check_join(room_id, client_id));
}

void MemoryRoomStore::join_room(std::string room_id, room::Member member,
                                std::string expected_password_hash,
                                room::Callback<room::RoomView> done) {
  done(do_join(room_id, std::move(member), expected_password_hash));
}

void MemoryRoomStore::leave_room(std::string room_id, std::string client_id,
                                 room::Callback<room::LeaveOutcome> done) {
  done(do_leave(room_id, client_id));
}

void MemoryRoomStore::kick(std::string room_id, std::string host_client_id,
                           std::string target_client_id, room::Callback<room::LeaveOutcome> done) {
  done(do_kick(room_id, host_client_id, target_client_id));
}

void MemoryRoomStore::close_room(std::string room_id, std::string host_client_id,
                                 room::Callback<room::RoomView> done) {
  done(do_close(room_id, host_client_id));
}

void MemoryRoomStore::update_room(std::string room_id, std::string host_client_id,
                                  room::RoomUpdate update, room::Callback<room::RoomView> done) {
  done(do_update(room_id, host_client_id, update));
}

void MemoryRoomStore::list_rooms(room::RoomFilter filter, room::Callback<room::RoomPage> done) {
  done(index_.list(filter));
}

void MemoryRoomStore::record_p2p(std::string room_id, room::P2pOutcome outcome,
                                 room::Callback<Unit> done) {
  done(do_record_p2p(room_id, outcome));
}

std::size_t MemoryRoomStore::room_count() const {
  return index_.size();
}

std::map<std::string, int> MemoryRoomStore::rooms_by_game() const {
  return index_.count_by_game();
}

// ---- bodies ----

Result<room::RoomView> MemoryRoomStore::do_create(room::RoomRecord draft, room::Member host) {
  if (draft.created_at_ms == 0) draft.created_at_ms = clock_.unix_ms();
  if (host.joined_at_ms == 0) host.joined_at_ms = draft.created_at_ms;
  draft.host_client_id = host.client_id;
  draft.host_username = host.username;
  draft.players = 1;
  draft.peak_players = 1;

  auto entry = std::make_shared<RoomEntry>();
  std::lock_guard lock(entry->mutex);
  const std::string room_id = draft.id;
  entry->view.room = std::move(draft);
  entry->view.members.push_back(std::move(host));
  // Into the table first, while we hold its mutex: a concurrent lookup waits for us and, if
  // the claim below fails, finds it removed, so nobody ever sees a room without its host.
  if (!table_.insert(room_id, entry)) return Error::make(ErrorCode::internal, "Room id collision");
  if (!clients_.claim(entry->view.members.front().client_id, room_id)) {
    entry->removed = true;
    table_.erase(room_id);
    return ErrorCode::already_in_room;
  }
  index_.upsert(entry->view.room);
  return entry->view;
}

std::optional<ErrorCode> MemoryRoomStore::join_blocker(const RoomEntry& entry,
                                                       const std::string& client_id) const {
  // Any room, this one included: the client must leave first.
  if (clients_.room_of(client_id)) return ErrorCode::already_in_room;
  if (entry.banned.contains(client_id)) return ErrorCode::banned;
  return std::nullopt;
}

std::optional<ErrorCode> MemoryRoomStore::host_blocker(const RoomEntry& entry,
                                                       const std::string& client_id) {
  if (!is_member(entry.view, client_id)) return ErrorCode::not_in_room;
  if (entry.view.room.host_client_id != client_id) return ErrorCode::not_host;
  return std::nullopt;
}

Result<room::RoomView> MemoryRoomStore::do_get(const std::string& room_id) {
  auto locked = lock_room(room_id);
  if (!locked) return ErrorCode::room_not_found;
  return locked->entry->view;
}

Status MemoryRoomStore::do_record_p2p(const std::string& room_id, room::P2pOutcome outcome) {
  auto locked = lock_room(room_id);
  if (!locked) return ErrorCode::room_not_found;
  room::RoomRecord& room = locked->entry->view.room;
  switch (outcome) {
    case room::P2pOutcome::direct:
      ++room.connections.direct;
      break;
    case room::P2pOutcome::relay:
      ++room.connections.relay;
      break;
    case room::P2pOutcome::failed:
      ++room.connections.failed;
      break;
  }
  index_.upsert(room);  // keeps the index's copy whole (cheap: the ordering keys are unchanged)
  return Unit{};
}

Result<room::RoomRecord> MemoryRoomStore::do_check_join(const std::string& room_id,
                                                        const std::string& client_id) {
  auto locked = lock_room(room_id);
  if (!locked) return ErrorCode::room_not_found;
  if (auto blocker = join_blocker(*locked->entry, client_id)) return *blocker;
  return locked->entry->view.room;
}

Result<room::RoomView> MemoryRoomStore::do_join(const std::string& room_id, room::Member member,
                                                const std::string& expected_password_hash) {
  auto locked = lock_room(room_id);
  if (!locked) return ErrorCode::room_not_found;
  RoomEntry& entry = *locked->entry;
  if (auto blocker = join_blocker(entry, member.client_id)) return *blocker;
  room::RoomRecord& room = entry.view.room;
  // The caller verified the password against this hash outside the lock; if the host changed
  // it since, that verification proves nothing.
  if (room.password_hash != expected_password_hash) return ErrorCode::wrong_password;
  if (room.players >= room.max_players) return ErrorCode::room_full;
  // The client may have joined another room since join_blocker looked: the claim decides.
  if (!clients_.claim(member.client_id, room_id)) return ErrorCode::already_in_room;

  if (member.joined_at_ms == 0) member.joined_at_ms = clock_.unix_ms();
  entry.view.members.push_back(std::move(member));
  room.players = static_cast<int>(entry.view.members.size());
  room.peak_players = std::max(room.peak_players, room.players);
  index_.upsert(room);
  return entry.view;
}

Result<room::LeaveOutcome> MemoryRoomStore::do_leave(const std::string& room_id,
                                                     const std::string& client_id) {
  auto locked = lock_room(room_id);
  if (!locked) return ErrorCode::room_not_found;
  const std::size_t index = member_index(locked->entry->view, client_id);
  if (index == std::string::npos) return ErrorCode::not_in_room;
  return remove_member(*locked->entry, index);
}

Result<room::LeaveOutcome> MemoryRoomStore::do_kick(const std::string& room_id,
                                                    const std::string& host_id,
                                                    const std::string& target_id) {
  auto locked = lock_room(room_id);
  if (!locked) return ErrorCode::room_not_found;
  RoomEntry& entry = *locked->entry;
  if (auto blocker = host_blocker(entry, host_id)) return *blocker;
  if (target_id == host_id)
    return Error::make(ErrorCode::invalid_request, "The host cannot kick itself");
  const std::size_t index = member_index(entry.view, target_id);
  if (index == std::string::npos) return ErrorCode::not_in_room;
  entry.banned.insert(target_id);
  return remove_member(entry, index);
}

Result<room::RoomView> MemoryRoomStore::do_close(const std::string& room_id,
                                                 const std::string& host_id) {
  auto locked = lock_room(room_id);
  if (!locked) return ErrorCode::room_not_found;
  RoomEntry& entry = *locked->entry;
  if (auto blocker = host_blocker(entry, host_id)) return *blocker;
  room::RoomView before = entry.view;
  remove_room(entry);
  return before;
}

Result<room::RoomView> MemoryRoomStore::do_update(const std::string& room_id,
                                                  const std::string& host_id,
                                                  const room::RoomUpdate& update) {
  auto locked = lock_room(room_id);
  if (!locked) return ErrorCode::room_not_found;
  RoomEntry& entry = *locked->entry;
  if (auto blocker = host_blocker(entry, host_id)) return *blocker;
  room::RoomRecord& room = entry.view.room;
  // Validate everything before changing anything: a refused update changes nothing.
  if (update.max_players && *update.max_players < room.players) {
    return Error::make(ErrorCode::invalid_request, "maxPlayers is below the current player count");
  }
  if (update.name) room.name = *update.name;
  if (update.max_players) room.max_players = *update.max_players;
  if (update.password_hash) room.password_hash = *update.password_hash;
  if (update.visibility) room.visibility = *update.visibility;
  index_.upsert(room);
  return entry.view;
}

// ---- helpers called with the room's mutex held ----

room::LeaveOutcome MemoryRoomStore::remove_member(RoomEntry& entry, std::size_t index) {
  room::RoomView& view = entry.view;
  room::LeaveOutcome outcome;
  outcome.departed = std::move(view.members[index]);
  view.members.erase(view.members.begin() + static_cast<std::ptrdiff_t>(index));
  view.room.players = static_cast<int>(view.members.size());
  clients_.release(outcome.departed.client_id, view.room.id);

  if (view.members.empty()) {
    outcome.closed = true;
    remove_room(entry);
  } else {
    if (view.room.host_client_id == outcome.departed.client_id) {
      // Members are kept in join order, so the front one has been present longest.
      view.room.host_client_id = view.members.front().client_id;
      view.room.host_username = view.members.front().username;
      outcome.new_host_client_id = view.room.host_client_id;
    }
    index_.upsert(view.room);
  }
  outcome.after = view;
  return outcome;
}

void MemoryRoomStore::remove_room(RoomEntry& entry) {
  entry.removed = true;
  const std::string& room_id = entry.view.room.id;
  table_.erase(room_id);
  index_.erase(room_id);
  for (const room::Member& member : entry.view.members) clients_.release(member.client_id, room_id);
}

}  // namespace sudachi::storage
