#!/bin/sh
# Builds the benchmark environment from nothing (`make bench` calls it).
#
#   sh benchmarks/setup_env.sh [python] [venv]      # defaults: python3 .venv-bench
#
# keras_gen with the JAX and TensorFlow (CPU) backends, the CPU torch wheel,
# and the PyTorch peers the benchmarks compare against: diffusers (DDPM/DDIM),
# normflows (RealNVP) and pythae (VAE). Peers live only here, never in
# `.venv`. Never torchvision: there is no CPU build, and it would pull a multi-GB CUDA torch.
set -e
PYTHON=${1:-python3}
VENV=${2:-.venv-bench}
test -x "$VENV/bin/python" || "$PYTHON" -m venv "$VENV"
# The environment ignores itself, so `git status` stays clean.
echo '*' > "$VENV/.gitignore"
PIP="$VENV/bin/python -m pip"
$PIP install -q --upgrade pip setuptools wheel
$PIP install -q "torch==2.13.0"
$PIP install -q -e ".[jax,tensorflow-cpu,data]"
# diffusers' own requirements (it declares no torch requirement, so the CPU
# wheel above stays); listed explicitly so nothing else is resolved.
$PIP install -q --no-deps "diffusers==0.42.1"
$PIP install -q importlib_metadata filelock "huggingface-hub>=1.32,<3" regex requests "safetensors>=0.8" Pillow numpy
# normflows declares `torch` and `numpy`: --no-deps keeps the CPU torch.
$PIP install -q --no-deps "normflows==1.7.3"
# pythae (the VAE peer of fashion_peers.py): --no-deps, since it declares
# torch (would replace the CPU wheel) and imageio, dataclasses... that its
# VAE never imports; then only what it imports: pydantic (v2), cloudpickle,
# tqdm (scikit-learn and its scipy come with keras_gen[data]).
$PIP install -q --no-deps "pythae==0.1.2"
$PIP install -q "pydantic>=2" cloudpickle tqdm
if "$VENV/bin/python" -c "import torchvision" 2>/dev/null; then
    echo "torchvision is installed in $VENV: remove it (it pulls a CUDA torch)." >&2
    exit 1
fi
"$VENV/bin/python" -c "import torch, diffusers, normflows, pythae.models, keras_gen; print('bench env: torch', torch.__version__, 'diffusers', diffusers.__version__, 'normflows', normflows.__version__, 'pythae ok')"
