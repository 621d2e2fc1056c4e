#!/usr/bin/env bash
# Example: a beta sweep on a SLURM cluster through Hydra's submitit launcher (conf/hydra/launcher/slurm.yaml).
# Run from the repository root on the login node, after `make install TORCH_SPEC=...` with a CUDA torch.
# Eval at full size (2 scenarios per template, every one attacked; k* = 32, the largest strength, declared
# here). Each job is one pipeline run on one GPU; shared training stages (the implant) are trained once, under a
# lock, in outputs/stage_cache. Logs: multirun/pipeline/beta_sweep/<time>/.submitit/<job id>/.
set -euo pipefail
MODEL=${MODEL:-/path/to/Llama-3.2-1B-Instruct}   # a local folder with config.json + safetensors
PARTITION=${PARTITION:-gpu}

.venv/bin/python -m src.pipeline -m experiment=beta_sweep \
  model=hf model.name_or_path="$MODEL" data.per_split.eval=2 attack.subset=null \
  'attack.strengths=[0,1,2,4,8,16,32]' attack.seeds=3 \
  hydra/launcher=slurm hydra.launcher.partition="$PARTITION" hydra.launcher.timeout_min=360 \
  "$@"

# Then compare every job of the sweep (the newest sweep folder):
#   .venv/bin/python -m src.eval.compare "runs=[$(ls -d multirun/pipeline/beta_sweep/* | tail -1)]"
