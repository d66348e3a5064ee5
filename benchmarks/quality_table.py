"""The quality section of `RESULTS.md`: every family's measured figures.

Collects, without re-running anything:

- the built-in presets' metadata (`keras_gen/presets/builtin/*/metadata.json`:
  the figures measured when each preset was trained),
- selected rows of each `benchmarks/*_results.md` (the newest where a row repeats),

into one table with the reference value on the same data (true entropy,
real-data floor, baseline), and the published headline results beside them
for context, with the plain statement that those are not comparable.

    python benchmarks/quality_table.py          # prints the Markdown
"""

import glob
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_utils  # noqa: E402

PRESETS = os.path.join(bench_utils.ROOT, "keras_gen", "presets", "builtin")

# Published headline results, for context only (other data, other scale).
PUBLISHED = [
    (
        "DDPM",
        "Ho et al., 2020, table 1",
        "CIFAR-10 32x32",
        "FID 3.17 (Inception features, 50k samples)",
    ),
    (
        "StyleGAN2",
        "Karras et al., 2020, table 1 (config F)",
        "FFHQ 1024x1024",
        "FID 2.84",
    ),
    (
        "WGAN-GP",
        "Gulrajani et al., 2017, table 3",
        "CIFAR-10 (unsupervised)",
        "Inception score 7.86",
    ),
    ("RealNVP", "Dinh et al., 2017, table 1", "CIFAR-10", "3.49 bits/dim"),
    (
        "GAN / PacGAN",
        "Lin et al., 2018, table 2",
        "2-D grid of 25 Gaussians",
        "GAN 17.3 modes; PacGAN4 24.8 modes, 93.6 % high quality",
    ),
]

NOT_COMPARABLE = (
    "**These are not comparable.** Our figures are measured on the embedded data "
    "(8x8 and 16x16 scikit-learn digits, 32x32 patches of two sample photos, 2-D toys) "
    "with small CPU-sized models and minutes of training; distances use a small digits "
    "classifier's features (a classifier Fréchet distance), never Inception features, so "
    "they are not FID and not Inception scores. The published results are on other data, "
    "at other resolutions, with models and budgets hundreds of times larger. They stand "
    "beside ours for context only."
)

# (family, results file, regex on a table row, label of the figure). Rows are
# keyed by their first cells (`KEY_CELLS`); where a file repeats a key, the
# newest section wins (results files append sections).
RESULT_ROWS = [
    (
        "RealNVP",
        "real_nvp_results.md",
        r"^\| 8gaussians \|",
        "2-D 8 Gaussians: test NLL, entropy, gap",
    ),
    (
        "RealNVP",
        "real_nvp_results.md",
        r"^\| checkerboard \|",
        "2-D checkerboard: test NLL, entropy, gap",
    ),
    (
        "RealNVP",
        "real_nvp_results.md",
        r"^\| RealNVP \(",
        "8x8 digits: bits/dim vs Gaussian mixture",
    ),
    (
        "RealNVP",
        "real_nvp_results.md",
        r"^\| GaussianMixture, logit",
        "8x8 digits: baseline Gaussian mixture",
    ),
    (
        "GAN / WGAN-GP",
        "pacgan_modes_results.md",
        r"^\| (ring8|grid25) \|",
        "PacGAN mixtures: modes, high quality, reverse KL",
    ),
    (
        "StyleGAN2 / DCGAN",
        "stylegan2_digits_results.md",
        r"^\| (stylegan2|dcgan|real training)",
        "digits: classifier Fréchet distance",
    ),
    (
        "CycleGAN",
        "cyclegan_results.md",
        r"^\| [AB] → [AB] \((china|flower)",
        "photo domains: translated labelled as target, cycle L1",
    ),
    (
        "CycleGAN",
        "cyclegan_results.md",
        r"^\| [AB] → [AB] \((sneaker|ankle boot)",
        "Fashion-MNIST sneakers / ankle boots: read as the target class, cycle L1",
    ),
    (
        "metrics floor",
        "metrics_results.md",
        r"^\| train split \(1,000\)",
        "real train vs test digits (the floor)",
    ),
]

KEY_CELLS = {"pacgan_modes_results.md": 2}

# Reference on the same data for each preset metric (what "good" means there).
PRESET_REFERENCES = {
    "test_nll_nats": "true entropy {true_entropy_nats:.3f} nats",
    "test_bits_per_dim": "uniform {uniform_bits_per_dim:.3f} bits/dim",
    "classifier_frechet_distance": "real-data floor 4.9 (8x8) / 3.4 (16x16)",
    "classifier_frechet_distance_ddim50": "real-data floor 4.9 (8x8)",
    "code_prior_mmd": "prior vs prior {prior_prior_mmd_floor:.4f}",
    "reverse_kl": "0 (all modes, evenly)",
    "test_accuracy": "-",
    "test_nll_iwae100_nats": "-",
    "cycle_l1_a": "0.74 (random patch of the domain)",
}


def preset_rows():
    rows = []
    for path in sorted(glob.glob(os.path.join(PRESETS, "*", "metadata.json"))):
        with open(path) as f:
            meta = json.load(f)
        metrics = meta.get("metrics") or {}
        shown = ", ".join(f"{k} {_num(v)}" for k, v in metrics.items())
        refs = []
        for key, template in PRESET_REFERENCES.items():
            if key in metrics:
                try:
                    refs.append(template.format(**metrics))
                except (KeyError, ValueError):
                    refs.append(template)
        rows.append(
            [
                os.path.basename(os.path.dirname(path)),
                meta.get("class_name", "?"),
                shown or "-",
                "; ".join(r for r in refs if r != "-") or "-",
                f"{meta.get('backend', '?')}, {meta.get('seconds', '?')} s, {str(meta.get('date', '?'))[:10]}",
            ]
        )
    return rows


def _num(v):
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def result_rows():
    rows = []
    for family, name, pattern, label in RESULT_ROWS:
        path = os.path.join(bench_utils.HERE, name)
        if not os.path.exists(path):
            continue
        with open(path) as f:
            text = f.read()
        found = {}
        for section in re.split(r"(?m)^## ", text)[1:]:
            heading = section.splitlines()[0]
            for line in section.splitlines():
                if re.search(pattern, line):
                    cells = [
                        c.strip() for c in line.strip().strip("|").split("|")
                    ]
                    key = tuple(cells[: KEY_CELLS.get(name, 1)])
                    found[key] = [
                        family,
                        label,
                        " / ".join(cells),
                        f"`benchmarks/{name}`, {heading[:10]}",
                    ]
        rows.extend(found.values())
    return rows


def markdown():
    lines = [
        "## Quality",
        "",
        NOT_COMPARABLE,
        "",
        "### Measured on the embedded data (from the benchmark results files)",
        "",
        bench_utils.markdown_table(
            ["family", "what", "row (as in the source table)", "source"],
            result_rows(),
        ),
        "",
        "### Measured when the built-in presets were trained (`metadata.json`)",
        "",
        bench_utils.markdown_table(
            [
                "preset",
                "class",
                "measured",
                "reference on the same data",
                "backend, training time, date",
            ],
            preset_rows(),
        ),
        "",
        "### Published headline results (context only, NOT comparable)",
        "",
        bench_utils.markdown_table(
            ["model", "paper", "data", "headline"], PUBLISHED
        ),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown())
