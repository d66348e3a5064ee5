"""Learning-rate schedules used by the model families."""

import keras
from keras import ops

from keras_gen.utils import validation


@keras.saving.register_keras_serializable(package="keras_gen")
class ConstantThenLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """A constant learning rate, then a linear decay to zero.

    CycleGAN (Zhu et al., 2017, sec. 7.1) keeps the learning rate at 2e-4 for
    the first 100 epochs and decays it linearly to zero over the next 100:

        lr(step) = initial_learning_rate * clip(1 - (step - constant_steps)
                                                / decay_steps, 0, 1)

    The schedule counts optimizer steps (Keras passes `optimizer.iterations`),
    so give the two phases in steps, e.g. `100 * steps_per_epoch`. After
    `constant_steps + decay_steps` steps the rate stays at zero.

    Args:
        initial_learning_rate: the constant rate of the first phase.
        constant_steps: number of steps at `initial_learning_rate`.
        decay_steps: number of steps of the linear decay to zero.

    Example:

    ```python
    steps = 500  # steps per epoch
    schedule = keras_gen.optimizers.schedules.ConstantThenLinearDecay(
        2e-4, constant_steps=100 * steps, decay_steps=100 * steps
    )
    optimizer = keras.optimizers.Adam(schedule, beta_1=0.5)
    ```
    """

    def __init__(self, initial_learning_rate, constant_steps, decay_steps):
        self.initial_learning_rate = validation.check_in_range(
            initial_learning_rate,
            "initial_learning_rate",
            0.0,
            description="a finite number >= 0",
        )
        self.constant_steps = validation.check_positive_int(
            constant_steps, "constant_steps", allow_zero=True
        )
        self.decay_steps = validation.check_positive_int(
            decay_steps, "decay_steps"
        )

    def __call__(self, step):
        step = ops.cast(step, "float32")
        progress = (step - float(self.constant_steps)) / float(self.decay_steps)
        return self.initial_learning_rate * ops.clip(1.0 - progress, 0.0, 1.0)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "constant_steps": self.constant_steps,
            "decay_steps": self.decay_steps,
        }
