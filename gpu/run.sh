#!/usr/bin/env bash
# Runs the GPU bundle (built by `npm run gpu:bundle`, see docs/gpu.md) on a bare Linux x86-64
# machine: unpacks Node and the app, finds Vulkan and the NVIDIA ICD, then runs, each as its own
# step whose failure is recorded and never stops the rest:
#   parity    one decoder step (and a 4-step sample) on wasm and on WebGPU, max abs diff
#   bench     npm run bench -- --json on WebGPU
#   train     MINUTES of decoder training on WebGPU (--init-from weights/decoder --no-export)
#   train-cpu two minutes of the same training on wasm (batch 32), the CPU figure of the same run
# Results go to $OUT (else ./gpu-out): summary.json, log.txt and the checkpoint as ≤15 MiB parts
# (join them: cat checkpoint-decoder.tar.xz.part-* | tar -xJf -).
#
#   MINUTES=5 BATCH=256 ./run.sh        DRY=1 ./run.sh (wasm only, 3 training steps, short bench)
# The weights and the corpus come from the bundle when it carries them, else from the current
# folder (the repository root, where the device tool runs commands).
set -u
BUNDLE=$(cd "$(dirname "$0")" && pwd)
REPO=$(pwd)
DRY=${DRY:-0}; [ "${1:-}" = "--dry" ] && DRY=1
MINUTES=${MINUTES:-5}
BATCH=${BATCH:-256}
OUTDIR=${OUT:-$REPO/gpu-out}
WORK=${UNCLIP_GPU_WORK:-$(mktemp -d /tmp/unclip-gpu.XXXXXX)}
mkdir -p "$OUTDIR" "$WORK"
# the bundle carries the corpus cache, not the icon packages it was rendered from
export UNCLIP_CORPUS_CACHE_ONLY=1
LOG=$OUTDIR/log.txt
: >"$LOG"
STEPS=""
say() { echo "[run.sh] $*" | tee -a "$LOG" >&2; }

# step NAME CMD...: runs CMD with its output in $WORK/NAME.out, appends it to the log, records
# {status, rc, seconds} for the summary.
step() {
  local name=$1; shift
  local t0=$SECONDS rc status
  say "step $name: $*"
  "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"; rc=$?
  { echo "--- $name stdout"; tail -c 20000 "$WORK/$name.out"; echo "--- $name stderr"; tail -c 20000 "$WORK/$name.err"; } >>"$LOG"
  status=ok; [ $rc -ne 0 ] && status=failed
  STEPS="$STEPS${STEPS:+,}\"$name\":{\"status\":\"$status\",\"rc\":$rc,\"seconds\":$((SECONDS - t0))}"
  say "step $name: $status (rc $rc, $((SECONDS - t0)) s)"
  return $rc
}
skip() { STEPS="$STEPS${STEPS:+,}\"$1\":{\"status\":\"skipped\",\"why\":\"$2\"}"; say "step $1 skipped: $2"; }
# The last line of a step's stdout when it is a JSON object, else null.
last_json() { local l; l=$(tail -n 1 "$WORK/$1.out" 2>/dev/null); case "$l" in \{*\}) echo "$l" ;; *) echo null ;; esac; }

unxz_to() { # FILE.xz DEST: xz where the machine has it, else Python's lzma
  if command -v xz >/dev/null; then xz -dc "$1" >"$2"
  else python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],"wb"))' "$1" "$2"; fi
}
untar_xz() { # FILE.tar.xz DIR
  if command -v xz >/dev/null; then tar -xJf "$1" -C "$2"
  else python3 -c 'import tarfile,sys; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$1" "$2"; fi
}

unpack() {
  mkdir -p "$WORK/bin" && unxz_to "$BUNDLE/node.xz" "$WORK/bin/node" && chmod +x "$WORK/bin/node" || return 1
  untar_xz "$BUNDLE/app.tar.xz" "$WORK" || return 1
  unxz_to "$BUNDLE/dawn.node.xz" "$WORK/app/node_modules/webgpu/dist/linux-x64/dawn.node" || return 1
  local part
  for part in weights corpus; do [ -f "$BUNDLE/$part.tar.xz" ] && { untar_xz "$BUNDLE/$part.tar.xz" "$WORK/app" || return 1; }; done
  [ -d "$WORK/app/weights" ] || ln -s "$REPO/weights" "$WORK/app/weights"
  mkdir -p "$WORK/app/data/cache"
  local f
  for f in corpus-32-v1.bin corpus-32-v1.json $(cd "$REPO/data/cache" 2>/dev/null && ls clip-image-emb-* 2>/dev/null); do
    [ -e "$WORK/app/data/cache/$f" ] || [ ! -f "$REPO/data/cache/$f" ] || ln -s "$REPO/data/cache/$f" "$WORK/app/data/cache/$f"
  done
  "$WORK/bin/node" --version
}

