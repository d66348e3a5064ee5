"""`python -m keras_gen.cli ...` runs the `keras-gen` command."""

import sys

from keras_gen.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
