"""CycleGAN on the embedded two-photo domains: does translation change domain?

Protocol:
- data: `keras_gen.datasets.load_sample_photos` (domain A: patches of
  scikit-learn's china.jpg, domain B: flower.jpg; 300 train / 75 test
  patches each, in [-1, 1]);
- model: `keras_gen.models.CycleGAN` with the paper's losses and optimizer
  (least squares, cycle lambda = 10, identity 0.5 lambda, pool of 50,
  Adam(2e-4, 0.5), constant for half the run then linear decay to zero) at
  a CPU size (generator width 16, 3 residual blocks; PatchGAN width 32 with
  2 stride-2 layers);
- judge: `keras_gen.metrics.DomainClassifier`, a small CNN trained on the
  real train patches of both domains, applied to the test patches: its
  accuracy on real patches, the share of translated patches G(a), F(b) it
  labels as the target domain (target: >= 90 % both ways), and the same
  share for the untranslated inputs (the floor);
- mean cycle reconstruction L1 on the test patches, |F(G(a)) - a| and
  |G(F(b)) - b| (pixels in [-1, 1]; the identity map would score 0), next
  to the mean L1 between a test patch and a random patch of its own domain
  (what a reconstruction that ignored its input would score).

Results are appended to `benchmarks/cyclegan_results.md`.

    KERAS_BACKEND=jax python benchmarks/cyclegan_domains.py --epochs 20
"""

import argparse
import datetime
import os
import time

import keras
import numpy as np

import keras_gen

HERE = os.path.dirname(os.path.abspath(__file__))


def run(args, seed):
    keras.utils.set_random_seed(seed)
    x_a, x_b = keras_gen.datasets.load_sample_photos("train", args.image_size)
    t_a, t_b = keras_gen.datasets.load_sample_photos("test", args.image_size)
    steps = (
        int(np.ceil(max(len(x_a), len(x_b)) / args.batch_size)) * args.epochs
    )
    model = keras_gen.models.CycleGAN(
        data_shape=x_a.shape[1:],
        generator_filters=16,
        num_residual_blocks=3,
        discriminator_filters=32,
        discriminator_layers=2,
        lr_constant_steps=steps // 2,
        lr_decay_steps=steps - steps // 2,
        seed=seed,
    )
    model.compile()
    start = time.time()
    model.fit(
        (x_a, x_b), epochs=args.epochs, batch_size=args.batch_size, verbose=0
    )
    seconds = time.time() - start
    fake_b, fake_a = model.translate_a_to_b(t_a), model.translate_b_to_a(t_b)
    rec_a, rec_b = (
        model.translate_b_to_a(fake_b),
        model.translate_a_to_b(fake_a),
    )
    probe = keras_gen.metrics.DomainClassifier(x_a, x_b, seed=seed)
    rng = np.random.default_rng(seed)
    return {
        "real": 0.5 * (probe.accuracy(t_a, "a") + probe.accuracy(t_b, "b")),
        "a_to_b": probe.accuracy(fake_b, "b"),
        "b_to_a": probe.accuracy(fake_a, "a"),
        "floor_a_to_b": probe.accuracy(t_a, "b"),
        "floor_b_to_a": probe.accuracy(t_b, "a"),
        "cycle_a": float(np.abs(rec_a - t_a).mean()),
        "cycle_b": float(np.abs(rec_b - t_b).mean()),
        "random_a": float(np.abs(t_a[rng.permutation(len(t_a))] - t_a).mean()),
        "random_b": float(np.abs(t_b[rng.permutation(len(t_b))] - t_b).mean()),
        "steps": steps,
        "seconds": seconds,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument(
        "--results", default=os.path.join(HERE, "cyclegan_results.md")
    )
    args = parser.parse_args()

    start = time.time()
    runs = [run(args, seed) for seed in range(args.seeds)]
    total = time.time() - start

    def cell(key, percent=False, digits=3):
        values = np.array([r[key] for r in runs]) * (100 if percent else 1)
        text = (
            f"{values.mean():.1f}" if percent else f"{values.mean():.{digits}f}"
        )
        if len(values) > 1:
            text += (
                f" ± {values.std():.1f}"
                if percent
                else f" ± {values.std():.{digits}f}"
            )
        return text + (" %" if percent else "")

    header = (
        f"\n## {datetime.date.today().isoformat()} — backend {keras.backend.backend()}, 2-core CPU, "
        f"{args.image_size}x{args.image_size} patches, {args.epochs} epochs ({runs[0]['steps']} steps, "
        f"batch {args.batch_size}), {args.seeds} seed(s), keras {keras.__version__}, "
        f"runtime {total / 60:.1f} min ({np.mean([r['seconds'] for r in runs]):.0f} s training per run)\n"
    )
    table = [
        "| direction | translated labelled as target | untranslated inputs labelled as target | cycle L1 | L1 to a random patch of the domain |",
        "| --- | --- | --- | --- | --- |",
        f"| A → B (china → flower) | {cell('a_to_b', True)} | {cell('floor_a_to_b', True)} | {cell('cycle_a')} | {cell('random_a')} |",
        f"| B → A (flower → china) | {cell('b_to_a', True)} | {cell('floor_b_to_a', True)} | {cell('cycle_b')} | {cell('random_b')} |",
        "",
        f"Domain classifier on real test patches: {cell('real', True)} correct.",
    ]
    text = header + "\n" + "\n".join(table) + "\n"
    print(text)
    if not os.path.exists(args.results):
        with open(args.results, "w") as f:
            f.write(
                "# CycleGAN on the embedded two-photo domains\n\n"
                "`benchmarks/cyclegan_domains.py`: share of translated test patches a\n"
                "domain classifier (trained on real patches) labels as the target domain\n"
                "(target >= 90 % both ways), and mean cycle reconstruction L1 (pixels in\n"
                "[-1, 1]). Newest runs at the bottom.\n"
            )
    with open(args.results, "a") as f:
        f.write(text)


if __name__ == "__main__":
    main()
