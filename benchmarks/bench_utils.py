"""Shared helpers of the side-by-side benchmarks: timing, machine facts,
subprocess runs (one backend per process) and Markdown tables.

Every timed figure is the median of `repeats` runs after a warm-up (the
warm-up pays for compilation), as issue 9 asks. Each benchmark script prints
one JSON object on its last line of output (`emit`); `run_json` starts a
script in a fresh process with `KERAS_BACKEND` set and reads that object
back, so that each backend runs alone in its own process.
"""

import datetime
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BACKENDS = ("jax", "tensorflow", "torch")
JSON_PREFIX = "BENCH_JSON "

# The default configuration of each family (built in `families.py`).
FAMILY_DESCRIPTIONS = {
    "vae": "VAE, 8x8 binarised digits, latent 16",
    "autoencoder": "AutoEncoder, 8x8 digits, latent 16",
    "gan": "DCGAN, 8x8 digits, latent 64",
    "wgan_gp": "WGAN-GP (n_critic 5), 8x8 digits, latent 32",
    "aae": "AAE, 8x8 digits, 2-D mixture prior",
    "real_nvp": "RealNVP, 2-D 8 Gaussians, 8 couplings 2x128",
    "cyclegan": "CycleGAN, 32x32 photo patches, width 16, 3 blocks",
    "stylegan2": "StyleGAN2, 16x16 digits, channel_max 32",
    "ddpm": "DDPM, 8x8 digits, U-Net width 32",
}


def median_time(fn, repeats=5, warmup=1):
    """Median wall-clock seconds of `fn()` over `repeats` runs after `warmup`.

    Args:
        fn: callable with no arguments; it must block until its work is done
            (convert results to NumPy inside it).
        repeats: number of timed runs (issue 9: at least 5).
        warmup: untimed runs first (compilation, caches).

    Returns:
        `(median_seconds, list_of_seconds)`.

    Example:

    ```python
    seconds, _ = median_time(lambda: np.ones((512, 512)) @ np.ones((512, 512)))
    ```
    """
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), [float(t) for t in times]


def peak_rss_mb():
    """Peak resident memory of this process so far (VmHWM), in MiB."""
    return _proc_status_mb("VmHWM")


def rss_mb():
    """Current resident memory of this process (VmRSS), in MiB."""
    return _proc_status_mb("VmRSS")


def _proc_status_mb(key):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def machine_info():
    """Date, load average, CPU and library versions of this run."""
    info = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(
            timespec="seconds"
        ),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "cpu_model": _cpu_model(),
        "python": platform.python_version(),
    }
    versions = {}
    for name in (
        "keras",
        "jax",
        "tensorflow",
        "torch",
        "numpy",
        "diffusers",
        "normflows",
    ):
        versions[name] = package_version(name)
    info["versions"] = versions
    return info


def package_version(name):
    """Installed version of a distribution, without importing it."""
    from importlib import metadata

    for dist in (name, f"{name}-cpu"):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return None


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def thread_env(threads):
    """Environment that caps every library's CPU threads at `threads`.

    On shared cores a library that spins several threads collapses when the
    cores are taken (measured here under load 10: a torch step 60x slower
    with 2 threads than with 1), which would decide the comparison by the
    neighbours' load. Every contender gets the same cap: torch and NumPy
    through OpenMP / MKL, TensorFlow through its thread pools, XLA (JAX and
    TensorFlow's jit) through its Eigen thread pool.
    """
    if not threads:
        return {}
    n = str(int(threads))
    env = {
        "OMP_NUM_THREADS": n,
        "MKL_NUM_THREADS": n,
        "OPENBLAS_NUM_THREADS": n,
        "TF_NUM_INTRAOP_THREADS": n,
        "TF_NUM_INTEROP_THREADS": "1",
    }
    if int(threads) == 1:
        env["XLA_FLAGS"] = (
            "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        )
    return env


def pin_one_thread():
    """One core (the first of this process's affinity), one thread per library."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    os.environ.update(thread_env(1))


def pin_to_core(core, libraries=()):
    """This process on `core` with one thread per library; `libraries`
    (`"torch"`, `"tensorflow"`) get their thread pools set before first
    use."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {core})
    os.environ.update(thread_env(1))
    if "torch" in libraries:
        import torch

        torch.set_num_threads(1)
        torch.set_num_interop_threads(1)
    if "tensorflow" in libraries:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)


