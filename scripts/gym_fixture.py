#!/usr/bin/env python3
"""Reference episodes from gymnasium's MuJoCo inverted-pendulum tasks (v5).

Writes ``crates/control/tests/fixtures/gym_v5_reference.json``, the fixture that
``icnet_control::replay::replay_reference`` (and ``icnet env replay``) replays with the Rust
re-implementation of the two tasks. Runs OUTSIDE CI; the fixture is committed.

Setup (pip package ``gymnasium[mujoco]``, see requirements-gym.txt)::

    python3 -m venv scripts/.venv-gym
    scripts/.venv-gym/bin/pip install -r scripts/requirements-gym.txt
    scripts/.venv-gym/bin/python scripts/gym_fixture.py

Per task, the episodes are:

* ``random``   — actions uniform in the action space (seeded numpy generator); these end fast.
* ``small``    — uniform actions scaled by 0.1, so the poles fall slowly and episodes run longer.
* ``clipped``  — uniform actions on twice the control range: MuJoCo clamps ``ctrl`` to
  ``ctrlrange`` (``ctrllimited``), which the replay must reproduce.
* ``lqr``      — a discrete LQR balancer (linearised by finite differences of the environment's
  own step) plus uniform noise, so the episode reaches the step cap. The balancing episodes
  start from a tenth of the reset state (then shifted in x), so the balancer is not saturated.
* ``lqr-wall`` — the same balancer, started at x = 0.9 and steered to a cart target beyond the
  rail end (x = 1.3): the cart presses into the slider's joint limit, a soft constraint in
  MuJoCo, while balancing (for the double pendulum the observed constraint force saturates at
  the observation clip, ±10).
* ``push``     — starts at rest, poles upright, at x = 0.9995 (single) or 0.9902 (double: just
  inside its limit margin of 0.01, where the soft limit's resting force is a few N) and pushes the cart into the rail end with a constant 5 N: a gentle contact
  whose constraint force stays below the observation clip, so the double pendulum's last
  observation component shows MuJoCo's soft-constraint force itself.

The balancing episodes are replayed open loop (recorded actions, no feedback), so any
difference, even rounding, grows at the upright equilibrium's instability rate (about ×1.6
per step for the double pendulum, ×1.1 for the single). Their caps (``BALANCE_CAP``) keep that
growth far below the replay tolerance; the random episodes end long before the cap.

JSON shape::

    {"InvertedPendulum-v5": {"dt": …, "frame_skip": …, "timestep": …,
                             "episodes": [{"kind": …, "seed": …, "qpos0": […], "qvel0": […],
                                           "actions": [[…], …], "observations": [[…], …],
                                           "rewards": […], "terminated_at": n or null,
                                           "limit_active_steps": k}, …]},
     "InvertedDoublePendulum-v5": {…}}

``observations[0]`` is the observation returned by ``reset`` (for the state qpos0/qvel0) and
``observations[i + 1]`` the one returned by the step with ``actions[i]``; ``rewards[i]`` is that
step's task reward. ``terminated_at`` is the index of the step that returned
``terminated = True`` (the episode stops there), or null when the step cap was reached first.
``limit_active_steps`` counts steps after which MuJoCo had a joint-limit constraint row
(diagnostic only). The top level of each task also records ``frame_skip``, ``timestep`` and the
gymnasium and mujoco versions. Actions are rounded to 9 significant digits *before* they are applied, so
the recorded actions are exactly the ones MuJoCo saw; qpos0 and qvel0 keep full precision and
the other floats 12 significant digits (far below the replay tolerance of 1e-3).
"""

from __future__ import annotations

import argparse
import json
import pathlib

import gymnasium as gym
import mujoco
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "crates" / "control" / "tests" / "fixtures" / "gym_v5_reference.json"
TASKS = ["InvertedPendulum-v5", "InvertedDoublePendulum-v5"]
# Steps of the open-loop-unstable balancing episodes (see the module docstring).
BALANCE_CAP = {"InvertedPendulum-v5": 100, "InvertedDoublePendulum-v5": 40}
# Balancing episodes: cart start and target (m), and the half-width of the uniform action
# noise added to the LQR action (in control units).
BALANCE = {"lqr": (0.0, 0.0, 0.1), "lqr-wall": (0.9, 1.3, 0.1), "push": (0.9995, 0.0, 0.0)}
PUSH_START_DOUBLE = 0.9902
# The push episodes' force, N.
PUSH_FORCE = 5.0


def sig(x: float, digits: int = 12) -> float:
    """Round to ``digits`` significant digits (keeps the fixture small)."""
    return float(f"{x:.{digits}g}")


def state_of(env) -> np.ndarray:
    d = env.unwrapped.data
    return np.concatenate([d.qpos, d.qvel]).copy()


def step_from(env, state: np.ndarray, action: np.ndarray) -> np.ndarray:
    u = env.unwrapped
    nq = u.model.nq
    u.set_state(state[:nq], state[nq:])
    u.do_simulation(action, u.frame_skip)
    return state_of(env)


