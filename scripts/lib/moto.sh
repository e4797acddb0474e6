# A local emulator of SQS (and KMS) for the tests: moto's server (`moto[server]` from PyPI),
# installed once into a virtualenv in the cache and run on a free loopback port. ElasticMQ and
# local-kms ship from places this machine cannot reach; moto serves both on one port with any
# credentials (see ../shared/TOOLCHAIN.md). Lambda's SQS event source mapping is not emulated:
# the tests drive the handler with SQS event JSON, and the enqueue side against moto.
# Sourced by scripts/test. Needs: python3 with venv and pip, curl.

MOTO_REQUIREMENTS="moto[server]==5.2.5"

moto_install() {
    MOTO_VENV="$CACHE_DIR/moto-venv"
    venv_install "$MOTO_VENV" "$MOTO_REQUIREMENTS"
}

# Starts moto on a free loopback port and points the SDK's SQS and KMS endpoints at it.
# Fails (non-zero) if it does not answer within 60 s.
moto_start() {
    moto_install || return 1
    local port
    port=$(free_port)
    MOTO_LOG="$CACHE_DIR/moto.log"
    "$MOTO_VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$MOTO_LOG" 2>&1 &
    MOTO_PID=$!
    wait_for_http "http://127.0.0.1:$port/moto-api/" "$MOTO_PID" "moto" "$MOTO_LOG" || return 1
    export AWS_ENDPOINT_URL_SQS="http://127.0.0.1:$port" AWS_ENDPOINT_URL_KMS="http://127.0.0.1:$port"
    # Tests that need the emulator fail, rather than skip, when it is missing.
    export BOOKING_TRACKER_REQUIRE_MOTO=1
    echo "moto (SQS, KMS) listening on http://127.0.0.1:$port (pid $MOTO_PID)" >&2
}

moto_stop() {
    if [ -n "${MOTO_PID:-}" ]; then
        kill "$MOTO_PID" 2>/dev/null || true
        wait "$MOTO_PID" 2>/dev/null || true
        MOTO_PID=
    fi
}
