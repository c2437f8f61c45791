"""Completion-time prediction error: `python bench/prediction_error.py [--runs N] [--seed S]`.

On a fresh local stack it seeds N step runs per action as `agent_activity`
records through the sync engine (so they land in the warehouse's
`agent_activities.duration_ms` like a run's), then predicts held-out runs the
way assignment does (`learning.prediction.predict_step` on the history read
back by `analytics.queries.action_runs`) and prints the mean absolute
percentage error of the prediction and of the template's estimate.

The seeded history is synthetic, and says how: each action's true mean is its
template estimate times a factor drawn from 0.3..3 (templates are guesses),
each agent has a true speed, the load factor is 1 + (load − 0.5) × 0.5 and each
run has log-normal noise (σ = 0.25). The generating model has the predictor's
form, so this measures the estimation from history and the code path, not
whether real work follows that form.
"""

from __future__ import annotations

import argparse
import math
import random
import uuid
from pathlib import Path

from scratch import scratch_dir

from argo_agents.analytics.queries import action_runs
from argo_agents.assignment.registry import AgentRegistry
from argo_agents.bootstrap import ModelChoice, build_services
from argo_agents.config import Settings
from argo_agents.learning.history import build_history
from argo_agents.learning.prediction import load_factor, predict_step
from argo_agents.local_stack import LocalStack
from argo_agents.planning.offline import plan_offline
from argo_agents.sync.config import SyncConfig
from argo_agents.sync.events import SyncEvent

GOAL = "Optimise the checkout service query latency"
SPEEDS = {"technical-1": 0.8, "research-1": 1.0, "creative-1": 1.3}
NOISE_SIGMA = 0.25
MAX_WORKLOAD = 5


def true_duration(rng: random.Random, mean_s: float, agent: str, workload: int) -> float:
    """One run's duration under the seeding model (see the module docstring)."""
    noise = math.exp(rng.gauss(0, NOISE_SIGMA))
    return mean_s * SPEEDS[agent] * load_factor(workload / MAX_WORKLOAD) * noise


def seed_events(
    rng: random.Random, means: dict[str, float], runs: int, tag: str
) -> list[SyncEvent]:
    """``runs`` activity records per action, as a run's step would publish them."""
    events = []
    for action, mean_s in means.items():
        for i in range(runs):
            agent, workload = rng.choice(sorted(SPEEDS)), rng.randrange(MAX_WORKLOAD + 1)
            events.append(
                SyncEvent(
                    entity_type="agent_activity",
                    entity_id=f"bench-{tag}-{action}-{i}",
                    version=1,
                    data={
                        "agent_id": agent,
                        "task_id": f"goal-bench-{tag}-{i}",
                        "task_type": "optimize",
                        "activity_type": action,
                        "success": True,
                        "duration_s": round(true_duration(rng, mean_s, agent, workload), 3),
                    },
                )
            )
    return events


def mape(pairs: list[tuple[float, float]]) -> float:
    """Mean absolute percentage error of (estimate, actual) pairs, in percent."""
    return 100 * sum(abs(e - a) / a for e, a in pairs) / len(pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="seeded runs per action")
    parser.add_argument("--tests", type=int, default=50, help="held-out runs per action")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    plan = plan_offline(GOAL)
    means = {s.action: s.estimated_duration_s * rng.uniform(0.3, 3.0) for s in plan.steps}
    data_dir = args.data_dir or scratch_dir("argo-predict-")
    stack = LocalStack(Settings(_env_file=None, data_dir=data_dir))  # type: ignore[call-arg]
    print(f"local stack in {data_dir} …")
    endpoints = stack.up()
    config = SyncConfig(namespace=f"bench:{uuid.uuid4().hex[:8]}", block_ms=50)
    services = build_services(
        stack.settings, endpoints=endpoints, model=ModelChoice.OFFLINE, sync_config=config
    )
    try:
        events = seed_events(rng, means, args.runs, uuid.uuid4().hex[:6])
        services.engine.publish(events)
        services.engine.drain(timeout_s=120)
        rows = action_runs(services.stores.warehouse, list(means), limit=len(events))
        history = build_history(rows)
        print(f"seeded {len(events)} runs of {len(means)} actions; read back {len(rows)}")
        registry = AgentRegistry.default()
        predicted, template = [], []
        for step in plan.steps:
            for _ in range(args.tests):
                agent_id, workload = rng.choice(sorted(SPEEDS)), rng.randrange(MAX_WORKLOAD + 1)
                actual = true_duration(rng, means[step.action], agent_id, workload)
                pred = predict_step(step, registry.get(agent_id), workload, history)
                assert pred is not None, f"no history read back for {step.action}"
                predicted.append((pred.predicted_s, actual))
                template.append((float(step.estimated_duration_s), actual))
        print(f"held-out runs: {len(predicted)}")
        print(f"MAPE of the prediction from history: {mape(predicted):6.1f} %")
        print(f"MAPE of the template's estimate:     {mape(template):6.1f} %")
    finally:
        services.close()
        stack.down()


if __name__ == "__main__":
    main()