def lqr_gain(env) -> np.ndarray:
    """Discrete LQR gain for the upright equilibrium of one environment step.

    A and B come from central finite differences of the environment's own step (frame skip
    included); the Riccati equation is iterated to a fixed point.
    """
    u = env.unwrapped
    n = u.model.nq + u.model.nv
    x0 = np.zeros(n)
    a0 = np.zeros(u.model.nu)
    eps = 1e-6
    a_mat = np.zeros((n, n))
    for i in range(n):
        dx = np.zeros(n)
        dx[i] = eps
        a_mat[:, i] = (step_from(env, x0 + dx, a0) - step_from(env, x0 - dx, a0)) / (2 * eps)
    b_mat = np.zeros((n, u.model.nu))
    for j in range(u.model.nu):
        da = np.zeros(u.model.nu)
        da[j] = eps
        b_mat[:, j] = (step_from(env, x0, a0 + da) - step_from(env, x0, a0 - da)) / (2 * eps)
    q = np.eye(n)
    r = np.eye(u.model.nu) * 0.1
    p = q.copy()
    for _ in range(5000):
        k = np.linalg.solve(r + b_mat.T @ p @ b_mat, b_mat.T @ p @ a_mat)
        p_next = q + a_mat.T @ p @ (a_mat - b_mat @ k)
        if np.max(np.abs(p_next - p)) < 1e-10 * max(1.0, np.max(np.abs(p))):
            p = p_next
            break
        p = p_next
    return np.linalg.solve(r + b_mat.T @ p @ b_mat, b_mat.T @ p @ a_mat)


def limit_active(env) -> bool:
    d = env.unwrapped.data
    return any(d.efc_type[i] == mujoco.mjtConstraint.mjCNSTR_LIMIT_JOINT for i in range(d.nefc))


def record(env, kind: str, seed: int, cap: int, gain: np.ndarray | None) -> dict:
    rng = np.random.default_rng(seed)
    obs, _ = env.reset(seed=seed)
    u = env.unwrapped
    start_x, target_x, noise = BALANCE.get(kind, (0.0, 0.0, 0.0))
    if kind == "push":
        qpos = np.zeros(u.model.nq)
        qpos[0] = PUSH_START_DOUBLE if u.model.nq == 3 else start_x
        u.set_state(qpos, np.zeros(u.model.nv))
        obs = u._get_obs()
    elif kind in BALANCE:
        # A tenth of the reset noise, so the LQR balancer stays within the control range.
        qpos = 0.1 * u.data.qpos.copy()
        qpos[0] += start_x
        u.set_state(qpos, 0.1 * u.data.qvel.copy())
        obs = u._get_obs()
    low, high = u.action_space.low.astype(np.float64), u.action_space.high.astype(np.float64)
    qpos0 = u.data.qpos.copy()
    qvel0 = u.data.qvel.copy()
    actions, observations, rewards = [], [obs.tolist()], []
    terminated_at = None
    limit_steps = 0
    target = np.zeros(u.model.nq + u.model.nv)
    target[0] = target_x
    for t in range(cap):
        uniform = rng.uniform(low, high)
        if kind == "random":
            action = uniform
        elif kind == "small":
            action = 0.1 * uniform
        elif kind == "clipped":
            action = 2.0 * uniform
        elif kind == "push":
            action = np.full(u.model.nu, PUSH_FORCE / u.model.actuator_gear[0, 0])
        else:
            feedback = -gain @ (state_of(env) - target)
            action = np.clip(feedback + noise / high * uniform, low, high)
        action = np.array([sig(a, 9) for a in action])
        # The unwrapped env: the passive checker would warn about out-of-range actions.
        obs, reward, terminated, _, _ = u.step(action)
        limit_steps += int(limit_active(env))
        actions.append(action.tolist())
        observations.append(obs.tolist())
        rewards.append(float(reward))
        if terminated:
            terminated_at = t
            break
    return {
        "kind": kind,
        "seed": seed,
        # Full precision: the replay starts from this state.
        "qpos0": [float(v) for v in qpos0],
        "qvel0": [float(v) for v in qvel0],
        "actions": actions,
        "observations": [[sig(v) for v in o] for o in observations],
        "rewards": [sig(v) for v in rewards],
        "terminated_at": terminated_at,
        "limit_active_steps": limit_steps,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT)
    parser.add_argument("--cap", type=int, default=200, help="steps per episode at most")
    parser.add_argument("--random", type=int, default=10, help="random-action episodes per task")
    args = parser.parse_args()

    plan = [("random", s) for s in range(args.random)]
    plan += [("small", 100), ("small", 101), ("clipped", 200)]
    plan += [("lqr", 300), ("lqr-wall", 400), ("push", 500)]
    fixture = {}
    for task in TASKS:
        env = gym.make(task)
        u = env.unwrapped
        gain = lqr_gain(env)
        episodes = [
            record(env, kind, seed, BALANCE_CAP[task] if kind in BALANCE else args.cap, gain)
            for kind, seed in plan
        ]
        fixture[task] = {
            "dt": u.dt,
            "frame_skip": u.frame_skip,
            "timestep": float(u.model.opt.timestep),
            "gymnasium": gym.__version__,
            "mujoco": mujoco.__version__,
            "episodes": episodes,
        }
        for ep in episodes:
            print(
                f"{task:27s} {ep['kind']:9s} seed {ep['seed']:3d}: {len(ep['actions']):3d} steps,"
                f" terminated_at {ep['terminated_at']}, limit active after {ep['limit_active_steps']} steps"
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(fixture, separators=(",", ":"))
    args.out.write_text(text + "\n")
    print(f"wrote {args.out} ({len(text) / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
