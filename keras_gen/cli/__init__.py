"""The `keras-gen` command line: train, sample, evaluate and list presets.

Nothing here imports Keras at module level, so that `--backend` can choose
the backend first (see `keras_gen.cli.main`).
"""
