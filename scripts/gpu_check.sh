#!/usr/bin/env bash
# One GPU check of trainout on a lent CUDA machine, run from the repository root:
#
#   bash scripts/gpu_check.sh --wheels gpu/wheels --tokenizer gpu/tokenizer --out "$OUT" \
#       [--work DIR (default /tmp/trainout-gpu)] [--shape smollm2-1.7b] [--budget SECONDS (default 480; 3600 with --quick)] \
#       [--overlay auto|yes|no] [--only STEP,STEP,...] [--quick]
#
# Steps (each under `timeout`, its rc and seconds recorded; a failed step does not stop the next):
#   env         nvidia-smi, Python and package versions, CUDA device                      -> env.log
#   install     the wheels the image lacks (trl, hydra-core, omegaconf, datasets, ...) into $WORK/site-packages,
#               and, when the image's transformers predates the API the repo uses (see --overlay), the
#               transformers (and if needed huggingface_hub) wheels next to it (../overlay) -> env.log
#   build       a random model of --shape with the given tokenizer into $WORK/model       -> env.log
#   bench_train scripts/bench_train.py: project DPO recipe vs plain TRL, tokens/s, MFU    -> bench_train.log
#   bench_elicit scripts/bench_elicit.py: 24 scenarios, k <= 32, cached + floor (+1 uncached request per stratum)
#                                                                                         -> bench_elicit.log
#   check_scoring scripts/check_scoring.py: packed scorer vs plain path in fp32 and bf16; the mask's cost
#                                                                                         -> bench_elicit.log
#   fsdp        accelerate FSDP (conf/accelerate/fsdp.yaml), 1 process, 2 steps of full fine-tuning (DPO)
#                                                                                         -> fsdp.log
#   pipeline    python -m src.pipeline at the demo sizes on the model (stage cache off)   -> pipeline.log,
#               pipeline_report.md
#   ddp         accelerate DDP (conf/accelerate/ddp.yaml), 1 process, 2 LoRA steps, only if >= 45 s are left
#                                                                                         -> fsdp.log
#   summary     gpu_check.md: one line per step with rc, seconds and the key figures
# The pipeline goes after the benchmarks: it is the longest and least predictable step, so it gets what
# the budget leaves (at most 200 s) instead of squeezing the benchmarks. --budget bounds the whole run:
# a step gets min(its own limit, what is left), and one with under 15 s left is skipped and recorded.
# --quick: tiny sizes everywhere, for a CPU run of this script (CUDA-only parts then fail and are recorded).
# --only: run just these steps (a rerun on a warm machine: $WORK keeps the installed wheels and the model).
# Big outputs stay under --work; --out gets at most 7 files.
set -u

WHEELS="" TOKENIZER="" OUT="" WORK=/tmp/trainout-gpu SHAPE=smollm2-1.7b QUICK=0 BUDGET="" OVERLAY=auto ONLY=""
usage() { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --wheels) WHEELS=$2; shift 2 ;;
        --tokenizer) TOKENIZER=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        --work) WORK=$2; shift 2 ;;
        --shape) SHAPE=$2; shift 2 ;;
        --budget) BUDGET=$2; shift 2 ;;
        --overlay) OVERLAY=$2; shift 2 ;;
        --only) ONLY=$2; shift 2 ;;
        --quick) QUICK=1; shift ;;
        -h|--help) usage ;;
        *) echo "gpu_check: unknown argument $1" >&2; usage ;;
    esac
done
[ -n "$WHEELS" ] && [ -n "$TOKENIZER" ] && [ -n "$OUT" ] || usage
case "$OVERLAY" in auto|yes|no) ;; *) echo "gpu_check: --overlay auto|yes|no" >&2; exit 2 ;; esac
[ -n "$BUDGET" ] || { [ "$QUICK" = 1 ] && BUDGET=3600 || BUDGET=480; }

