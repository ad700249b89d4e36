#!/usr/bin/env bash
# deploy.sh: the exact commands of --dry-run, a real run against a stand-in sprite-env that
# records its arguments, and clear errors for bad options.
set -euo pipefail
deploy=$(realpath "$1")
work=${TEST_TMPDIR:-$(mktemp -d)}
failures=0

# expect_output NAME EXPECTED COMMAND...: COMMAND prints exactly EXPECTED and succeeds.
expect_output() {
  local name=$1 expected=$2 actual
  shift 2
  if ! actual=$("$@" 2>&1); then
    echo "FAIL $name: exited with status $?: $actual"
    failures=$((failures + 1))
  elif [[ "$actual" != "$expected" ]]; then
    echo "FAIL $name"
    diff <(echo "$expected") <(echo "$actual") || true
    failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}

# expect_error NAME MESSAGE COMMAND...: COMMAND fails with status 2, saying MESSAGE.
expect_error() {
  local name=$1 message=$2 actual status=0
  shift 2
  actual=$("$@" 2>&1) || status=$?
  if [[ $status -ne 2 || "$actual" != *"$message"* ]]; then
    echo "FAIL $name: status $status, output: $actual"
    failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}

expect_output "dry run with a binary and a model" "\
+ mkdir -p /srv/bb/bin /srv/bb/models
+ install -m 0755 /build/serve /srv/bb/bin/bitbrain-serve
+ cp --reflink=auto /downloads/ggml-model-i2_s.gguf /srv/bb/models/ggml-model-i2_s.gguf
+ sprite-env services create bb --cmd /srv/bb/bin/bitbrain-serve --args --model,/srv/bb/models/ggml-model-i2_s.gguf,--host,0.0.0.0,--port,8080,--threads,8,--parallel,4,--api-key,s3cret --http-port 8080" \
  "$deploy" --dry-run --name bb --binary /build/serve --model /downloads/ggml-model-i2_s.gguf \
  --dir /srv/bb --threads 8 --parallel 4 --api-key s3cret

repository=$(realpath "$(dirname "$deploy")/../..")
expect_output "dry run that builds the binary and downloads the official model" "\
+ cd $repository
+ bazel build //serve
+ mkdir -p /srv/bitbrain/bin /srv/bitbrain/models
+ install -m 0755 .bazel/bin/serve/serve /srv/bitbrain/bin/bitbrain-serve
+ curl -fL --retry 3 -o /srv/bitbrain/models/ggml-model-i2_s.gguf.part https://huggingface.co/microsoft/bitnet-b1.58-2B-4T-gguf/resolve/main/ggml-model-i2_s.gguf
+ mv /srv/bitbrain/models/ggml-model-i2_s.gguf.part /srv/bitbrain/models/ggml-model-i2_s.gguf
+ sprite-env services create bitbrain --cmd /srv/bitbrain/bin/bitbrain-serve --args --model,/srv/bitbrain/models/ggml-model-i2_s.gguf,--host,0.0.0.0,--port,9000,--public-url,https://bb-x1.sprites.app --http-port 9000" \
  "$deploy" --dry-run --dir /srv/bitbrain --port 9000 --public-url https://bb-x1.sprites.app

expect_output "dry run quotes what the shell would need quoted" "\
+ mkdir -p /srv/bb/bin /srv/bb/models
+ install -m 0755 /build/serve /srv/bb/bin/bitbrain-serve
+ cp --reflink=auto '/my models/it'\\''s.gguf' '/srv/bb/models/it'\\''s.gguf'
+ sprite-env services create bitbrain --cmd /srv/bb/bin/bitbrain-serve --args '--model,/srv/bb/models/it'\\''s.gguf,--host,0.0.0.0,--port,8080' --http-port 8080" \
  "$deploy" --dry-run --binary /build/serve --model "/my models/it's.gguf" --dir /srv/bb

expect_output "dry run listening on another address" "\
+ mkdir -p /srv/bb/bin /srv/bb/models
+ install -m 0755 /build/serve /srv/bb/bin/bitbrain-serve
+ sprite-env services create bitbrain --cmd /srv/bb/bin/bitbrain-serve --args --model,/srv/bb/models/m.gguf,--host,127.0.0.1,--port,8080 --http-port 8080" \
  "$deploy" --dry-run --binary /build/serve --model /srv/bb/models/m.gguf --dir /srv/bb --host 127.0.0.1

# A real run: files land under --dir and sprite-env (a stand-in recording its arguments, one
# per line) is asked to replace the existing service.
mkdir -p "$work/bin" "$work/downloads"
cat > "$work/bin/sprite-env" <<STANDIN
#!/bin/sh
printf '%s\n' "\$@" >> "$work/sprite-env-calls"
echo >> "$work/sprite-env-calls"
STANDIN
chmod +x "$work/bin/sprite-env"
printf '#!/bin/sh\n' > "$work/downloads/serve" && chmod +x "$work/downloads/serve"
echo "model bytes" > "$work/downloads/model.gguf"
PATH="$work/bin:$PATH" "$deploy" --binary "$work/downloads/serve" --model "$work/downloads/model.gguf" \
  --dir "$work/install" > "$work/deploy.log"
expect_output "a real run installs the binary" "" cmp "$work/downloads/serve" "$work/install/bin/bitbrain-serve"
expect_output "a real run installs the model" "" cmp "$work/downloads/model.gguf" "$work/install/models/model.gguf"
expect_output "a real run replaces the service" "\
services
get
bitbrain

services
delete
bitbrain

services
create
bitbrain
--cmd
$work/install/bin/bitbrain-serve
--args
--model,$work/install/models/model.gguf,--host,0.0.0.0,--port,8080
--http-port
8080" cat "$work/sprite-env-calls"

expect_error "an unknown option" "unknown option '--bogus'" "$deploy" --dry-run --bogus
expect_error "an option without its value" "--model needs a value" "$deploy" --dry-run --model
expect_error "a port that is not a number" "'80x' is not a positive whole number" "$deploy" --dry-run --port 80x
expect_error "a comma sprite-env cannot carry" "holds a comma" "$deploy" --dry-run --public-url https://a,b
expect_error "a missing binary" "no such executable" "$deploy" --binary "$work/nothing" --model "$work/downloads/model.gguf"
expect_error "a missing model" "no such file" "$deploy" --binary "$work/downloads/serve" --model "$work/nothing.gguf"

if ((failures > 0)); then
  echo "$failures check(s) failed"
  exit 1
fi
