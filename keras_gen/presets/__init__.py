"""Presets: trained models loaded by name, saved and shared as directories.

A preset is a directory in keras-hub's layout: `config.json`,
`model.weights.h5` and `metadata.json`. Every keras_gen model has
`Model.from_preset(handle)` and `model.save_to_preset(directory)`.
"""

from keras_gen.presets.handles import BUILTIN_DIR, resolve_handle
from keras_gen.presets.loading import from_preset, load_config, load_metadata
from keras_gen.presets.mixin import PresetMixin
from keras_gen.presets.reference import check_reference, reference_outputs
from keras_gen.presets.registry import list_presets
from keras_gen.presets.safety import PresetIntegrityError, UnsafePresetError
from keras_gen.presets.saving import save_to_preset
from keras_gen.presets.upgrade import upgrade_preset