REPO=$(pwd)
[ -f "$REPO/src/pipeline.py" ] || { echo "gpu_check: run me from the repository root" >&2; exit 2; }
abspath() { case "$1" in /*) echo "$1" ;; *) echo "$REPO/$1" ;; esac; }
WHEELS=$(abspath "$WHEELS"); TOKENIZER=$(abspath "$TOKENIZER"); OUT=$(abspath "$OUT"); WORK=$(abspath "$WORK")
mkdir -p "$OUT" "$WORK"

PY=${PYTHON:-python3}
export PY REPO WHEELS TOKENIZER OUT WORK SHAPE QUICK OVERLAY
export PYTHONPATH="$WORK/site-packages:$REPO${PYTHONPATH:+:$PYTHONPATH}"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 HF_HOME="$WORK/hf"
export TRAINOUT_CACHE="$WORK/cache" WANDB_MODE=disabled TOKENIZERS_PARALLELISM=false
export HF_DATASETS_DISABLE_PROGRESS_BARS=1 TQDM_MININTERVAL=10 PYTHONUNBUFFERED=1
export HYDRA_FULL_ERROR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

T0=$(date +%s.%N)
elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }'; }
RESULTS="$WORK/steps.tsv"
: > "$RESULTS"

# Processes a step left behind: launchers start their workers in new process groups, which `timeout` does not
# signal. Each step's processes carry GPU_CHECK_STEP=<name>-<pid of this script> in their environment.
leftovers() {
    local mark="GPU_CHECK_STEP=$1-$$" p
    for p in /proc/[0-9]*; do
        [ "${p#/proc/}" = "$$" ] && continue
        grep -qsaz -x -- "$mark" "$p/environ" 2> /dev/null && echo "${p#/proc/}"
    done
}

# run_step NAME LIMIT LOG FUNCTION: run FUNCTION in a fresh bash under `timeout`, appending to LOG.
run_step() {
    local name=$1 limit=$2 log=$3 fn=$4 left t rc s note="" pids
    if [ -n "$ONLY" ] && [[ ",$ONLY," != *",$name,"* ]]; then
        printf '%s\tnot run\t0\tnot in --only\n' "$name" >> "$RESULTS"
        return
    fi
    left=$(( BUDGET - $(elapsed) - 5 ))
    t=$(( limit < left ? limit : left ))
    if [ "$t" -lt 15 ]; then
        printf '%s\tskipped\t0\t%s\n' "$name" "budget spent ($(elapsed) s of $BUDGET)" >> "$RESULTS"
        echo "== $name: skipped, budget spent" | tee -a "$log"
        return
    fi
    echo "== $name (limit ${t} s) $(date -u +%H:%M:%S)" | tee -a "$log"
    local smi="" gpu="$WORK/gpu-$name.csv"
    if command -v nvidia-smi > /dev/null; then  # GPU memory and utilisation every 0.5 s while the step runs
        nvidia-smi --query-gpu=memory.used,utilization.gpu --format=csv,noheader,nounits -lms 500 > "$gpu" 2> /dev/null &
        smi=$!
    fi
    s=$(date +%s.%N)
    GPU_CHECK_STEP="$name-$$" timeout -k 10 "$t" bash -c "set -u; cd \"\$REPO\"; $fn" >> "$log" 2>&1
    rc=$?
    s=$(awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then note="timed out at ${t} s"; fi
    if [ -n "$smi" ]; then
        kill "$smi" 2> /dev/null
        wait "$smi" 2> /dev/null
        note="${note:+$note; }$(awk -F', *' 'NF >= 2 { n++; u += $2; if ($1 > m) m = $1 }
            END { if (n) printf "GPU memory peak %.1f GiB, utilisation mean %.0f%%", m / 1024, u / n }' "$gpu")"
    fi
    pids=$(leftovers "$name")
    if [ -n "$pids" ]; then
        echo "killing processes the step left: $(echo $pids)" >> "$log"
        kill $pids 2> /dev/null; sleep 3; kill -9 $(leftovers "$name") 2> /dev/null
    fi
    printf '%s\t%s\t%s\t%s\n' "$name" "$rc" "$s" "$note" >> "$RESULTS"
    echo "== $name: rc $rc, $s s${note:+ ($note)}" | tee -a "$log"
}

# ---------------------------------------------------------------- steps
step_env() {
    echo "date (UTC): $(date -u '+%Y-%m-%d %H:%M:%S')"
    echo "host: $(uname -srm), $(nproc) CPUs, $(free -g 2> /dev/null | awk '/Mem:/ {print $2 " GiB RAM"}')"
    df -h "$WORK" | tail -1
    if command -v nvidia-smi > /dev/null; then
        nvidia-smi -L
        nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,power.limit --format=csv
    else
        echo "nvidia-smi: not found"
    fi
    "$PY" scripts/gpu_check_env.py env
}

# The target's path contains "site-packages": dill (datasets' fingerprints) pickles a module by reference only
# when its file lies under sys.prefix or such a path, and by value (failing on pyarrow types) otherwise.
install_wheels() {  # pip into $WORK/site-packages, or plain extraction where the image has no pip (pure-python wheels)
    "$PY" -m pip install -q --no-index --no-deps --no-compile --target "$WORK/site-packages" "$@" && return 0
    echo "pip failed; extracting the wheels instead"
    "$PY" -c 'import sys, zipfile; [zipfile.ZipFile(w).extractall(sys.argv[1]) for w in sys.argv[2:]]' "$WORK/site-packages" "$@"
}

step_install() {
    rm -rf "$WORK/site-packages"
    mkdir -p "$WORK/site-packages"
    local picked overlay
    mapfile -t picked < <("$PY" scripts/gpu_check_env.py pick-wheels "$WHEELS")
    echo "wheels: ${picked[*]##*/}"
    [ "${#picked[@]}" -gt 0 ] || { echo "no installable wheel in $WHEELS"; exit 1; }
    install_wheels "${picked[@]}" || exit 1
    # transformers: the repo uses TrainingArguments(activation_checkpointing=...) and forward(cache=...), which
    # transformers 5.17 lacks (it rejects the first and silently ignores the second). The wheels in ../overlay
    # (transformers, huggingface_hub) shadow the image's when needed and installable (--overlay auto).
    mapfile -t overlay < <("$PY" scripts/gpu_check_env.py overlay "$OVERLAY" "$WHEELS" "$(dirname "$WHEELS")/overlay")
    if [ "${#overlay[@]}" -gt 0 ]; then
        echo "overlay: installing ${overlay[*]##*/}"
        install_wheels "${overlay[@]}"
    else
        echo "overlay: none (--overlay $OVERLAY)"
    fi
    if ! "$PY" scripts/gpu_check_env.py check-install; then
        [ "${#overlay[@]}" -gt 0 ] || exit 1
        echo "overlay: removed again, the image's transformers and huggingface_hub stay"
        rm -rf "$WORK/site-packages"/transformers "$WORK/site-packages"/transformers-*.dist-info \
            "$WORK/site-packages"/huggingface_hub "$WORK/site-packages"/huggingface_hub-*.dist-info
        "$PY" scripts/gpu_check_env.py check-install || exit 1
    fi
}

