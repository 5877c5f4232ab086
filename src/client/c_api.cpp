// The C API (<sudachi/mp.h>) over sudachi::mp::Client. Nothing may throw across it: every entry
// point that can allocate catches, and answers as if the call had been refused.
#include "sudachi/mp.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "sudachi/mp.hpp"

namespace mp = sudachi::mp;

struct sudachi_mp_client {
  std::unique_ptr<mp::Client> client;
};

namespace {

static_assert(static_cast<int>(mp::ErrorCode::unknown) == SUDACHI_MP_UNKNOWN);
static_assert(static_cast<int>(mp::ErrorCode::room_lost) == SUDACHI_MP_ROOM_LOST);
static_assert(static_cast<int>(mp::EventType::error) == SUDACHI_MP_EVENT_ERROR);
static_assert(static_cast<int>(mp::EventType::peer_failed) == SUDACHI_MP_EVENT_PEER_FAILED);
static_assert(static_cast<int>(mp::Call::unsubscribe_lobby) == SUDACHI_MP_CALL_UNSUBSCRIBE_LOBBY);
static_assert(static_cast<int>(mp::ConnectionState::offline) == SUDACHI_MP_STATE_OFFLINE);
static_assert(static_cast<int>(mp::PathKind::relay) == SUDACHI_MP_PATH_RELAY);

std::string text(const char* s) {
  return s != nullptr ? std::string(s) : std::string();
}

char* copy_string(const std::string& s) {
  char* out = static_cast<char*>(std::malloc(s.size() + 1));
  if (out != nullptr) std::memcpy(out, s.c_str(), s.size() + 1);
  return out;
}

sudachi_mp_room to_c(const mp::RoomInfo& r) {
  return sudachi_mp_room{r.id.c_str(),
                         r.game_id.c_str(),
                         r.game_name.c_str(),
                         r.name.c_str(),
                         r.host_client_id.c_str(),
                         r.host_username.c_str(),
                         r.max_players,
                         r.players,
                         r.has_password ? 1 : 0,
                         r.is_public ? 1 : 0,
                         r.region.c_str(),
                         r.created_at_ms};
}

sudachi_mp_member to_c(const mp::Member& m) {
  return sudachi_mp_member{m.client_id.c_str(), m.username.c_str(), m.platform.c_str(),
                           m.joined_at_ms};
}

// Builds the C view of one event (pointing into `e`) and hands it to `fn`.
void deliver(const mp::Event& e, sudachi_mp_event_fn fn, void* user) {
  if (fn == nullptr) return;
  std::vector<sudachi_mp_member> members;
  members.reserve(e.members.size());
  for (const auto& m : e.members) members.push_back(to_c(m));
  std::vector<sudachi_mp_room> rooms;
  rooms.reserve(e.rooms.size());
  for (const auto& r : e.rooms) rooms.push_back(to_c(r));
  sudachi_mp_room room{};
  if (e.room) room = to_c(*e.room);
  sudachi_mp_member member{};
  if (e.member) member = to_c(*e.member);

  sudachi_mp_event c{};
  c.type = static_cast<sudachi_mp_event_type>(e.type);
  c.state = static_cast<sudachi_mp_state>(e.state);
  c.server = e.server.c_str();
  c.client_id = e.client_id.c_str();
  c.room_id = e.room_id.c_str();
  c.reason = e.reason.c_str();
  c.resumed = e.resumed ? 1 : 0;
  c.room = e.room ? &room : nullptr;
  c.members = members.data();
  c.member_count = members.size();
  c.member = e.member ? &member : nullptr;
  c.rooms = rooms.data();
  c.room_count = rooms.size();
  c.total = e.total;
  c.username = e.username.c_str();
  c.text = e.text.c_str();
  c.at_ms = e.at_ms;
  c.peer_id = e.peer_id.c_str();
  c.path = static_cast<sudachi_mp_path>(e.path);
  c.connect_ms = e.connect_ms;
  c.request_id = e.request_id;
  c.call = static_cast<sudachi_mp_call>(e.call);
  c.error_code = static_cast<sudachi_mp_error_code>(e.error.code);
  c.error_message = e.error.message.c_str();
  c.retry_after_s = e.error.retry_after_s;
  fn(user, &c);
}

class CHandler final : public mp::Handler {
 public:
  CHandler(sudachi_mp_event_fn event_fn, sudachi_mp_datagram_fn datagram_fn, void* user)
      : on_event_(event_fn), on_datagram_(datagram_fn), user_(user) {}
  void on_event(const mp::Event& event) override { deliver(event, on_event_, user_); }
  void on_datagram(std::string_view peer, std::span<const std::byte> data) override {
    if (on_datagram_ == nullptr) return;
    const std::string id(peer);
    on_datagram_(user_, id.c_str(), reinterpret_cast<const std::uint8_t*>(data.data()),
                 data.size());
  }

 private:
  sudachi_mp_event_fn on_event_;
  sudachi_mp_datagram_fn on_datagram_;
  void* user_;
};

std::span<const std::byte> bytes(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const std::byte*>(data), data != nullptr ? size : 0};
}

