/* libsudachi-mp, C API: the same library as <sudachi/mp.hpp>, for front ends in other
 * languages (JNI on Android, C#, Rust). Opaque handles, plain structs, no exceptions across
 * this boundary, no allocation the caller must free except where a function says so.
 *
 * Threading is that of the C++ API: every function may be called from any thread; events and
 * datagrams arrive either through sudachi_mp_poll() on the calling thread, or, when the config
 * names callbacks, on the library's own thread. Pointers inside an event are valid only during
 * the callback that receives it.
 *
 * Calls (create, join, ...) return a request id at once (never 0); their outcome is an event
 * of type SUDACHI_MP_EVENT_CALL_DONE with that id. docs/client.md has an example. */
#ifndef SUDACHI_MP_H
#define SUDACHI_MP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sudachi_mp_client sudachi_mp_client;

/* The same codes, in the same order, as sudachi::mp::ErrorCode. */
typedef enum sudachi_mp_error_code {
  SUDACHI_MP_OK = 0,
  SUDACHI_MP_AUTH_FAILED,
  SUDACHI_MP_RATE_LIMITED,
  SUDACHI_MP_INVALID_REQUEST,
  SUDACHI_MP_ROOM_NOT_FOUND,
  SUDACHI_MP_ROOM_FULL,
  SUDACHI_MP_WRONG_PASSWORD,
  SUDACHI_MP_NOT_HOST,
  SUDACHI_MP_NOT_IN_ROOM,
  SUDACHI_MP_ALREADY_IN_ROOM,
  SUDACHI_MP_BANNED,
  SUDACHI_MP_NO_RELAY_AVAILABLE,
  SUDACHI_MP_UNAVAILABLE,
  SUDACHI_MP_INTERNAL,
  SUDACHI_MP_TIMEOUT,
  SUDACHI_MP_DISCONNECTED,
  SUDACHI_MP_UNREACHABLE,
  SUDACHI_MP_PROTOCOL_ERROR,
  SUDACHI_MP_INVALID_ARGUMENT,
  SUDACHI_MP_ROOM_LOST,
  SUDACHI_MP_UNKNOWN
} sudachi_mp_error_code;

typedef enum sudachi_mp_state {
  SUDACHI_MP_STATE_CONNECTING = 0,
  SUDACHI_MP_STATE_CONNECTED,
  SUDACHI_MP_STATE_RECONNECTING,
  SUDACHI_MP_STATE_OFFLINE
} sudachi_mp_state;

typedef enum sudachi_mp_path {
  SUDACHI_MP_PATH_NONE = 0,
  SUDACHI_MP_PATH_DIRECT,
  SUDACHI_MP_PATH_RELAY
} sudachi_mp_path;

/* The same types, in the same order, as sudachi::mp::EventType (fields per type there). */
typedef enum sudachi_mp_event_type {
  SUDACHI_MP_EVENT_CONNECTION = 0,
  SUDACHI_MP_EVENT_ROOM_JOINED,
  SUDACHI_MP_EVENT_ROOM_LEFT,
  SUDACHI_MP_EVENT_ROOM_UPDATED,
  SUDACHI_MP_EVENT_MEMBER_JOINED,
  SUDACHI_MP_EVENT_MEMBER_LEFT,
  SUDACHI_MP_EVENT_HOST_CHANGED,
  SUDACHI_MP_EVENT_CHAT,
  SUDACHI_MP_EVENT_LOBBY_UPDATE,
  SUDACHI_MP_EVENT_PEER_CONNECTED,
  SUDACHI_MP_EVENT_PEER_PATH_CHANGED,
  SUDACHI_MP_EVENT_PEER_DISCONNECTED,
  SUDACHI_MP_EVENT_PEER_FAILED,
  SUDACHI_MP_EVENT_CALL_DONE,
  SUDACHI_MP_EVENT_ERROR
} sudachi_mp_event_type;

