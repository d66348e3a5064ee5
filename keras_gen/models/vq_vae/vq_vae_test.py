import keras
import numpy as np
import pytest
from keras import ops

from keras_gen import datasets
from keras_gen.models import VQVAE
from keras_gen.testing import contract


def test_family_contract(tmp_path):
    contract.run_family_contract_test("vq_vae", tmp_path)