vulkan() { # the loader where the machine lacks one, and the NVIDIA ICD where the loader's path has none
  local libs; libs=$(ldconfig -p 2>/dev/null)
  if ! grep -q 'libvulkan.so.1' <<<"$libs" || ! grep -q 'libGLdispatch.so.0' <<<"$libs"; then
    local deb
    for deb in "$BUNDLE"/vulkan/*.deb; do [ -f "$deb" ] && dpkg-deb -x "$deb" "$WORK/vk"; done
    [ -d "$WORK/vk" ] || { echo "no libvulkan.so.1 here and none in the bundle"; return 1; }
    echo "unpacked the bundle's Vulkan loader and GL dispatch libraries"
    ls "$WORK/vk/usr/lib/x86_64-linux-gnu"
    export LD_LIBRARY_PATH="$WORK/vk/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  fi
  if ! ls /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json >/dev/null 2>&1; then
    local icd
    icd=$(find /usr/local/nvidia /usr/lib* /usr/share /etc -name 'nvidia_icd*.json' 2>/dev/null | head -n 1)
    [ -n "$icd" ] || { echo "no nvidia_icd.json found"; return 1; }
    export VK_ICD_FILENAMES=$icd VK_DRIVER_FILES=$icd
  fi
  echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-} VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-}"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || true
}

step unpack unpack || { say "cannot unpack; nothing else can run"; }
NODE=$WORK/bin/node
JS=$WORK/app/lib/js
GPU=webgpu
if [ "$DRY" = 1 ]; then GPU=wasm; skip vulkan "DRY=1 runs wasm only"; else step vulkan vulkan; fi

if [ -x "$NODE" ]; then
  step parity-wasm env UNCLIP_BACKEND=wasm "$NODE" "$JS/parity.js" run "$WORK/parity-wasm.bin"
  step parity-gpu env UNCLIP_BACKEND=$GPU "$NODE" "$JS/parity.js" run "$WORK/parity-gpu.bin"
  step parity "$NODE" "$JS/parity.js" compare "$WORK/parity-wasm.bin" "$WORK/parity-gpu.bin"
  if [ "$DRY" = 1 ]; then BENCH_ARGS="--json --only matmul"; else BENCH_ARGS="--json --only matmul,conv_grad,generation"; fi
  # shellcheck disable=SC2086
  step bench env UNCLIP_BACKEND=$GPU "$NODE" "$JS/bench.js" $BENCH_ARGS
  train() { # BACKEND SECONDS BATCH RUN_DIR [more flags]
    local backend=$1 secs=$2 batch=$3 dir=$4; shift 4
    (cd "$WORK/app" && UNCLIP_BACKEND=$backend timeout -s INT -k 120 "$secs" "$NODE" "$JS/train.js" decoder \
      --init-from weights/decoder --autoencoder-dir weights/autoencoder --no-export --batch "$batch" --run-dir "$dir" --grid-every-min 0 "$@")
    local rc=$?
    # timeout's 124 after SIGINT is the planned stop; the loop saved its checkpoint then
    [ $rc -eq 124 ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ] && rc=0
    return $rc
  }
  if [ "$DRY" = 1 ]; then
    step train train wasm 600 4 "$WORK/runs/decoder" --steps 3 --save-every-min 60
  else
    # the GPU first: it also computes the CLIP embedding cache the CPU run then reuses
    step train train webgpu $((MINUTES * 60)) "$BATCH" "$WORK/runs/decoder" --steps 100000000
    # two minutes: where the GPU run failed, this one first computes the CLIP embedding cache
    step train-cpu train wasm 120 32 "$WORK/runs/decoder-cpu" --steps 1000000
  fi
  if [ -d "$WORK/runs/decoder" ]; then
    # float32 weights hardly compress: xz -0 is fast and enough; parts stay under the 16 MiB limit
    step pack-checkpoint bash -c "tar -C '$WORK/runs' -cf - decoder | xz -0 -T0 | split -b 15M -d - '$OUTDIR/checkpoint-decoder.tar.xz.part-'"
  else
    skip pack-checkpoint "no run folder"
  fi
else
  for s in parity bench train; do skip $s "no node"; done
fi

cat >"$OUTDIR/summary.json" <<JSON
{"dry":$([ "$DRY" = 1 ] && echo true || echo false),"backend_under_test":"$GPU","minutes":$MINUTES,"batch":$BATCH,
"steps":{$STEPS},
"parity":$(last_json parity),
"parity_runs":{"wasm":$(last_json parity-wasm),"gpu":$(last_json parity-gpu)},
"bench":$(last_json bench)}
JSON
say "summary: $OUTDIR/summary.json"
exit 0
