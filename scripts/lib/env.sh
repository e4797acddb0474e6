# Where the scripts cache downloads, tools and the cargo target directory: outside the checkout,
# so a fresh clone builds warm after the first run. Sourced by the scripts; run from the root.

CACHE_DIR="${BOOKING_TRACKER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/booking-tracker}"
mkdir -p "$CACHE_DIR"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE_DIR/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-auto}"

step() { printf '\n==> %s\n' "$*"; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
