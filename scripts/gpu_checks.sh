#!/usr/bin/env bash
# The GPU checks of exercise 3, as one script for a machine with one CUDA GPU (an H100):
#
#   bash scripts/gpu_checks.sh            # writes to $OUT, or runs/gpu-checks when OUT is unset
#   bash scripts/gpu_checks.sh --dry-run  # no GPU needed: the same steps at CPU sizes, in seconds
#
# Steps, each under its own timeout so that the whole script stays under 8 minutes:
#   1. the environment: Python, torch, the GPU's name                        (40 s + 15 s)
#   2. a torch.compile smoke test; if compiling fails, steps 3 and 4 run
#      without it, and say so                                                (75 s)
#   3. the training-loop benchmark -> $OUT/benchmark/results.{json,md}       (180 s)
#   4. the lab with the reference answers,
#      `python -m course_support.lab --preset gpu --notebooks solutions` -> $OUT/lab-gpu/  (140 s)
# All output also goes to $OUT/log.txt. Nothing is installed: the machine must already have
# torch (2.11 or newer, with CUDA), numpy, tokenizers, tqdm and matplotlib. The exit status
# is the number of steps that failed.
set -u
cd "$(dirname "$0")/.."

DRY_RUN=0
case "${1:-}" in
  --dry-run) DRY_RUN=1 ;;
  "") ;;
  *) echo "usage: bash scripts/gpu_checks.sh [--dry-run]" >&2; exit 2 ;;
esac

OUT="${OUT:-runs/gpu-checks}"
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 MPLBACKEND=Agg

# The repository's .venv when it can do the job (for the GPU run: when its torch sees a GPU;
# the course's own .venv holds a CPU build), else the machine's python3.
PY=python3
if [ -x .venv/bin/python ]; then
  if [ "$DRY_RUN" = 1 ] || .venv/bin/python -c 'import sys, torch; sys.exit(not torch.cuda.is_available())' 2>/dev/null; then
    PY=.venv/bin/python
  fi
fi

FAILED=0
SUMMARY=()
step() {  # step NAME SECONDS COMMAND...: run under a timeout, time it, record the outcome
  local name=$1 limit=$2; shift 2
  local shown="$*" start=$SECONDS status
  [[ $shown == *$'\n'* ]] && shown="$1 -c <inline Python>"
  echo; echo "=== $name (timeout ${limit}s): $shown"
  time timeout -k 5 "$limit" "$@"
  status=$?
  if [ "$status" = 0 ]; then SUMMARY+=("ok      $name ($((SECONDS - start)) s)")
  else
    FAILED=$((FAILED + 1))
    [ "$status" = 124 ] && why="timed out" || why="exit status $status"
    SUMMARY+=("FAILED  $name ($why, $((SECONDS - start)) s)")
  fi
  return "$status"
}

checks() {
  echo "gpu_checks on $(uname -n) at $(date -u +%FT%TZ); dry run: $DRY_RUN; python: $PY; output: $OUT"

  step "environment" 40 "$PY" -c '
import importlib, platform, sys
import torch
print("python", platform.python_version(), sys.executable)
print(torch.__version__, torch.cuda.get_device_name() if torch.cuda.is_available() else "(no CUDA device)")
if tuple(int(part) for part in torch.__version__.split(".")[:2]) < (2, 11):
    print("warning: the course expects torch 2.11 or newer")
missing = []
for name in ("numpy", "tokenizers", "tqdm", "matplotlib"):
    try:
        print(name, importlib.import_module(name).__version__)
    except ImportError:
        missing.append(name)
if missing:
    sys.exit(f"missing: {missing}: nothing can be installed on this machine; carry them as wheels")
  ' || { echo "the environment cannot run the checks"; return 1; }
  command -v nvidia-smi >/dev/null && timeout 15 nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv

  if [ "$DRY_RUN" = 1 ]; then
    step "benchmark (CPU, tiny)" 120 "$PY" scripts/benchmark_training.py --device cpu --tiny --threads 1 --out "$OUT/benchmark"
    step "lab (tiny preset)" 120 "$PY" -m course_support.lab --preset tiny --notebooks solutions --threads 1 --out "$OUT/lab-tiny"
  else
    "$PY" -c 'import sys, torch; sys.exit(not torch.cuda.is_available())' \
      || { echo "no CUDA device: run with --dry-run on a machine without a GPU"; return 1; }
    NO_COMPILE=()
    step "torch.compile smoke test" 75 "$PY" -c '
import torch
f = torch.compile(torch.nn.Linear(64, 64).cuda())
f(torch.randn(8, 64, device="cuda")).sum().backward()
torch.cuda.synchronize()
print("torch.compile works: forward and backward")
  ' || { NO_COMPILE=(--no-compile); echo "compiling fails here: the benchmark and the lab run without it"; }
    step "benchmark" 180 "$PY" scripts/benchmark_training.py --out "$OUT/benchmark" "${NO_COMPILE[@]}"
    step "lab (gpu preset)" 140 "$PY" -m course_support.lab --preset gpu --notebooks solutions --out "$OUT/lab-gpu" "${NO_COMPILE[@]}"
  fi

  echo; echo "=== summary"
  printf '%s\n' "${SUMMARY[@]}"
  return "$FAILED"
}

# Everything, the timings of `time` included, to the terminal and to the log.
checks 2>&1 | tee -a "$OUT/log.txt"
exit "${PIPESTATUS[0]}"