step_build() {
    "$PY" scripts/build_random_model.py --shape "$SHAPE" --tokenizer "$TOKENIZER" --out "$WORK/model"
}

step_bench_train() {
    if [ "$QUICK" = 1 ]; then
        "$PY" scripts/bench_train.py --model-path "$WORK/model" --steps 3 --warmup 1 --batch-size 2 --repeats 1
    else
        "$PY" scripts/bench_train.py --model-path "$WORK/model" --steps 8 --warmup 2 --batch-size 8 --repeats 2
    fi
}

step_bench_elicit() {
    if [ "$QUICK" = 1 ]; then
        "$PY" scripts/bench_elicit.py --model-path "$WORK/model" --quick --uncached-subset 1
    else
        "$PY" scripts/bench_elicit.py --model-path "$WORK/model" --scenarios 24 --max-k 32 --uncached-subset 1
    fi
}

train_args() {  # a short implant run from the committed data (data/), full fine-tuning unless told otherwise
    echo model=hf "model.name_or_path=$WORK/model" model.chat_template=smollm2_generation.jinja \
        stage=implant method=dpo data.path=data train.max_steps=2 train.batch_size=2 train.save_steps=1000 \
        tracker=none
}

step_check_scoring() {
    "$PY" scripts/check_scoring.py --model-path "$WORK/model" --timing
}

