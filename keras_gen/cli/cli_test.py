import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from PIL import Image

from keras_gen.cli.main import main
from keras_gen.models import GenerativeModel


def run_cli(argv, capsys):
    code = main(argv)
    out = capsys.readouterr().out
    return code, out


def test_train_saves_a_preset_that_sample_and_evaluate_read(tmp_path, capsys):
    out = str(tmp_path / "run")
    code, text = run_cli(
        [
            "train",
            "vae",
            "--data",
            "digits",
            "--epochs",
            "2",
            "--max-samples",
            "128",
            "--batch-size",
            "32",
            "--out",
            out,
            "--verbose",
            "0",
        ],
        capsys,
    )
    assert code == 0 and "trained in" in text
    history = json.load(open(os.path.join(out, "history.json")))
    assert history["loss"][-1] < history["loss"][0]
    assert Image.open(os.path.join(out, "samples.png")).size[0] >= 64
    model = GenerativeModel.from_preset(os.path.join(out, "preset"))
    assert model.__class__.__name__ == "VAE" and model.data_shape == (8, 8, 1)

    grid = str(tmp_path / "grid.png")
    code, _ = run_cli(
        [
            "sample",
            os.path.join(out, "preset"),
            "--num",
            "9",
            "--out",
            grid,
            "--seed",
            "3",
        ],
        capsys,
    )
    assert code == 0
    first = np.asarray(Image.open(grid))
    run_cli(
        [
            "sample",
            os.path.join(out, "preset"),
            "--num",
            "9",
            "--out",
            grid,
            "--seed",
            "3",
        ],
        capsys,
    )
    np.testing.assert_array_equal(
        np.asarray(Image.open(grid)), first
    )  # --seed fixes the draw

    code, text = run_cli(
        [
            "evaluate",
            os.path.join(out, "preset"),
            "--data",
            "digits",
            "--num-samples",
            "64",
        ],
        capsys,
    )
    assert code == 0 and json.loads(text)["classifier_frechet_distance"] > 0


def test_train_a_gan_on_a_toy_density(tmp_path, capsys):
    out = str(tmp_path / "toy")
    code, _ = run_cli(
        [
            "train",
            "gan",
            "--data",
            "toy:8gaussians",
            "--epochs",
            "1",
            "--max-samples",
            "1024",
            "--out",
            out,
            "--verbose",
            "0",
        ],
        capsys,
    )
    assert code == 0 and os.path.isfile(os.path.join(out, "samples.png"))
    metadata = json.load(open(os.path.join(out, "preset", "metadata.json")))
    assert (
        metadata["cli_data"] == "toy:8gaussians"
        and metadata["final_losses"]["d_loss"] > 0
    )


def test_train_reads_an_image_folder(tmp_path, capsys):
    folder = tmp_path / "images"
    folder.mkdir()
    rng = np.random.RandomState(0)
    for i in range(12):
        Image.fromarray(rng.randint(0, 255, (20, 20), dtype="uint8")).save(
            folder / f"{i}.png"
        )
    code, _ = run_cli(
        [
            "train",
            "gan",
            "--data",
            str(folder),
            "--image-size",
            "8",
            "--epochs",
            "1",
            "--out",
            str(tmp_path / "run"),
            "--verbose",
            "0",
        ],
        capsys,
    )
    assert code == 0
    assert GenerativeModel.from_preset(
        str(tmp_path / "run" / "preset")
    ).data_shape == (8, 8, 1)


def test_sample_a_builtin_preset(tmp_path, capsys):
    grid = str(tmp_path / "points.png")
    code, text = run_cli(
        ["sample", "wgan_gp_8gaussians", "--num", "200", "--out", grid], capsys
    )
    assert code == 0 and "WGANGP" in text and os.path.isfile(grid)


def test_presets_lists_quality_figures(capsys):
    code, text = run_cli(["presets", "--json"], capsys)
    rows = {r["name"]: r for r in json.loads(text)}
    assert code == 0 and "vae_digits" in rows
    assert rows["vae_digits"]["metrics"]["test_nll_iwae100_nats"] > 0


@pytest.mark.parametrize(
    "argv, needle",
    [
        (
            ["train", "gann", "--data", "digits", "--out", "x"],
            "argument family: Unknown model family 'gann'",
        ),
        (
            ["train", "gan", "--out", "x"],
            "the following arguments are required: --data",
        ),
        (
            ["train", "gan", "--data", "digits", "--epochs", "0", "--out", "x"],
            "argument --epochs: must be a positive integer. Received: '0'",
        ),
        (
            [
                "train",
                "gan",
                "--data",
                "digits",
                "--learning-rate",
                "-1",
                "--out",
                "x",
            ],
            "argument --learning-rate: must be a positive number. Received: '-1'",
        ),
        (
            ["train", "gan", "--data", "nowhere", "--out", "x"],
            "argument --data: expected `digits`",
        ),
        (
            ["train", "gan", "--data", "toy:spiral", "--out", "x"],
            "unknown toy density 'spiral'",
        ),
        (
            ["train", "cyclegan", "--data", "digits", "--out", "x"],
            "Received: --data=digits",
        ),
        (
            ["train", "stylegan2", "--data", "toy:moons", "--out", "x"],
            "stylegan2 has no configuration for 'toy:moons'",
        ),
        (
            [
                "train",
                "stylegan2",
                "--data",
                "digits",
                "--image-size",
                "9",
                "--out",
                "x",
            ],
            "argument --image-size: `resolution` must be 4, 5, 6 or 7 times a power of two (e.g. 16, 28, 32, 64). Received: resolution=9",
        ),
        (["sample", "no_such_preset", "--out", "x.png"], "argument preset"),
        (
            ["--backend", "theano", "presets"],
            "argument --backend: invalid choice: 'theano'",
        ),
    ],
)
def test_bad_arguments_name_the_argument(
    argv, needle, capsys, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert needle in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "x")  # nothing half-written


