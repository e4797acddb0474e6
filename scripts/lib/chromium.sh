# Headless Chromium for the dashboard's browser tests (cli/tests/dashboard.rs): Debian's
# `chromium` package, installed once when missing (apt keeps it outside the checkout).
# Sourced by scripts/test. Needs: apt-get, as root or through sudo.

chromium_install() {
    if command -v chromium >/dev/null 2>&1; then
        return 0
    fi
    echo "installing chromium (Debian package) for the dashboard's browser tests" >&2
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    # A fresh machine may have no package lists yet: update once if the first try fails.
    "${sudo[@]}" apt-get install -y -q chromium >&2 ||
        { "${sudo[@]}" apt-get update -q >&2 && "${sudo[@]}" apt-get install -y -q chromium >&2; } ||
        return 1
    command -v chromium >/dev/null 2>&1 || { echo "chromium is still missing" >&2; return 1; }
}
