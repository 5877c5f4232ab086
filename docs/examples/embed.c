/* The same in C: host or join, and count what arrives. */
#include <stdio.h>
#include <sudachi/mp.h>
#include <unistd.h>

static void on_event(void* user, const sudachi_mp_event* e) {
  sudachi_mp_client* client = user;
  if (e->type == SUDACHI_MP_EVENT_PEER_CONNECTED) {
    printf("peer %s connected\n", e->peer_id);
    sudachi_mp_send(client, e->peer_id, (const uint8_t*)"hello", 5);
  }
  if (e->error_code != SUDACHI_MP_OK)
    printf("%s: %s\n", sudachi_mp_error_name(e->error_code), e->error_message);
}

static void on_datagram(void* user, const char* peer, const uint8_t* data, size_t size) {
  (void)user, (void)data;
  printf("%zu bytes from %s\n", size, peer);
}

int main(int argc, char** argv) {
  sudachi_mp_config config;
  sudachi_mp_config_init(&config);
  config.servers = "http://127.0.0.1:8080";
  config.username = "embedder";
  sudachi_mp_client* client = sudachi_mp_create(&config);
  char* error = NULL;
  if (sudachi_mp_start(client, &error) != SUDACHI_MP_OK) {
    fprintf(stderr, "%s\n", error);
    sudachi_mp_string_free(error);
    sudachi_mp_destroy(client);
    return 1;
  }
  if (argc > 1) {
    sudachi_mp_join_room(client, argv[1], NULL);
  } else {
    sudachi_mp_create_room_options room = {"0100000000010000", NULL, "my room", 4, NULL, 1, NULL};
    sudachi_mp_create_room(client, &room);
  }
  for (int frame = 0; frame < 60 * 60; ++frame) {
    sudachi_mp_poll(client, on_event, on_datagram, client, 256);
    usleep(16000);
  }
  sudachi_mp_destroy(client);
  return 0;
}