typedef enum sudachi_mp_call {
  SUDACHI_MP_CALL_NONE = 0,
  SUDACHI_MP_CALL_LIST_ROOMS,
  SUDACHI_MP_CALL_CREATE_ROOM,
  SUDACHI_MP_CALL_JOIN_ROOM,
  SUDACHI_MP_CALL_LEAVE_ROOM,
  SUDACHI_MP_CALL_CLOSE_ROOM,
  SUDACHI_MP_CALL_KICK,
  SUDACHI_MP_CALL_UPDATE_ROOM,
  SUDACHI_MP_CALL_CHAT,
  SUDACHI_MP_CALL_SUBSCRIBE_LOBBY,
  SUDACHI_MP_CALL_UNSUBSCRIBE_LOBBY
} sudachi_mp_call;

typedef struct sudachi_mp_room {
  const char* id;
  const char* game_id;
  const char* game_name;
  const char* name;
  const char* host_client_id;
  const char* host_username;
  int max_players;
  int players;
  int has_password;
  int is_public;
  const char* region;
  int64_t created_at_ms;
} sudachi_mp_room;

typedef struct sudachi_mp_member {
  const char* client_id;
  const char* username;
  const char* platform;
  int64_t joined_at_ms;
} sudachi_mp_member;

typedef struct sudachi_mp_event {
  sudachi_mp_event_type type;
  sudachi_mp_state state;
  const char* server;
  const char* client_id;
  const char* room_id;
  const char* reason;
  int resumed;
  const sudachi_mp_room* room;      /* NULL when the event has none */
  const sudachi_mp_member* members; /* member_count entries */
  size_t member_count;
  const sudachi_mp_member* member; /* NULL when the event has none */
  const sudachi_mp_room* rooms;    /* room_count entries (list_rooms) */
  size_t room_count;
  int total;
  const char* username;
  const char* text;
  int64_t at_ms;
  const char* peer_id;
  sudachi_mp_path path;
  int64_t connect_ms;
  uint64_t request_id;
  sudachi_mp_call call;
  sudachi_mp_error_code error_code; /* SUDACHI_MP_OK when no error */
  const char* error_message;
  int retry_after_s;
} sudachi_mp_event;

typedef void (*sudachi_mp_event_fn)(void* user, const sudachi_mp_event* event);
typedef void (*sudachi_mp_datagram_fn)(void* user, const char* peer_id, const uint8_t* data,
                                       size_t size);

typedef struct sudachi_mp_config {
  const char* servers; /* required: URLs, comma-separated, in order of preference */
  const char* token;   /* NULL or "": guest sign-up as `username` */
  const char* username;
  const char* platform;
  const char* sudachi_version;
  const char* ca_file; /* NULL: the system trust store only */
  uint32_t connect_timeout_ms;
  uint32_t call_timeout_ms;
  uint32_t reconnect_initial_ms;
  uint32_t reconnect_max_ms;
  uint32_t room_restore_window_ms;
  uint32_t direct_timeout_ms;
  uint32_t metrics_report_interval_ms; /* 0: never (sudachi_mp_config_init sets the default) */
  int give_up_after_passes;            /* 0: retry for ever */
  uint16_t udp_port;                   /* 0: any */
  int disable_direct;                  /* non-zero: relay only */
  uint64_t seed;                       /* 0: from the system */
  size_t max_queued_datagrams;
  /* Set on_event (and on_datagram) to receive everything on the library's thread instead of
   * through sudachi_mp_poll(). */
  sudachi_mp_event_fn on_event;
  sudachi_mp_datagram_fn on_datagram;
  void* user;
} sudachi_mp_config;

typedef struct sudachi_mp_create_room_options {
  const char* game_id;   /* 16 hex digits */
  const char* game_name; /* NULL: none */
  const char* name;
  int max_players;
  const char* password; /* NULL or "": none */
  int is_public;
  const char* region; /* NULL: the server's */
} sudachi_mp_create_room_options;