template <class F>
std::uint64_t call(sudachi_mp_client* c, F f) {
  if (c == nullptr) return 0;
  try {
    return f(*c->client);
  } catch (...) {
    return 0;
  }
}

}  // namespace

extern "C" {

void sudachi_mp_config_init(sudachi_mp_config* config) {
  if (config == nullptr) return;
  const mp::ClientConfig d;
  *config = sudachi_mp_config{};
  config->connect_timeout_ms = static_cast<std::uint32_t>(d.connect_timeout.count());
  config->call_timeout_ms = static_cast<std::uint32_t>(d.call_timeout.count());
  config->reconnect_initial_ms = static_cast<std::uint32_t>(d.reconnect_initial.count());
  config->reconnect_max_ms = static_cast<std::uint32_t>(d.reconnect_max.count());
  config->room_restore_window_ms = static_cast<std::uint32_t>(d.room_restore_window.count());
  config->direct_timeout_ms = static_cast<std::uint32_t>(d.direct_timeout.count());
  config->metrics_report_interval_ms =
      static_cast<std::uint32_t>(d.metrics_report_interval.count());
  config->give_up_after_passes = d.give_up_after_passes;
  config->udp_port = d.udp_port;
  config->max_queued_datagrams = d.max_queued_datagrams;
}

sudachi_mp_client* sudachi_mp_create(const sudachi_mp_config* config) {
  if (config == nullptr) return nullptr;
  try {
    mp::ClientConfig c;
    if (config->servers != nullptr) c.servers.push_back(config->servers);
    c.token = text(config->token);
    if (config->username != nullptr) c.username = config->username;
    if (config->platform != nullptr) c.platform = config->platform;
    if (config->sudachi_version != nullptr) c.sudachi_version = config->sudachi_version;
    c.ca_file = text(config->ca_file);
    using ms = std::chrono::milliseconds;
    if (config->connect_timeout_ms != 0) c.connect_timeout = ms(config->connect_timeout_ms);
    if (config->call_timeout_ms != 0) c.call_timeout = ms(config->call_timeout_ms);
    if (config->reconnect_initial_ms != 0) c.reconnect_initial = ms(config->reconnect_initial_ms);
    if (config->reconnect_max_ms != 0) c.reconnect_max = ms(config->reconnect_max_ms);
    if (config->room_restore_window_ms != 0)
      c.room_restore_window = ms(config->room_restore_window_ms);
    if (config->direct_timeout_ms != 0) c.direct_timeout = ms(config->direct_timeout_ms);
    c.metrics_report_interval = ms(config->metrics_report_interval_ms);
    c.give_up_after_passes = config->give_up_after_passes;
    c.udp_port = config->udp_port;
    c.disable_direct = config->disable_direct != 0;
    c.seed = config->seed;
    if (config->max_queued_datagrams != 0) c.max_queued_datagrams = config->max_queued_datagrams;
    if (config->on_event != nullptr || config->on_datagram != nullptr) {
      c.callbacks = std::make_shared<CHandler>(config->on_event, config->on_datagram, config->user);
    }
    auto* out = new sudachi_mp_client;
    out->client = std::make_unique<mp::Client>(std::move(c));
    return out;
  } catch (...) {
    return nullptr;
  }
}

sudachi_mp_error_code sudachi_mp_start(sudachi_mp_client* client, char** error_message) {
  if (error_message != nullptr) *error_message = nullptr;
  if (client == nullptr) return SUDACHI_MP_INVALID_ARGUMENT;
  try {
    const mp::Error error = client->client->start();
    if (error && error_message != nullptr) *error_message = copy_string(error.message);
    return static_cast<sudachi_mp_error_code>(error.code);
  } catch (...) {
    return SUDACHI_MP_INTERNAL;
  }
}

void sudachi_mp_stop(sudachi_mp_client* client) {
  if (client == nullptr) return;
  try {
    client->client->stop();
  } catch (...) {
    // stop() does not throw; a failure to join a thread would be std::terminate anyway.
  }
}

void sudachi_mp_destroy(sudachi_mp_client* client) {
  if (client == nullptr) return;
  sudachi_mp_stop(client);
  delete client;
}

void sudachi_mp_string_free(char* text_to_free) {
  std::free(text_to_free);
}

size_t sudachi_mp_poll(sudachi_mp_client* client, sudachi_mp_event_fn on_event,
                       sudachi_mp_datagram_fn on_datagram, void* user, size_t max_items) {
  if (client == nullptr) return 0;
  try {
    CHandler handler(on_event, on_datagram, user);
    return client->client->poll(handler, max_items);
  } catch (...) {
    return 0;
  }
}

int sudachi_mp_wait(sudachi_mp_client* client, uint32_t timeout_ms) {
  if (client == nullptr) return 0;
  return client->client->wait(std::chrono::milliseconds(timeout_ms)) ? 1 : 0;
}

sudachi_mp_state sudachi_mp_get_state(const sudachi_mp_client* client) {
  if (client == nullptr) return SUDACHI_MP_STATE_OFFLINE;
  return static_cast<sudachi_mp_state>(client->client->state());
}

size_t sudachi_mp_get_client_id(const sudachi_mp_client* client, char* buffer, size_t size) {
  if (client == nullptr) return 0;
  try {
    const std::string id = client->client->client_id();
    if (buffer != nullptr && size > 0) {
      const std::size_t n = std::min(id.size(), size - 1);
      std::memcpy(buffer, id.data(), n);
      buffer[n] = '\0';
    }
    return id.size();
  } catch (...) {
    return 0;
  }
}

uint64_t sudachi_mp_list_rooms(sudachi_mp_client* client, const char* game_id, int offset,
                               int limit) {
  return call(client, [&](mp::Client& c) {
    mp::ListRoomsOptions o;
    o.game_id = text(game_id);
    o.offset = offset;
    if (limit > 0) o.limit = limit;
    return c.list_rooms(o);
  });
}

uint64_t sudachi_mp_create_room(sudachi_mp_client* client,
                                const sudachi_mp_create_room_options* options) {
  if (options == nullptr) return 0;
  return call(client, [&](mp::Client& c) {
    mp::CreateRoomOptions o;
    o.game_id = text(options->game_id);
    o.game_name = text(options->game_name);
    o.name = text(options->name);
    o.max_players = options->max_players;
    o.password = text(options->password);
    o.is_public = options->is_public != 0;
    o.region = text(options->region);
    return c.create_room(o);
  });
}

uint64_t sudachi_mp_join_room(sudachi_mp_client* client, const char* room_id,
                              const char* password) {
  return call(client, [&](mp::Client& c) { return c.join_room(text(room_id), text(password)); });
}

uint64_t sudachi_mp_leave_room(sudachi_mp_client* client) {
  return call(client, [](mp::Client& c) { return c.leave_room(); });
}

uint64_t sudachi_mp_close_room(sudachi_mp_client* client) {
  return call(client, [](mp::Client& c) { return c.close_room(); });
}

uint64_t sudachi_mp_kick(sudachi_mp_client* client, const char* client_id) {
  return call(client, [&](mp::Client& c) { return c.kick(text(client_id)); });
}

uint64_t sudachi_mp_update_room(sudachi_mp_client* client, const char* name, int max_players,
                                const char* password, int is_public) {
  return call(client, [&](mp::Client& c) {
    mp::RoomUpdateOptions o;
    if (name != nullptr) o.name = name;
    if (max_players > 0) o.max_players = max_players;
    if (password != nullptr) o.password = password;
    if (is_public == 0 || is_public == 1) o.is_public = is_public == 1;
    return c.update_room(o);
  });
}

uint64_t sudachi_mp_send_chat(sudachi_mp_client* client, const char* message) {
  return call(client, [&](mp::Client& c) { return c.send_chat(text(message)); });
}

uint64_t sudachi_mp_subscribe_lobby(sudachi_mp_client* client, const char* game_id) {
  return call(client, [&](mp::Client& c) { return c.subscribe_lobby(text(game_id)); });
}

uint64_t sudachi_mp_unsubscribe_lobby(sudachi_mp_client* client) {
  return call(client, [](mp::Client& c) { return c.unsubscribe_lobby(); });
}

int sudachi_mp_send(sudachi_mp_client* client, const char* peer_id, const uint8_t* data,
                    size_t size) {
  if (client == nullptr || peer_id == nullptr || (data == nullptr && size != 0)) return 0;
  try {
    return client->client->send(peer_id, bytes(data, size)) ? 1 : 0;
  } catch (...) {
    return 0;
  }
}

int sudachi_mp_broadcast(sudachi_mp_client* client, const uint8_t* data, size_t size) {
  if (client == nullptr || (data == nullptr && size != 0)) return 0;
  try {
    return client->client->broadcast(bytes(data, size)) ? 1 : 0;
  } catch (...) {
    return 0;
  }
}

int sudachi_mp_get_peer_stats(sudachi_mp_client* client, const char* peer_id,
                              sudachi_mp_peer_stats* out) {
  if (client == nullptr || peer_id == nullptr || out == nullptr) return 0;
  try {
    const auto s = client->client->peer_stats(peer_id);
    if (!s) return 0;
    *out = sudachi_mp_peer_stats{static_cast<sudachi_mp_path>(s->path),
                                 s->rtt_ms,
                                 s->loss,
                                 s->bytes_sent,
                                 s->bytes_received,
                                 s->datagrams_sent,
                                 s->datagrams_received,
                                 s->connect_ms};
    return 1;
  } catch (...) {
    return 0;
  }
}

const char* sudachi_mp_error_name(sudachi_mp_error_code code) {
  // The C++ names are views of string literals: NUL-terminated, static.
  const int n = static_cast<int>(code);
  if (n < 0 || n > SUDACHI_MP_UNKNOWN) return "UNKNOWN";
  return mp::to_string(static_cast<mp::ErrorCode>(n)).data();
}

const char* sudachi_mp_event_name(sudachi_mp_event_type type) {
  const int n = static_cast<int>(type);
  if (n < 0 || n > SUDACHI_MP_EVENT_ERROR) return "unknown";
  return mp::to_string(static_cast<mp::EventType>(n)).data();
}

}  // extern "C"
