// The C API's lifetime and boundary rules, without a server: handles, strings the caller
// frees, calls on clients that are not running, both delivery modes, NULL everywhere.
#include "sudachi/mp.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sudachi/mp.hpp"

namespace {

struct Seen {
  std::vector<sudachi_mp_event_type> types;
  std::vector<uint64_t> request_ids;
  std::vector<sudachi_mp_call> calls;
  std::vector<sudachi_mp_error_code> codes;
  std::vector<std::string> messages;
  std::vector<sudachi_mp_state> states;
};

void record(void* user, const sudachi_mp_event* e) {
  auto* seen = static_cast<Seen*>(user);
  seen->types.push_back(e->type);
  seen->request_ids.push_back(e->request_id);
  seen->calls.push_back(e->call);
  seen->codes.push_back(e->error_code);
  seen->messages.push_back(e->error_message);  // copied: valid only during the callback
  seen->states.push_back(e->state);
}

sudachi_mp_config base_config(const char* servers) {
  sudachi_mp_config c;
  sudachi_mp_config_init(&c);
  c.servers = servers;
  c.username = "c-api";
  return c;
}

TEST(CApi, ConfigDefaultsAreTheCppDefaults) {
  sudachi_mp_config c;
  std::memset(&c, 0xff, sizeof c);
  sudachi_mp_config_init(&c);
  const sudachi::mp::ClientConfig d;
  EXPECT_EQ(c.servers, nullptr);
  EXPECT_EQ(c.on_event, nullptr);
  EXPECT_EQ(c.connect_timeout_ms, d.connect_timeout.count());
  EXPECT_EQ(c.call_timeout_ms, d.call_timeout.count());
  EXPECT_EQ(c.direct_timeout_ms, d.direct_timeout.count());
  EXPECT_EQ(c.room_restore_window_ms, d.room_restore_window.count());
  EXPECT_EQ(c.max_queued_datagrams, d.max_queued_datagrams);
  EXPECT_EQ(c.disable_direct, 0);
}

TEST(CApi, NullIsAcceptedEverywhere) {
  EXPECT_EQ(sudachi_mp_create(nullptr), nullptr);
  sudachi_mp_destroy(nullptr);
  sudachi_mp_stop(nullptr);
  sudachi_mp_string_free(nullptr);
  char* message = reinterpret_cast<char*>(0x1);
  EXPECT_EQ(sudachi_mp_start(nullptr, &message), SUDACHI_MP_INVALID_ARGUMENT);
  EXPECT_EQ(message, nullptr);
  EXPECT_EQ(sudachi_mp_poll(nullptr, record, nullptr, nullptr, 10), 0u);
  EXPECT_EQ(sudachi_mp_wait(nullptr, 1), 0);
  EXPECT_EQ(sudachi_mp_get_state(nullptr), SUDACHI_MP_STATE_OFFLINE);
  EXPECT_EQ(sudachi_mp_get_client_id(nullptr, nullptr, 0), 0u);
  EXPECT_EQ(sudachi_mp_join_room(nullptr, "r", nullptr), 0u);
  EXPECT_EQ(sudachi_mp_create_room(nullptr, nullptr), 0u);
  EXPECT_EQ(sudachi_mp_send(nullptr, "p", nullptr, 0), 0);
  EXPECT_EQ(sudachi_mp_get_peer_stats(nullptr, "p", nullptr), 0);
}

TEST(CApi, CreateAndDestroyWithoutStarting) {
  sudachi_mp_config c = base_config("http://127.0.0.1:1");
  sudachi_mp_client* client = sudachi_mp_create(&c);
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(sudachi_mp_get_state(client), SUDACHI_MP_STATE_OFFLINE);
  sudachi_mp_destroy(client);
}

TEST(CApi, BadConfigFailsStartWithAMessageTheCallerFrees) {
  for (const char* servers : {static_cast<const char*>(nullptr), "gopher://x", "http://h:0"}) {
    sudachi_mp_config c = base_config(servers);
    sudachi_mp_client* client = sudachi_mp_create(&c);
    ASSERT_NE(client, nullptr);
    char* message = nullptr;
    EXPECT_EQ(sudachi_mp_start(client, &message), SUDACHI_MP_INVALID_ARGUMENT);
    ASSERT_NE(message, nullptr);
    EXPECT_GT(std::strlen(message), 0u);
    sudachi_mp_string_free(message);
    sudachi_mp_destroy(client);
  }
}

TEST(CApi, CallsOnAClientNotRunningCompleteWithAnError) {
  sudachi_mp_config c = base_config("http://127.0.0.1:1");
  sudachi_mp_client* client = sudachi_mp_create(&c);
  const uint64_t a = sudachi_mp_join_room(client, "room", "pw");
  const uint64_t b = sudachi_mp_list_rooms(client, nullptr, 0, 10);
  ASSERT_NE(a, 0u);
  ASSERT_NE(b, 0u);
  EXPECT_NE(a, b);
  EXPECT_EQ(sudachi_mp_send(client, "peer", reinterpret_cast<const uint8_t*>("x"), 1), 0);
  Seen seen;
  EXPECT_EQ(sudachi_mp_poll(client, record, nullptr, &seen, 100), 2u);
  ASSERT_EQ(seen.types.size(), 2u);
  EXPECT_EQ(seen.types[0], SUDACHI_MP_EVENT_CALL_DONE);
  EXPECT_EQ(seen.request_ids[0], a);
  EXPECT_EQ(seen.calls[0], SUDACHI_MP_CALL_JOIN_ROOM);
  EXPECT_EQ(seen.codes[0], SUDACHI_MP_INVALID_ARGUMENT);
  EXPECT_FALSE(seen.messages[0].empty());
  EXPECT_EQ(seen.request_ids[1], b);
  EXPECT_EQ(seen.calls[1], SUDACHI_MP_CALL_LIST_ROOMS);
  EXPECT_EQ(sudachi_mp_poll(client, record, nullptr, &seen, 100), 0u);
  sudachi_mp_destroy(client);
}

TEST(CApi, StartsOnceAndStopsCleanlyWhileConnecting) {
  // Port 1 on loopback refuses at once: the client goes through its attempts and gives up.
  sudachi_mp_config c = base_config("http://127.0.0.1:1");
  c.give_up_after_passes = 1;
  c.udp_port = 0;
  sudachi_mp_client* client = sudachi_mp_create(&c);
  ASSERT_EQ(sudachi_mp_start(client, nullptr), SUDACHI_MP_OK);
  char* message = nullptr;
  EXPECT_EQ(sudachi_mp_start(client, &message), SUDACHI_MP_INVALID_ARGUMENT);
  sudachi_mp_string_free(message);

  Seen seen;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline &&
         (seen.states.empty() || seen.states.back() != SUDACHI_MP_STATE_OFFLINE)) {
    sudachi_mp_wait(client, 50);
    sudachi_mp_poll(client, record, nullptr, &seen, 100);
  }
  ASSERT_FALSE(seen.states.empty());
  EXPECT_EQ(seen.types.back(), SUDACHI_MP_EVENT_CONNECTION);
  EXPECT_EQ(seen.states.back(), SUDACHI_MP_STATE_OFFLINE);
  EXPECT_EQ(seen.codes.back(), SUDACHI_MP_UNREACHABLE);
  char id[8] = "x";
  EXPECT_EQ(sudachi_mp_get_client_id(client, id, sizeof id), 0u);
  EXPECT_STREQ(id, "");
  // Stopping twice, then destroying, is fine.
  sudachi_mp_stop(client);
  sudachi_mp_stop(client);
  EXPECT_EQ(sudachi_mp_get_state(client), SUDACHI_MP_STATE_OFFLINE);
  sudachi_mp_destroy(client);
}

