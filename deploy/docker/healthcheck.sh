#!/bin/bash
# Container HEALTHCHECK without curl: GET /health over bash's /dev/tcp, healthy on HTTP 200.
#   sudachi-healthcheck room    -> 127.0.0.1:${PORT:-8080}/health
#   sudachi-healthcheck relay   -> 127.0.0.1:${ADMIN_PORT:-9478}/health
#   sudachi-healthcheck         -> the role in $SUDACHI_ROLE (default room)
# /health is liveness (the process answers); readiness (/ready) is for load balancers.
set -u
role=${1:-${SUDACHI_ROLE:-room}}
case "$role" in
  room) port=${PORT:-8080} ;;
  relay) port=${ADMIN_PORT:-9478} ;;
  *) echo "unknown role: $role" >&2; exit 2 ;;
esac
# The servers listen on HOST/BIND; 0.0.0.0 (the images' default) answers on loopback.
exec 3<>"/dev/tcp/127.0.0.1/${port}" || exit 1
printf 'GET /health HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3
IFS= read -r -t 3 status <&3 || exit 1
exec 3<&- 3>&-
case "$status" in
  "HTTP/1."?" 200"*) exit 0 ;;
  *) echo "unhealthy: ${status}" >&2; exit 1 ;;
esac
