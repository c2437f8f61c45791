"""Without the ``otel`` extra, the spans around publishes and store writes cost nothing
and change nothing: the code runs the same, and no OpenTelemetry module is imported."""

from __future__ import annotations

import subprocess
import sys

WITHOUT_OTEL = """
import sys
sys.modules["opentelemetry"] = None  # as if the extra were not installed: import fails
from argo_agents.telemetry import span
with span("argo.sync.publish", store="redis", events=3) as traced:
    traced.set("outcome", "published")
try:
    with span("argo.sync.store_write", store="neo4j", events=1):
        raise KeyError("boom")
except KeyError:
    print("raised through")
print(sorted(m for m in sys.modules if m.startswith("opentelemetry")))
"""


def test_spans_are_a_no_op_when_opentelemetry_is_not_installed():
    out = subprocess.run(
        [sys.executable, "-c", WITHOUT_OTEL], capture_output=True, text=True, check=True
    )
    assert out.stdout.splitlines() == ["raised through", "['opentelemetry']"]
