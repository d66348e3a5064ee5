"""`from_preset` / `save_to_preset` as methods of every keras_gen model."""


class PresetMixin:
    """Gives a model class `from_preset` and `save_to_preset`.

    `GenerativeModel` inherits it, so every keras_gen model has them.
    """

    @classmethod
    def from_preset(cls, preset, load_weights=True, **config_overrides):
        """Builds a model of this class from a preset.

        `keras_gen.models.GenerativeModel.from_preset` returns whatever
        keras_gen model the preset holds; a subclass (`VAE.from_preset`)
        refuses a preset of another class.

        Args:
            preset: a built-in name (`keras_gen.presets.list_presets(cls)`),
                a local directory, `"hf://owner/repo"` or
                `"kaggle://owner/model/framework/variation"`.
            load_weights: load the trained weights.
            **config_overrides: constructor arguments replacing the
                preset's; weights that no longer fit are skipped and listed
                in a warning and in `model.skipped_weights`.

        Returns:
            The model, uncompiled.

        Example:

        ```python
        vae = keras_gen.models.VAE.from_preset("vae_digits")
        vae.encoder.trainable = False          # fine-tune the decoder only
        vae.compile(optimizer="adam")
        ```
        """
        from keras_gen.presets import loading

        return loading.from_preset(
            preset,
            load_weights=load_weights,
            model_class=cls,
            **config_overrides,
        )

    def save_to_preset(self, directory, metadata=None):
        """Saves the model as a preset directory (see
        `keras_gen.presets.save_to_preset`)."""
        from keras_gen.presets import saving

        return saving.save_to_preset(self, directory, metadata=metadata)