def run_side_by_side(script, names, args, env_for):
    """Runs `script --child NAME --core CORE *args` for every name at the
    same time, each pinned to its own core of this process's affinity
    (cycling), one thread per library, with the variables `env_for(name)`
    returns; returns `{name: the result its child `emit`ted}`."""
    cores = (
        sorted(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else [0]
    )
    procs = {}
    for i, name in enumerate(names):
        core = cores[i % len(cores)]
        procs[name] = subprocess.Popen(
            [sys.executable, script, "--child", name, "--core", str(core)]
            + list(args),
            env=dict(os.environ, **thread_env(1), **env_for(name)),
            stdout=subprocess.PIPE,
            text=True,
        )
        print(
            f"[{time.strftime('%H:%M:%S')}] {name} on core {core}", flush=True
        )
    results = {}
    for name, proc in procs.items():
        out, _ = proc.communicate()
        lines = [
            line for line in out.splitlines() if line.startswith(JSON_PREFIX)
        ]
        if proc.returncode or not lines:
            raise RuntimeError(
                f"{name} failed ({proc.returncode}):\n{out[-3000:]}"
            )
        results[name] = json.loads(lines[-1][len(JSON_PREFIX) :])
    return results


class Budget:
    """Process CPU seconds since `start()`; counts steps."""

    def __init__(self, seconds):
        self.seconds = float(seconds)
        self.steps = 0

    def start(self):
        self.load_before = [round(v, 2) for v in os.getloadavg()]
        self.cpu0, self.wall0 = time.process_time(), time.time()

    def spent(self):
        return time.process_time() - self.cpu0

    def step(self):
        """Counts one step; True once the budget is spent."""
        self.steps += 1
        return self.spent() >= self.seconds

    def record(self):
        return dict(
            steps=self.steps,
            train_cpu_s=round(self.spent(), 1),
            train_wall_s=round(time.time() - self.wall0, 1),
            load_before=self.load_before,
            load_after=[round(v, 2) for v in os.getloadavg()],
        )


def stop_at_budget(budget):
    import keras

    class StopAtBudget(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            budget.start()

        def on_train_batch_end(self, batch, logs=None):
            if budget.step():
                self.model.stop_training = True

    return StopAtBudget()


def emit(result):
    """Prints `result` as the JSON line `run_json` reads back."""
    result = dict(result)
    result.setdefault("loadavg_end", [round(x, 2) for x in os.getloadavg()])
    print(JSON_PREFIX + json.dumps(result), flush=True)


def run_json(script, args=(), backend=None, timeout=600, python=None, env=None):
    """Runs `benchmarks/<script>` in a fresh process and returns its JSON.

    Args:
        script: file name inside `benchmarks/`.
        args: extra command-line arguments.
        backend: value of `KERAS_BACKEND` for the child, or `None`.
        timeout: seconds before the child is killed.
        python: interpreter (default: this one).
        env: extra environment variables.

    Returns:
        The child's JSON object, or `{"error": ...}` when it failed, so that
        one failing benchmark never stops the others.
    """
    child_env = dict(os.environ)
    child_env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if backend:
        child_env["KERAS_BACKEND"] = backend
    child_env.update(env or {})
    cmd = [
        python or sys.executable,
        os.path.join(HERE, script),
        *map(str, args),
    ]
    start = time.time()
    try:
        proc = subprocess.run(
            cmd,
            env=child_env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {
            "error": f"timed out after {timeout} s",
            "command": " ".join(cmd),
        }
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(JSON_PREFIX):
            result = json.loads(line[len(JSON_PREFIX) :])
            result.setdefault("wall_s", round(time.time() - start, 1))
            return result
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-6:]
    return {
        "error": f"exit {proc.returncode}: " + " | ".join(tail),
        "command": " ".join(cmd),
    }


def markdown_table(header, rows):
    """A Markdown table from a header list and rows of cells."""
    lines = [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join("---" for _ in header) + " |",
    ]
    for row in rows:
        lines.append("| " + " | ".join(fmt(c) for c in row) + " |")
    return "\n".join(lines)


def fmt(value):
    """Three significant figures for floats, text otherwise."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value != value:
            return "nan"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.3g}"
    return str(value)


def count_params_torch(module):
    return int(sum(p.numel() for p in module.parameters()))


def append_markdown_section(path, title, facts, lines):
    """Appends a dated section to a results file.

    The heading carries the UTC date and `title` (backend, epochs, seeds...);
    a line with `uptime` at the end of the run follows (on the shared CPU the
    load decides how far the training times can be compared), then `facts`
    (a string, may be empty) and the `lines` of the section.
    """
    load = os.popen("uptime").read().strip()
    header = (
        f"\n## {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, {title}\n\n"
        f"`uptime` at the end: `{load}` (a shared 2-core CPU, loaded by other jobs: "
        "the training times are inflated and only roughly comparable).\n\n"
    )
    if facts:
        header += facts.rstrip() + "\n\n"
    with open(path, "a") as f:
        f.write(header + "\n".join(lines) + "\n")


def uptime():
    """`uptime`'s line (the time and the load averages), for results files."""
    import subprocess

    return subprocess.run(
        ["uptime"], capture_output=True, text=True
    ).stdout.strip()


def append_results(path, preamble, text):
    """Appends `text` to the results file `path`, writing `preamble` (its
    title and what writes it) first when the file is new."""
    new = not os.path.exists(path)
    with open(path, "a") as f:
        if new:
            f.write(preamble)
        f.write(text)
