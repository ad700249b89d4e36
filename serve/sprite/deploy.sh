#!/usr/bin/env bash
# Deploys the bitbrain server as a service of the Sprite this runs on (Fly.io Sprites):
# builds the serve binary (or takes --binary), installs it and the model under --dir, and
# registers the service with sprite-env, which starts it at boot and restarts it on a crash.
# The Sprite's URL (`sprite url`) then forwards to it. --dry-run prints the exact commands
# and runs none of them.
set -euo pipefail

usage() {
  cat <<USAGE
Usage: serve/sprite/deploy.sh [options]
  --name NAME        service name (default: bitbrain)
  --binary FILE      the serve binary to install (default: build //serve with bazel here)
  --model FILE       the GGUF model to serve (default: download the official 2B4T file,
                     ggml-model-i2_s.gguf from Hugging Face microsoft/bitnet-b1.58-2B-4T-gguf)
  --dir DIR          where to install the binary and the model (default: \$HOME/bitbrain)
  --port PORT        the port the Sprite's URL forwards to (default: 8080)
  --host ADDRESS     the address to listen on (default: 0.0.0.0, see below)
  --threads N        engine threads (default: every core)
  --parallel N       sequences generated together (default: the server's)
  --api-key KEY      require this key from clients (advisable with a public URL)
  --public-url URL   the URL client.py is served with (default: from the request)
  --dry-run          print the commands, run nothing
USAGE
}

die() {
  echo "deploy.sh: error: $*" >&2
  exit 2
}

readonly OFFICIAL_MODEL_URL="https://huggingface.co/microsoft/bitnet-b1.58-2B-4T-gguf/resolve/main/ggml-model-i2_s.gguf"

name=bitbrain binary="" model="" dir="${HOME:-/root}/bitbrain" port=8080 host=0.0.0.0
threads="" parallel="" api_key="" public_url="" dry_run=false
while (($# > 0)); do
  case "$1" in
    --dry-run) dry_run=true; shift; continue ;;
    -h | --help) usage; exit 0 ;;
    --name | --binary | --model | --dir | --port | --host | --threads | --parallel | --api-key | --public-url)
      (($# >= 2)) || die "$1 needs a value"
      value=$2 ;;
    *) usage >&2; die "unknown option '$1'" ;;
  esac
  case "$1" in
    --name) name=$value ;;
    --binary) binary=$(realpath -m -- "$value") ;;
    --model) model=$(realpath -m -- "$value") ;;
    --dir) dir=$(realpath -m -- "$value") ;;
    --port) port=$value ;;
    --host) host=$value ;;
    --threads) threads=$value ;;
    --parallel) parallel=$value ;;
    --api-key) api_key=$value ;;
    --public-url) public_url=$value ;;
  esac
  shift 2
done

[[ "$name" =~ ^[a-z0-9][a-z0-9-]*$ ]] || die "--name '$name': use lowercase letters, digits and '-'"
for number in "$port" ${threads:+"$threads"} ${parallel:+"$parallel"}; do
  [[ "$number" =~ ^[1-9][0-9]*$ ]] || die "'$number' is not a positive whole number"
done
if ! $dry_run; then
  [[ -z "$binary" || -x "$binary" ]] || die "--binary $binary: no such executable"
  [[ -z "$model" || -f "$model" ]] || die "--model $model: no such file"
fi

# Prints a command as a shell would take it (quoting only what needs it), then runs it
# unless --dry-run.
run() {
  local line="+" arg
  for arg in "$@"; do
    if [[ "$arg" =~ ^[A-Za-z0-9_./,:=@%+-]+$ ]]; then
      line+=" $arg"
    else
      line+=" '${arg//\'/\'\\\'\'}'"
    fi
  done
  echo "$line"
  $dry_run || "$@"
}

# Where things go, and the service's command line. sprite-env takes the arguments
# comma-separated, so none may hold a comma. By default the service listens on every
# interface of the VM, which the Sprite's HTTPS proxy forwards to (the VM is reachable only
# through that proxy, and the URL stays private until `sprite url update --auth public`).
installed_binary=$dir/bin/bitbrain-serve
installed_model=$dir/models/$(basename "${model:-ggml-model-i2_s.gguf}")
args=(--model "$installed_model" --host "$host" --port "$port")
[[ -z "$threads" ]] || args+=(--threads "$threads")
[[ -z "$parallel" ]] || args+=(--parallel "$parallel")
[[ -z "$api_key" ]] || args+=(--api-key "$api_key")
[[ -z "$public_url" ]] || args+=(--public-url "$public_url")
for arg in "${args[@]}"; do
  [[ "$arg" != *,* ]] || die "'$arg' holds a comma, which sprite-env's --args cannot carry"
done
joined_args=$(IFS=,; echo "${args[*]}")

# 1. The binary.
if [[ -z "$binary" ]]; then
  run cd "$(realpath "$(dirname "$0")/../..")"  # the repository
  run bazel build //serve
  binary=.bazel/bin/serve/serve
fi
run mkdir -p "$dir/bin" "$dir/models"
run install -m 0755 "$binary" "$installed_binary"

# 2. The model, downloaded once. The server maps it rather than reading it, so a cold start
# is quick whatever its size.
if [[ -n "$model" ]]; then
  [[ "$model" == "$installed_model" ]] || run cp --reflink=auto "$model" "$installed_model"
elif [[ ! -f "$installed_model" ]]; then
  run curl -fL --retry 3 -o "$installed_model.part" "$OFFICIAL_MODEL_URL"
  run mv "$installed_model.part" "$installed_model"
fi

# 3. The service.
# Deploying again replaces the service.
if command -v sprite-env >/dev/null 2>&1 && sprite-env services get "$name" >/dev/null 2>&1; then
  run sprite-env services delete "$name"
fi
run sprite-env services create "$name" --cmd "$installed_binary" --args "$joined_args" --http-port "$port"

if ! $dry_run; then
  echo "deploy.sh: service '$name' registered; it answers on the Sprite's URL (sprite url)."
  echo "deploy.sh: check it with: sprite-env services get $name; curl http://localhost:$port/health"
fi
