"""RealNVP side by side: keras_gen vs normflows (PyTorch) on 2-D toys.

Matched flows: 8 affine couplings, each an MLP 2 x 128 (ReLU, zero-initialised
last layer) giving log-scale and shift, with actnorm before each coupling
and alternating halves; a standard normal base; Adam(1e-3), batch 256, the
same training and test points (`keras_gen.datasets.toy_2d`). keras_gen's
coupling MLP reads the masked 2-vector, normflows' reads the kept half, so
the parameter counts differ by about 2 % (both are reported).

Reports steps/s (median of `--repeats` timed epochs of `--steps` steps,
after a warm-up epoch) and the final test NLL in nats (true entropy: 8
Gaussians about 2.831, checkerboard ln 32 = 3.466).

    KERAS_BACKEND=jax python benchmarks/speed_real_nvp.py --impl keras_gen --quick
    python benchmarks/speed_real_nvp.py --impl normflows --quick
"""

import argparse
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_utils  # noqa: E402
import numpy as np  # noqa: E402

ENTROPY = {"8gaussians": 2.831, "checkerboard": math.log(32.0)}
LAYERS = 8
UNITS = 128


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--impl", choices=("keras_gen", "normflows"), required=True
    )
    parser.add_argument("--toys", nargs="+", default=list(ENTROPY))
    parser.add_argument(
        "--steps", type=int, default=200, help="steps per timed epoch"
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--test-size", type=int, default=20_000)
    parser.add_argument("--quick", action="store_true")
    return parser.parse_args()


def toy_data(name, args):
    import keras_gen

    n = args.steps * args.batch_size
    x_train = keras_gen.datasets.toy_2d(name, n, seed=0).astype("float32")
    x_test = keras_gen.datasets.toy_2d(name, args.test_size, seed=1000).astype(
        "float32"
    )
    return x_train, x_test


def run_keras_gen(name, args):
    import families
    import keras

    import keras_gen

    keras.utils.set_random_seed(0)
    x_train, x_test = toy_data(name, args)
    flow = keras_gen.models.RealNVP(
        data_shape=(2,),
        num_coupling_layers=LAYERS,
        hidden_units=(UNITS, UNITS),
        seed=0,
    )
    flow.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        jit_compile=families.default_jit_compile(),
    )
    seconds, times, _ = families.time_fit(
        flow, (x_train,), args.batch_size, args.steps, args.repeats
    )
    nll = -float(np.mean(flow.log_prob(x_test)))
    return {
        "steps_per_s": args.steps / seconds,
        "test_nll": nll,
        "params": int(flow.count_params()),
        "epoch_seconds": times,
        "jit_compile": families.default_jit_compile(),
    }


def build_normflows():
    import normflows as nf

    flows = []
    for _ in range(LAYERS):
        flows.append(nf.flows.ActNorm(2))
        # The kept half (1 value) -> log-scale and shift of the other half.
        flows.append(
            nf.flows.AffineCouplingBlock(
                nf.nets.MLP([1, UNITS, UNITS, 2], init_zeros=True)
            )
        )
        flows.append(nf.flows.Permute(2, mode="swap"))
    base = nf.distributions.DiagGaussian(2, trainable=False)
    return nf.NormalizingFlow(base, flows)


def run_normflows(name, args):
    import torch

    torch.manual_seed(0)
    x_train, x_test = toy_data(name, args)
    model = build_normflows()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    batches = torch.from_numpy(x_train).split(args.batch_size)

    def epoch():
        for x in batches:
            loss = model.forward_kld(x)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    model.train()
    seconds, times = bench_utils.median_time(epoch, args.repeats)
    model.eval()
    with torch.no_grad():
        nll = -float(model.log_prob(torch.from_numpy(x_test)).mean())
    return {
        "steps_per_s": args.steps / seconds,
        "test_nll": nll,
        "params": bench_utils.count_params_torch(model),
        "epoch_seconds": times,
        "jit_compile": False,
    }


def main():
    args = parse_args()
    if args.quick:
        args.steps, args.test_size = 10, 2000
    if args.impl == "normflows":
        try:
            import normflows  # noqa: F401
            import torch  # noqa: F401
        except ImportError as e:
            bench_utils.emit(
                {"impl": "normflows", "unavailable": f"peer unavailable: {e}"}
            )
            return
        backend = "torch (eager)"
    else:
        import keras

        backend = keras.backend.backend()
    run = run_keras_gen if args.impl == "keras_gen" else run_normflows
    toys = {}
    for name in args.toys:
        toys[name] = run(name, args)
        toys[name]["entropy"] = ENTROPY[name]
        print(
            name,
            {k: v for k, v in toys[name].items() if k != "epoch_seconds"},
            flush=True,
        )
    bench_utils.emit(
        {
            "impl": args.impl,
            "backend": backend,
            "steps": args.steps,
            "repeats": args.repeats,
            "batch_size": args.batch_size,
            "trained_steps": (args.repeats + 1) * args.steps,
            "toys": toys,
        }
    )


if __name__ == "__main__":
    main()
