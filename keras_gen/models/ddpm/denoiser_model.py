"""The base of the models built around one denoiser network (DDPM and
FlowMatching): the default networks, the check of a user's network, the
moving average of its weights, label dropout and classifier-free
guidance."""

from keras import ops

from keras_gen import backend
from keras_gen.layers.ema import ExponentialMovingAverage
from keras_gen.models import network as network_lib
from keras_gen.models.ddpm import networks
from keras_gen.models.generative_model import GenerativeModel
from keras_gen.utils import validation


class DenoiserModel(GenerativeModel):
    """A `GenerativeModel` whose one trained network is a denoiser
    `[x_t, t(, label)] -> output` shaped like `x_t` (a `UNet` for images or
    an `MLPDenoiser` for vectors by default), with a moving average of its
    weights (`ema_denoiser`) for sampling.

    Subclasses (`DDPM`, `FlowMatching`) define what the output and the
    time input `t` mean (`time_input_description`), the loss and the
    sampler. Conditional models (`num_classes`) train with label dropout
    (`training_labels`): the label `num_classes` is the null label, so one
    network gives the conditional and the unconditional outputs that
    classifier-free guidance combines (`guided_output`).

    A subclass may have the denoiser output `output_multiplier` times the
    data's channels (last axis): the first `data_shape[-1]` are the
    prediction, the others extra outputs (DDPM's learned variance), which
    guidance does not mix (`guided_output`).

    Args:
        denoiser, data_shape, value_range, num_classes, label_dropout,
        ema_decay, width, channel_multipliers, num_res_blocks,
        attention_resolutions, dropout, data_format, hidden_dim,
        num_layers, seed: as documented by the subclasses.
        output_multiplier: how many times the data's channels the
            denoiser outputs (set by the subclass; not a config entry).
    """

    network_args = ("denoiser",)
    model_range = (-1.0, 1.0)
    default_value_range = (-1.0, 1.0)
    # Model parallelism: the U-Net's named layers (the MLP denoiser's
    # `dense_*` and the label embedding match the shared Keras-layer rules).
    layout_rules = GenerativeModel.layout_rules + (
        (
            r".*(conv_in|conv_out|conv_\d+|skip|downsample_\d+|upsample_\d+)/kernel",
            (None, None, None, "model"),
        ),
        (r".*_embedding/kernel", (None, "model")),  # timestep projections
        (
            r".*_attention/(query|key|value|attention_output)/kernel",
            (None, None, "model"),
        ),
    )
    _unet_args = (
        "width",
        "channel_multipliers",
        "num_res_blocks",
        "attention_resolutions",
        "dropout",
        "data_format",
    )
    _mlp_args = ("hidden_dim", "num_layers")
    # What the time input of the denoiser is, for the error on a user's
    # network that does not take it.
    time_input_description = (
        "t a float32 vector (batch,) of timesteps in [0, T)"
    )

    def __init__(
        self,
        denoiser=None,
        data_shape=None,
        value_range="auto",
        num_classes=None,
        label_dropout=0.1,
        ema_decay=0.9999,
        width=64,
        channel_multipliers=(1, 2),
        num_res_blocks=2,
        attention_resolutions=(4,),
        dropout=0.0,
        data_format="channels_last",
        hidden_dim=256,
        num_layers=4,
        seed=None,
        output_multiplier=1,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        self.output_multiplier = validation.check_positive_int(
            output_multiplier, "output_multiplier"
        )
        self.label_dropout = validation.check_rate(
            label_dropout, "label_dropout"
        )
        self.ema_decay = validation.check_in_range(
            ema_decay, "ema_decay", 0.0, 1.0
        )
        if denoiser is None and data_shape is None:
            raise ValueError(
                "Pass `data_shape` (the shape of one sample) to build the default "
                "denoiser, or pass a `denoiser`. Received: data_shape=None"
            )
        if data_shape is None:
            data_shape = validation.network_input_shape(denoiser)
        self._set_data_contract(data_shape, value_range, num_classes)
        self.unet_config = dict(
            width=validation.check_positive_int(width, "width"),
            channel_multipliers=validation.check_int_sequence(
                channel_multipliers, "channel_multipliers"
            ),
            num_res_blocks=validation.check_positive_int(
                num_res_blocks, "num_res_blocks"
            ),
            attention_resolutions=tuple(attention_resolutions),
            dropout=validation.check_rate(dropout, "dropout"),
            data_format=data_format,
        )
        self.mlp_config = dict(
            hidden_dim=validation.check_positive_int(hidden_dim, "hidden_dim"),
            num_layers=validation.check_positive_int(num_layers, "num_layers"),
        )

        # Only a non-default output width enters the network's config.
        extra = (
            {"output_channels": self.denoiser_output_shape[-1]}
            if self.output_multiplier != 1
            else {}
        )

        def build():
            if len(self.data_shape) == 1:
                return networks.MLPDenoiser(
                    self.data_shape,
                    num_classes=self.num_classes,
                    **self.mlp_config,
                    **extra,
                )
            return networks.UNet(
                self.data_shape,
                num_classes=self.num_classes,
                **self.unet_config,
                **extra,
            )

        self.denoiser = self._default_network("denoiser", denoiser, build)
        backend.check_image_data_format(self.denoiser, "denoiser")
        self._check_denoiser_contract()
        self.ema_denoiser = ExponentialMovingAverage(
            self.denoiser, self.ema_decay, name="ema_denoiser"
        )

    @property
    def denoiser_output_shape(self):
        """The shape of one output of the denoiser: the data's, with
        `output_multiplier` times its channels."""
        return self.data_shape[:-1] + (
            self.data_shape[-1] * self.output_multiplier,
        )

    def split_output(self, out):
        """`(prediction, extra)`: the denoiser's output split on the last
        axis (`extra` is `None` when there are no extra channels)."""
        if self.output_multiplier == 1:
            return out, None
        channels = self.data_shape[-1]
        return out[..., :channels], out[..., channels:]

    def _check_denoiser_contract(self):
        """A user's denoiser maps `[x_t, t(, label)]` to
        `denoiser_output_shape`, and its label embedding has a row for the
        null label."""
        if self.uses_default_network("denoiser"):
            return
        inputs = [(2,) + self.data_shape, (2,)] + (
            [(2,)] if self.num_classes is not None else []
        )
        dtypes = ["float32", "float32"] + (
            ["int32"] if self.num_classes is not None else []
        )
        what = "[x_t, t" + (
            ", labels]" if self.num_classes is not None else "]"
        )
        try:
            out = network_lib.symbolic_outputs(self.denoiser, inputs, dtypes)
        except Exception as e:
            raise ValueError(
                f"`denoiser` must take {what}: x_t of shape (batch, {', '.join(map(str, self.data_shape))}), "
                f"{self.time_input_description}"
                + (
                    ", labels an int32 vector (batch,)"
                    if self.num_classes is not None
                    else ""
                )
                + f". Calling it on them failed: {e}. Received: denoiser={self.denoiser.name!r}"
            ) from e
        if (
            isinstance(out, (list, tuple))
            or tuple(out.shape[1:]) != self.denoiser_output_shape
        ):
            shape = (
                [tuple(o.shape) for o in out]
                if isinstance(out, (list, tuple))
                else tuple(out.shape)
            )
            what = (
                "shaped like x_t"
                if self.output_multiplier == 1
                else f"with {self.output_multiplier} times x_t's channels"
            )
            raise ValueError(
                f"`denoiser` must return a tensor {what} {(None,) + self.denoiser_output_shape}. "
                f"Received: denoiser with output shape {shape}"
            )
        if self.num_classes is not None:
            for layer in network_lib.embeddings_reading(self.denoiser, 2):
                if layer.input_dim < self.num_classes + 1:
                    raise ValueError(
                        f"The label embedding {layer.name!r} of `denoiser` needs num_classes + 1 = "
                        f"{self.num_classes + 1} rows: label {self.num_classes} is the null label of "
                        f"classifier-free guidance. Received: Embedding(input_dim={layer.input_dim})"
                    )

    # -- the network ---------------------------------------------------------

    @staticmethod
    def _denoise(network, x_t, t, labels=None, training=False):
        """The denoiser's output; `t` is passed as float32 (its documented
        type), whatever integer or float times the caller has."""
        t = ops.cast(t, "float32")
        inputs = [x_t, t] if labels is None else [x_t, t, labels]
        return network(inputs, training=training)

    def call(self, inputs, training=False):
        """`model([x_t, t(, labels)])`: the denoiser's output.

        A bare batch of data passes through unchanged: the training forward
        pass, which needs the labels, runs in `compute_loss`.
        """
        if isinstance(inputs, (list, tuple)):
            return self._denoise(
                self.denoiser,
                inputs[0],
                inputs[1],
                *inputs[2:],
                training=training,
            )
        self._check_batch(inputs)
        return inputs

    def sampling_network(self, use_ema=True):
        """The denoiser sampling uses: the moving average, or the weights."""
        return self.ema_denoiser.network if use_ema else self.denoiser

    @property
    def latent_shape(self):
        return self.data_shape

    # -- training --------------------------------------------------------------

    def training_labels(self, y, batch, training):
        """The labels of a training batch (`None` when unconditional), with
        label dropout in training."""
        labels = self._training_labels(y)
        if labels is None:
            return None
        if training and self.label_dropout > 0:
            # Classifier-free guidance: train the unconditional model too,
            # by replacing labels with the null label (Ho & Salimans, 2022,
            # algorithm 1).
            drop = self.random_uniform((batch,)) < self.label_dropout
            labels = ops.where(drop, self.num_classes, labels)
        return labels

    def finish_loss(self, per_sample, sample_weight, training):
        """The batch loss from per-sample losses (weighted mean, plus the
        networks' own losses); in training, moves the moving average."""
        if sample_weight is not None:
            weight = ops.cast(
                ops.reshape(sample_weight, (-1,)), per_sample.dtype
            )
            loss = ops.sum(per_sample * weight) / ops.maximum(
                ops.sum(weight), 1e-12
            )
        else:
            loss = ops.mean(per_sample)
        if training:
            # The average moves toward the weights of this step (before the
            # optimizer's update: a one-step lag that does not matter at
            # these decays).
            self.ema_denoiser.update(self.denoiser)
        losses = self.losses
        if losses:
            loss = loss + ops.sum(ops.stack(losses))
        return loss

    # -- guidance --------------------------------------------------------------

    def check_guidance_scale(self, guidance_scale):
        """A finite scale >= 0; anything but 1 needs a conditional model."""
        guidance_scale = validation.check_non_negative(
            guidance_scale, "guidance_scale"
        )
        if guidance_scale != 1.0 and self.num_classes is None:
            raise ValueError(
                "Classifier-free guidance needs a conditional model (num_classes=None). "
                f"Received: guidance_scale={guidance_scale}"
            )
        return guidance_scale

    def guided_output(self, network, x, t, labels, guidance_scale):
        """The output at `(x, t)` (t per sample) with classifier-free
        guidance at scale s (a Python float): ε̃ = ε_∅ + s (ε_c − ε_∅)
        (Ho & Salimans, eq. 6 with w = s − 1). Any output that is affine in
        the prediction at fixed x (ε, x_0, v, a flow's velocity) combines
        the same way. s = 0 is the unconditional model alone. Extra output
        channels (a learned variance) are the conditional branch's, as in
        GLIDE (Nichol et al., 2022)."""
        batch = ops.shape(x)[0]
        if self.num_classes is None:
            return self._denoise(network, x, t)
        if guidance_scale == 1.0:
            return self._denoise(network, x, t, labels)
        null = ops.full((batch,), self.num_classes, dtype="int32")
        if guidance_scale == 0.0:
            return self._denoise(network, x, t, null)
        # One batched call for both halves.
        both = self._denoise(
            network,
            ops.concatenate([x, x], axis=0),
            ops.concatenate([t, t], axis=0),
            ops.concatenate([labels, null], axis=0),
        )
        conditional, unconditional = both[:batch], both[batch:]
        conditional, extra = self.split_output(conditional)
        unconditional, _ = self.split_output(unconditional)
        guided = unconditional + guidance_scale * (conditional - unconditional)
        if extra is None:
            return guided
        return ops.concatenate([guided, extra], axis=-1)

    # -- saving ------------------------------------------------------------------

    def get_config(self):
        config = super().get_config()
        config.update(
            data_shape=self.data_shape,
            num_classes=self.num_classes,
            label_dropout=self.label_dropout,
            ema_decay=self.ema_decay,
        )
        if self.uses_default_network("denoiser"):
            # The hyper-parameters of the default denoiser that was built.
            config.update(self.denoiser_hyper_parameters())
        return config

    def denoiser_hyper_parameters(self):
        """The arguments of the default denoiser this model built (the
        MLP's for vectors, the U-Net's for images)."""
        return dict(
            self.mlp_config if len(self.data_shape) == 1 else self.unet_config
        )
