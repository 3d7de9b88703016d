#!/usr/bin/env bash
# The demo: a jail on the host's own base with three services from this
# directory, one of them a web server on a reserved port. Runs as root,
# downloads nothing, and removes everything it made when it ends.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "demo: run as root (sudo make demo)" >&2; exit 1; }

state=$(mktemp -d /tmp/jails-demo.XXXXXX)
jailctl() { bin/jailctl --state-dir "$state" "$@"; }
cleanup() { jailctl stop demo >/dev/null 2>&1 || true; rm -rf "$state"; }
trap cleanup EXIT
step() { printf '\n\033[1m$ jailctl %s\033[0m\n' "$*"; jailctl "$@"; }

CGO_ENABLED=0 go build -o bin/hello-web ./services/examples/hello-web
svc=$(mktemp -d /tmp/jails-demo-services.XXXXXX)
cp -a services/examples/config services/examples/web services/examples/ticker "$svc/"
trap 'cleanup; rm -rf "$svc"' EXIT

step create demo --services "$svc" --port 18080 --mount "$PWD/bin/hello-web:/opt/demo/hello-web:ro"
step start demo
step list
step status demo
step exec demo -- sh -c 'echo "hostname: $(hostname)"; echo "PID 1: $(cat /proc/1/comm)"; echo "processes:"; for p in /proc/[0-9]*; do printf "  %s %s\n" "${p#/proc/}" "$(cat $p/comm)"; done'

printf '\n\033[1m$ GET http://127.0.0.1:18080/ (from the host)\033[0m\n'
exec 3<>/dev/tcp/127.0.0.1/18080
printf 'GET / HTTP/1.0\r\nHost: demo\r\n\r\n' >&3
cat <&3
exec 3<&-

step logs demo -n 8
step stats demo

step stop demo
step list