struct ThreadSeen {
  std::mutex mutex;
  std::vector<std::thread::id> threads;
  std::atomic<bool> offline{false};
};

void record_thread(void* user, const sudachi_mp_event* e) {
  auto* seen = static_cast<ThreadSeen*>(user);
  std::lock_guard lock(seen->mutex);
  seen->threads.push_back(std::this_thread::get_id());
  if (e->type == SUDACHI_MP_EVENT_CONNECTION && e->state == SUDACHI_MP_STATE_OFFLINE)
    seen->offline = true;
}

TEST(CApi, CallbackModeDeliversOnTheLibraryThread) {
  ThreadSeen seen;
  sudachi_mp_config c = base_config("http://127.0.0.1:1");
  c.give_up_after_passes = 1;
  c.on_event = record_thread;
  c.user = &seen;
  sudachi_mp_client* client = sudachi_mp_create(&c);
  ASSERT_EQ(sudachi_mp_start(client, nullptr), SUDACHI_MP_OK);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!seen.offline && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(seen.offline.load());
  Seen polled;
  EXPECT_EQ(sudachi_mp_poll(client, record, nullptr, &polled, 100), 0u);  // nothing queued
  sudachi_mp_destroy(client);
  std::lock_guard lock(seen.mutex);
  ASSERT_FALSE(seen.threads.empty());
  for (const auto& t : seen.threads) EXPECT_NE(t, std::this_thread::get_id());
}

TEST(CApi, NamesAreStatic) {
  EXPECT_STREQ(sudachi_mp_error_name(SUDACHI_MP_ROOM_FULL), "ROOM_FULL");
  EXPECT_STREQ(sudachi_mp_error_name(SUDACHI_MP_TIMEOUT), "TIMEOUT");
  EXPECT_STREQ(sudachi_mp_error_name(SUDACHI_MP_OK), "");
  EXPECT_STREQ(sudachi_mp_error_name(static_cast<sudachi_mp_error_code>(999)), "UNKNOWN");
  EXPECT_STREQ(sudachi_mp_event_name(SUDACHI_MP_EVENT_PEER_CONNECTED), "peer_connected");
  EXPECT_STREQ(sudachi_mp_event_name(static_cast<sudachi_mp_event_type>(-1)), "unknown");
}

}  // namespace
