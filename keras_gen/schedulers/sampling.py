"""The reverse process of any scheduler as one `ops.fori_loop`."""

import keras
from keras import ops

_NOISE_GENERATOR = []


def _default_noise_generator():
    # A stand-in generator whose state is always replaced by the `seed_state`
    # argument (through a StatelessScope), made once, outside any trace.
    if not _NOISE_GENERATOR:
        _NOISE_GENERATOR.append(
            keras.random.SeedGenerator(0, name="sampling_noise")
        )
    return _NOISE_GENERATOR[0]


def run_reverse_process(
    denoise,
    scheduler,
    sample,
    seed_state,
    start,
    stop,
    scheduler_state=None,
    noise_generator=None,
    state_mapping=None,
):
    """Runs evaluations `[start, stop)` of a scheduler's reverse process.

    A pure function of its tensor arguments, written with `ops.fori_loop`,
    so that it compiles into one loop under `jax.jit` or `tf.function`
    (`keras_gen.backend.compile_function`; eager on torch). Each
    evaluation `i` computes

        out = denoise(scheduler.scale_model_input(x, i), t_batch)
        x, state = scheduler.step(out, i, x, z_i, state)

    with `t_batch` the time `scheduler.timesteps[i]` repeated over the
    batch and z_i a standard normal draw of the noise stream (one per
    evaluation, after the denoiser call; deterministic samplers ignore it).

    The noise is drawn with `noise_generator`, whose state is replaced by
    `seed_state` inside a `keras.StatelessScope`; the new state is
    returned, so the stream continues across calls. The same scope maps
    `state_mapping` (e.g. the network's variables to weights passed in as
    arguments: JAX bakes closed-over arrays into a compiled program).

    Args:
        denoise: `denoise(model_input, t_batch) -> model_output`, the
            denoiser with any guidance applied; `t_batch` is int32 for the
            discrete samplers and float32 for the Karras-sigma ones (round
            or interpolate it if the network takes int timesteps).
        scheduler: a `keras_gen.schedulers.Scheduler` after `set_timesteps`.
        sample: the current sample; at `start = 0`, noise scaled by
            `scheduler.init_noise_sigma`.
        seed_state: the noise generator's state (e.g.
            `keras.random.SeedGenerator(seed).state.value`).
        start, stop: the evaluation indices to run (ints or int32 scalars,
            0 <= start <= stop <= len(scheduler.timesteps)).
        scheduler_state: the scheduler's state from a previous call, or
            `None` for `scheduler.initial_state(sample)` (only at start 0).
        noise_generator: the `keras.random.SeedGenerator` that stands in for
            the noise stream; default: one shared by all calls. Create it
            outside compiled functions.
        state_mapping: `(variable, value)` pairs to map inside the loop.

    Returns:
        `(sample, seed_state, scheduler_state)` after evaluation `stop - 1`.

    Example:

    ```python
    scheduler = keras_gen.schedulers.DPMSolverMultistepScheduler()
    scheduler.set_timesteps(20)
    generator = keras.random.SeedGenerator(0)
    x = keras.random.normal((16, 8, 8, 1), seed=generator) * scheduler.init_noise_sigma
    variables = denoiser.variables

    def run(weights, x, seed_state):
        return run_reverse_process(
            lambda x, t: denoiser([x, t]), scheduler, x, seed_state, 0,
            len(scheduler.timesteps), state_mapping=list(zip(variables, weights)))

    x, _, _ = keras_gen.backend.compile_function(run)(
        [v.value for v in variables], x, generator.state.value)
    ```
    """
    generator = (
        noise_generator
        if noise_generator is not None
        else _default_noise_generator()
    )
    mapping = list(state_mapping or [])
    timesteps = ops.convert_to_tensor(scheduler.timesteps)
    time_dtype = keras.backend.standardize_dtype(timesteps.dtype)
    if scheduler_state is None:
        scheduler_state = scheduler.initial_state(sample)
    scheduler_state = tuple(scheduler_state)

    def body(i, carry):
        x, seed, state = carry
        with keras.StatelessScope(
            state_mapping=mapping + [(generator.state, seed)]
        ) as scope:
            t = ops.take(timesteps, i)
            t_batch = ops.full((ops.shape(x)[0],), t, dtype=time_dtype)
            out = denoise(scheduler.scale_model_input(x, i), t_batch)
            noise = keras.random.normal(
                ops.shape(x), dtype=x.dtype, seed=generator
            )
            seed = scope.get_current_value(generator.state)
        x, state = scheduler.step(ops.cast(out, x.dtype), i, x, noise, state)
        return x, seed, tuple(state)

    return ops.fori_loop(
        start, stop, body, (sample, seed_state, scheduler_state)
    )
