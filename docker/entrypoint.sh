#!/bin/sh
# Start as root only long enough to choose who runs the command, then drop root for good.
#
# - The generator writing into a mounted $HOST_OUTPUT_DIR runs as the folder's owner, so
#   `docker run -v ~/docker-output:/host ...` works whoever owns that folder on the host,
#   and the files it writes belong to them (a folder Docker created itself is root's).
# - Everything else, the server first, runs as the unprivileged app user.
# Started with --user already, it runs the command as that user unchanged.
set -eu

APP_USER="${CLAIMS_RECON_APP_UID:-10001}:${CLAIMS_RECON_APP_GID:-10001}"

if [ "$(id -u)" != "0" ]; then
    exec "$@"
fi

target="$APP_USER"
if [ -n "${HOST_OUTPUT_DIR:-}" ] && [ -d "$HOST_OUTPUT_DIR" ]; then
    target="$(stat -c '%u:%g' "$HOST_OUTPUT_DIR")"
fi
if [ "$target" = "0:0" ]; then
    exec "$@"
fi
exec setpriv --reuid="${target%%:*}" --regid="${target##*:}" --clear-groups -- "$@"
