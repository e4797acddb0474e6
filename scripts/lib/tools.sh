# Python tools the checks use, pinned, installed once into a virtualenv in the cache:
# AWS SAM CLI, cfn-lint below 1.54 (later versions stop running the real SAM transform and miss
# errors such as `rate(1 hours)`), and cargo-lambda (with zig, for Lambda builds).
# Sourced by scripts/test. Needs: python3 with venv and pip.

TOOLS_REQUIREMENTS="aws-sam-cli==1.170.0 cfn-lint==1.53.3 cargo-lambda==1.9.2"

tools_install() {
    TOOLS_VENV="$CACHE_DIR/tools-venv"
    venv_install "$TOOLS_VENV" "$TOOLS_REQUIREMENTS" || return 1
    export PATH="$TOOLS_VENV/bin:$PATH"
}

# Validates template.yaml with SAM's own linter and with cfn-lint (which applies the SAM
# transform first). Offline; no AWS credentials needed.
template_check() {
    SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}" sam validate --lint --template template.yaml
    cfn-lint template.yaml
}

LAMBDA_FUNCTIONS=(calcom-webhook calendly-webhook metrics sync)

# Release builds of the four functions for Lambda's arm64 (Graviton), as `sam build` makes them,
# with each bootstrap's size and its size zipped (what is uploaded).
lambda_build() {
    if ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
        rustup target add aarch64-unknown-linux-gnu
    fi
    local packages=()
    for function in "${LAMBDA_FUNCTIONS[@]}"; do packages+=(-p "$function"); done
    cargo lambda build --release --arm64 --locked "${packages[@]}"
    for function in "${LAMBDA_FUNCTIONS[@]}"; do
        python3 - "$function" "$CARGO_TARGET_DIR/lambda/$function/bootstrap" <<'PY'
import io, os, sys, zipfile
name, path = sys.argv[1], sys.argv[2]
zipped = io.BytesIO()
with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    z.write(path, "bootstrap")
print(f"{name:18} {os.path.getsize(path) / 1e6:5.1f} MB, zipped {len(zipped.getvalue()) / 1e6:4.1f} MB")
PY
    done
}