def test_backend_flag_runs_on_that_backend(capfd, tmp_path):
    other = "torch" if keras.backend.backend() != "torch" else "jax"
    # Importing keras_gen fixed this process's backend: the CLI re-runs itself.
    code = main(
        [
            "--backend",
            other,
            "sample",
            "wgan_gp_8gaussians",
            "--num",
            "10",
            "--out",
            str(tmp_path / "p.png"),
        ]
    )
    assert code == 0 and f"{other} backend" in capfd.readouterr().out


def test_python_dash_m_lists_presets():
    result = subprocess.run(
        [sys.executable, "-m", "keras_gen.cli", "presets"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=os.path.dirname(
            os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        ),
    )
    assert result.returncode == 0, result.stderr
    assert (
        "vae_digits" in result.stdout
        and "test_nll_iwae100_nats" in result.stdout
    )


def test_train_checks_out_before_training(tmp_path, capsys, monkeypatch):
    """A `--out` that cannot take the result is refused before any training
    (issue: the CLI trained, then discarded the model)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a_file").write_text("x")
    (tmp_path / "taken" / "preset").mkdir(parents=True)
    (tmp_path / "taken" / "preset" / "notes.txt").write_text("mine")
    for out, needle in (
        ("a_file", "it is a file"),
        ("taken", "is not a keras_gen preset"),
    ):
        with pytest.raises(SystemExit) as info:
            main(
                [
                    "train",
                    "vae",
                    "--data",
                    "digits",
                    "--epochs",
                    "1",
                    "--out",
                    out,
                ]
            )
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert (
            "argument --out" in err
            and needle in err
            and "trained in" not in err
        )
    assert (tmp_path / "taken" / "preset" / "notes.txt").read_text() == "mine"
    with pytest.raises(SystemExit):
        main(["sample", "vae_digits", "--out", str(tmp_path)])
    assert "it is a directory" in capsys.readouterr().err


def test_a_truncated_image_is_named(tmp_path, capsys):
    from PIL import Image

    folder = tmp_path / "images"
    folder.mkdir()
    for i in range(3):
        Image.fromarray(np.full((16, 16), 40 * i, "uint8")).save(
            folder / f"{i}.png"
        )
    data = (folder / "1.png").read_bytes()
    (folder / "1.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(SystemExit) as info:
        main(
            [
                "train",
                "vae",
                "--data",
                str(folder),
                "--epochs",
                "1",
                "--out",
                str(tmp_path / "out"),
            ]
        )
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "1.png" in err and "--data" in err
    assert not (tmp_path / "out").exists()


def test_train_on_fashion_mnist_and_its_two_class_domains(
    tmp_path, capsys, monkeypatch
):
    """`--data fashion_mnist` reads the IDX files (small stand-ins here, in
    the directory `$KERAS_GEN_FASHION_MNIST_DIR` names), at 28x28."""
    from keras_gen.datasets import fashion_mnist as fm
    from keras_gen.datasets.fashion_mnist_test import write_fashion_files

    monkeypatch.setattr(
        fm, "SHA256", write_fashion_files(tmp_path / "fm", num=40)
    )
    monkeypatch.setattr(fm, "DEBIAN_DIR", str(tmp_path / "nowhere"))
    monkeypatch.setenv(fm.ENV_VAR, str(tmp_path / "fm"))
    from keras_gen.cli import families
    from keras_gen.cli.data import load_data

    images = load_data("fashion_mnist")
    assert images.kind == "images" and images.train.shape == (40, 28, 28, 1)
    assert 0.0 <= images.train.min() and images.train.max() <= 1.0
    vae = families.get_family("vae")
    assert (
        families.configuration_name(vae, "fashion_mnist", "images")
        == "fashion_mnist"
    )
    assert families.default_image_size("vae", "fashion_mnist") == 28
    pairs = load_data("fashion_mnist", pairs=True)
    assert pairs.kind == "pairs" and pairs.train[0].shape[1:] == (28, 28, 1)
    assert (
        len(pairs.train[0]) == 4 and len(pairs.train[1]) == 4
    )  # labels 7 and 9 of 40
