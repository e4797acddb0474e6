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

# Waits until URL answers, while the process PID runs; on failure prints NAME's LOG. 60 s at most.
wait_for_http() {
    local url=$1 pid=$2 name=$3 log=$4
    local deadline=$((SECONDS + 60))
    until curl -s -o /dev/null "$url"; do
        if ! kill -0 "$pid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
            echo "$name did not start at $url; its log:" >&2
            cat "$log" >&2
            return 1
        fi
        sleep 0.2
    done
}

# Installs pinned PyPI REQUIREMENTS (space-separated) into the virtualenv DIR once; a stamp file
# records what is installed, so a changed pin reinstalls.
venv_install() {
    local dir=$1 requirements=$2
    local stamp="$dir/.installed"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$requirements" ]; then
        echo "installing $requirements into $dir" >&2
        python3 -m venv "$dir" || return 1
        # shellcheck disable=SC2086
        "$dir/bin/pip" install --quiet --disable-pip-version-check $requirements >&2 || return 1
        echo "$requirements" > "$stamp"
    fi
}

# Drops what the shared target directory has not read for a while: the artifacts of other
# checkouts (every clone path hashes its own) and of dependency versions no longer used, and
# incremental caches no build has opened for two days. What is still used is read by every
# build, so it stays (the file system keeps access times, relatime).
prune_target() {
    local target=$CARGO_TARGET_DIR
    [ -d "$target" ] || return 0
    find "$target" -mindepth 3 -maxdepth 3 -path '*/incremental/*' -type d -atime +2 \
        -exec rm -rf {} + 2>/dev/null || true
    find "$target" -path '*/deps/*' -type f -atime +7 -delete 2>/dev/null || true
    du -sh "$target" 2>/dev/null | sed 's/^/target directory: /' || true
}