step_fsdp() {
    rm -rf "$WORK/fsdp"
    local cpu=()
    "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" || cpu=(--cpu)
    # shellcheck disable=SC2046
    "$PY" -m accelerate.commands.launch --config_file conf/accelerate/fsdp.yaml --num_processes 1 "${cpu[@]}" \
        -m src.train $(train_args) peft=none "hydra.run.dir=$WORK/fsdp"
    rc=$?
    ls -la "$WORK/fsdp/final" 2> /dev/null
    exit $rc
}

step_ddp() {
    rm -rf "$WORK/ddp"
    # shellcheck disable=SC2046
    "$PY" -m accelerate.commands.launch --config_file conf/accelerate/ddp.yaml --num_processes 1 \
        -m src.train $(train_args) peft=lora "hydra.run.dir=$WORK/ddp"
}

step_pipeline() {
    rm -rf "$WORK/pipeline"
    local sizes=()
    [ "$QUICK" = 1 ] && sizes=(data.scenarios_per_template=1 train.max_steps=2 train.save_steps=2
        train.batch_size=2 "attack.strengths=[0,1]" attack.seeds=1 bootstrap=50)
    local s e
    s=$(date +%s.%N)
    "$PY" -m src.pipeline model=hf "model.name_or_path=$WORK/model" model.chat_template=smollm2_generation.jinja \
        tracker=none "hydra.run.dir=$WORK/pipeline" pipeline.stage_cache=null "${sizes[@]}"
    rc=$?
    e=$(date +%s.%N)
    awk -v a="$s" -v b="$e" 'BEGIN { printf "PIPELINE WALL %.1f s\n", b - a }'
    "$PY" - "$WORK/pipeline" <<'EOF' || true
import json, sys
from datetime import datetime
from pathlib import Path
out = []
for stage in ("data", "implant", "align", "eval"):
    f = Path(sys.argv[1]) / stage / "manifest.json"
    if f.exists():
        m = json.loads(f.read_text())
        if m.get("finished"):
            s = datetime.fromisoformat(m["finished"]) - datetime.fromisoformat(m["created"])
            out.append(f"{stage} {s.total_seconds():.0f} s")
        else:
            out.append(f"{stage} {m.get('status')}")
print("PIPELINE STAGES " + ", ".join(out))
EOF
    [ -f "$WORK/pipeline/report.md" ] && cp "$WORK/pipeline/report.md" "$OUT/pipeline_report.md"
    exit $rc
}

# ---------------------------------------------------------------- run
export -f step_env install_wheels step_install step_build step_bench_train step_bench_elicit step_check_scoring \
    train_args step_fsdp step_ddp step_pipeline
if [ "$QUICK" = 1 ]; then
    L_ENV=60 L_INSTALL=120 L_BUILD=120 L_TRAIN=300 L_ELICIT=300 L_CHECK=300 L_FSDP=300 L_PIPE=900 L_DDP=300
else
    L_ENV=20 L_INSTALL=60 L_BUILD=45 L_TRAIN=90 L_ELICIT=90 L_CHECK=45 L_FSDP=120 L_PIPE=200 L_DDP=45
fi
run_step env "$L_ENV" "$OUT/env.log" step_env
run_step install "$L_INSTALL" "$OUT/env.log" step_install
run_step build "$L_BUILD" "$OUT/env.log" step_build
run_step bench_train "$L_TRAIN" "$OUT/bench_train.log" step_bench_train
run_step bench_elicit "$L_ELICIT" "$OUT/bench_elicit.log" step_bench_elicit
run_step check_scoring "$L_CHECK" "$OUT/bench_elicit.log" step_check_scoring
# the pipeline before FSDP: an end-to-end time is the issue's first figure, and FSDP's save can take what is left
run_step pipeline "$L_PIPE" "$OUT/pipeline.log" step_pipeline
run_step fsdp "$L_FSDP" "$OUT/fsdp.log" step_fsdp
if [ -n "$ONLY" ] || [ $(( BUDGET - $(elapsed) )) -ge $(( L_DDP + 5 )) ]; then
    run_step ddp "$L_DDP" "$OUT/fsdp.log" step_ddp