typedef struct sudachi_mp_peer_stats {
  sudachi_mp_path path;
  double rtt_ms;
  double loss;
  uint64_t bytes_sent;
  uint64_t bytes_received;
  uint64_t datagrams_sent;
  uint64_t datagrams_received;
  int64_t connect_ms;
} sudachi_mp_peer_stats;

/* The defaults of the C++ ClientConfig; strings NULL. */
void sudachi_mp_config_init(sudachi_mp_config* config);

/* NULL when `config` is NULL. The config's strings are copied. */
sudachi_mp_client* sudachi_mp_create(const sudachi_mp_config* config);
/* Starts the library thread and begins connecting. On failure, and when `error_message` is
 * not NULL, *error_message receives a message to free with sudachi_mp_string_free(). */
sudachi_mp_error_code sudachi_mp_start(sudachi_mp_client* client, char** error_message);
/* Leaves the room and stops (bounded); idempotent. */
void sudachi_mp_stop(sudachi_mp_client* client);
/* Stops and frees; NULL is accepted. */
void sudachi_mp_destroy(sudachi_mp_client* client);
void sudachi_mp_string_free(char* text);

/* Hands up to max_items queued events and datagrams to the functions (either may be NULL:
 * that kind is then dropped); never blocks. Returns how many were handed out. */
size_t sudachi_mp_poll(sudachi_mp_client* client, sudachi_mp_event_fn on_event,
                       sudachi_mp_datagram_fn on_datagram, void* user, size_t max_items);
/* Blocks until there is something to poll (1) or timeout_ms passed (0). */
int sudachi_mp_wait(sudachi_mp_client* client, uint32_t timeout_ms);

sudachi_mp_state sudachi_mp_get_state(const sudachi_mp_client* client);
/* Copies the client id (NUL-terminated, truncated to size - 1) into buffer; returns the length
 * of the whole id (0 before the first connection), like snprintf. */
size_t sudachi_mp_get_client_id(const sudachi_mp_client* client, char* buffer, size_t size);

uint64_t sudachi_mp_list_rooms(sudachi_mp_client* client, const char* game_id, int offset,
                               int limit);
uint64_t sudachi_mp_create_room(sudachi_mp_client* client,
                                const sudachi_mp_create_room_options* options);
uint64_t sudachi_mp_join_room(sudachi_mp_client* client, const char* room_id, const char* password);
uint64_t sudachi_mp_leave_room(sudachi_mp_client* client);
uint64_t sudachi_mp_close_room(sudachi_mp_client* client);
uint64_t sudachi_mp_kick(sudachi_mp_client* client, const char* client_id);
/* NULL / 0 / -1 keep a setting; password "" removes it; is_public: 0 private, 1 public. */
uint64_t sudachi_mp_update_room(sudachi_mp_client* client, const char* name, int max_players,
                                const char* password, int is_public);
uint64_t sudachi_mp_send_chat(sudachi_mp_client* client, const char* text);
uint64_t sudachi_mp_subscribe_lobby(sudachi_mp_client* client, const char* game_id);
uint64_t sudachi_mp_unsubscribe_lobby(sudachi_mp_client* client);

/* Datagrams of at most 1200 bytes: 1 when accepted, 0 when refused at once. */
int sudachi_mp_send(sudachi_mp_client* client, const char* peer_id, const uint8_t* data,
                    size_t size);
int sudachi_mp_broadcast(sudachi_mp_client* client, const uint8_t* data, size_t size);
/* 1 and *out filled when the peer is known, else 0. */
int sudachi_mp_get_peer_stats(sudachi_mp_client* client, const char* peer_id,
                              sudachi_mp_peer_stats* out);

/* Static strings: "ROOM_FULL", "peer_connected", ... */
const char* sudachi_mp_error_name(sudachi_mp_error_code code);
const char* sudachi_mp_event_name(sudachi_mp_event_type type);

#ifdef __cplusplus
}
#endif

#endif /* SUDACHI_MP_H */
