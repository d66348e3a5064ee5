"""Fixed-step ODE solvers for the flow's `dy/dt = f(t, y)`, in `keras.ops`.

Each solver takes one step from `t` to `t + dt`. The state `y` is a tensor
or a tuple of tensors (the sample and the log-density change of
`FlowMatching.log_prob`); every operation is traceable, so a whole
trajectory runs inside one compiled `ops.fori_loop`.
"""

import keras

# Evaluations of `f` per step: the cost of a step in network calls.
SOLVERS = {"euler": 1, "midpoint": 2, "heun": 2, "rk4": 4}


def _axpy(y, k, h):
    """`y + h * k` over a state (a tensor or a tuple of tensors)."""
    return keras.tree.map_structure(lambda a, b: a + h * b, y, k)


def _combine(y, ks, weights, h):
    """`y + h * sum(w_i k_i)` over a state."""

    def one(a, *bs):
        return a + h * sum(w * b for w, b in zip(weights, bs))

    return keras.tree.map_structure(one, y, *ks)


def solver_step(solver, f, t, dt, y):
    """One step of `solver` for `dy/dt = f(t, y)` from `t` to `t + dt`.

    - `"euler"`: y + dt f(t, y) (first order).
    - `"midpoint"`: the explicit midpoint rule, y + dt f(t + dt/2,
      y + dt/2 f(t, y)) (second order).
    - `"heun"`: the trapezoidal predictor-corrector (Heun's method, second
      order; Karras et al., 2022, algorithm 1 without noise).
    - `"rk4"`: the classical fourth-order Runge-Kutta method.

    Args:
        solver: one of `SOLVERS`.
        f: callable `(t, y) -> dy/dt` with the structure of `y`.
        t: the current time (a scalar tensor or float).
        dt: the step (negative to integrate backwards).
        y: the state.

    Returns:
        The state at `t + dt`.
    """
    if solver == "euler":
        return _axpy(y, f(t, y), dt)
    if solver == "midpoint":
        k1 = f(t, y)
        return _axpy(y, f(t + 0.5 * dt, _axpy(y, k1, 0.5 * dt)), dt)
    if solver == "heun":
        k1 = f(t, y)
        k2 = f(t + dt, _axpy(y, k1, dt))
        return _combine(y, (k1, k2), (0.5, 0.5), dt)
    if solver == "rk4":
        k1 = f(t, y)
        k2 = f(t + 0.5 * dt, _axpy(y, k1, 0.5 * dt))
        k3 = f(t + 0.5 * dt, _axpy(y, k2, 0.5 * dt))
        k4 = f(t + dt, _axpy(y, k3, dt))
        return _combine(y, (k1, k2, k3, k4), (1 / 6, 1 / 3, 1 / 3, 1 / 6), dt)
    raise ValueError(
        f"`solver` must be one of {sorted(SOLVERS)}. Received: solver={solver!r}"
    )