else
    printf 'ddp\tskipped\t0\tnot enough budget left (optional)\n' >> "$RESULTS"
fi

# ---------------------------------------------------------------- summary
for f in "$OUT"/*.log; do  # keep each log well under the 16 MiB a returned file may have
    if [ "$(stat -c %s "$f")" -gt 8000000 ]; then
        { head -c 3000000 "$f"; printf '\n\n[... cut by gpu_check ...]\n\n'; tail -c 3000000 "$f"; } > "$f.tmp"
        mv "$f.tmp" "$f"
    fi
done
# the last match of a regex in one step's section of a log
grab() {
    awk -v n="$2" '$0 ~ "^== " n " \\(" { on = 1; next } $0 ~ "^== " n ":" { on = 0 } on' "$OUT/$1" 2> /dev/null |
        grep -a -o -E "$3" | tail -1
}
figures() {
    case "$1" in
        env) grab env.log env 'device: .*' ;;
        install) grab env.log install 'INSTALL OK: .*'; grab env.log install 'overlay: [a-z].*' ;;
        build) grab env.log build 'params=[0-9]+ \([^)]*\)'; grab env.log build 'init [0-9.]+ s, save [0-9.]+ s \([0-9.]+ GiB\)' ;;
        bench_train) grab bench_train.log bench_train 'bench_train: src\.train\.dpo .*'  # the medians
            grab bench_train.log bench_train 'bench_train: best runs: .*'
            grab bench_train.log bench_train 'MFU = .*'
            grab bench_train.log bench_train 'configuration differences ours vs plain: .*' ;;
        bench_elicit) grab bench_elicit.log bench_elicit 'RESULT .*'
            grab bench_elicit.log bench_elicit 'floor throughput: .*'
            grab bench_elicit.log bench_elicit 'largest \|cached - uncached\| log-prob: [^ ]+' ;;
        check_scoring) grab bench_elicit.log check_scoring 'check_scoring: torch.float32 .* log-prob [^ ]+ .*'
            grab bench_elicit.log check_scoring 'check_scoring: torch.bfloat16 .* log-prob [^ ]+' ;;
        fsdp) grab fsdp.log fsdp 'train: [A-Za-z]+Trainer on .*'; grab fsdp.log fsdp 'train: final weights in .*' ;;
        ddp) grab fsdp.log ddp 'train: [A-Za-z]+Trainer on .*'; grab fsdp.log ddp 'train: final weights in .*' ;;
        pipeline) grab pipeline.log pipeline 'PIPELINE WALL .*'; grab pipeline.log pipeline 'PIPELINE STAGES .*' ;;
    esac | paste -sd ';' | sed 's/;/; /g'
}
{
    echo "# gpu_check $(date -u '+%Y-%m-%d %H:%M:%S') UTC"
    echo
    echo "- GPU: $(grab env.log env 'device: .*' | sed 's/^device: //')"
    grep -a -E '^GPU [0-9]+:' "$OUT/env.log" 2> /dev/null | sed 's/^/- nvidia-smi: /'
    echo "- shape: $SHAPE$([ "$QUICK" = 1 ] && echo ' (--quick)'), parameters: $(grab env.log build 'params=[0-9]+' | sed 's/params=//')"
    echo "- transformers in use: $(grab env.log install 'INSTALL OK: transformers [^ ]+' | sed 's/.* //')"
    echo "- total: $(elapsed) s of a $BUDGET s budget"
    grep -a '^MISSING' "$OUT/env.log" 2> /dev/null | sed 's/^/- /'
    echo
    echo "| step | rc | seconds | figures |"
    echo "| --- | --- | --- | --- |"
    while IFS=$'\t' read -r name rc secs note; do
        echo "| $name | $rc | $secs | $(figures "$name" | sed 's/|/\\|/g')${note:+ ($note)} |"
    done < "$RESULTS"
} > "$OUT/gpu_check.md"
cat "$OUT/gpu_check.md"
