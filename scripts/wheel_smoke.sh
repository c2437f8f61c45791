#!/usr/bin/env bash
# Build ARGO's wheel, install it in a clean virtual environment outside the checkout
# and run the LLM-path smoke test there: proves the wheel carries what a run needs
# (the prompts are package data) and the real OpenAI client works over HTTP. Then the
# pip user's local stack: `argo stack install` makes the BigQuery emulator's own
# environment from the wheel's requirements, and `argo stack up` serves all four stores.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-python3}"
work="$(mktemp -d)"
argo="$work/venv/bin/argo"
cleanup() {
  ARGO_DATA_DIR="$work/data" "$argo" stack down >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
echo "wheel smoke: building the wheel" >&2
"$root/.venv/bin/python" -m pip wheel --quiet --no-deps --wheel-dir "$work/dist" "$root"
echo "wheel smoke: installing it in a clean environment ($work/venv)" >&2
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet "$work"/dist/*.whl
cp "$root/tests/openai_stub.py" "$root/tests/smoke_llm_plan.py" "$work/"
cd "$work"  # nothing of the checkout on the path: argo_agents comes from the wheel
"$work/venv/bin/python" -c "import argo_agents, sys; sys.exit('$root' in argo_agents.__file__)"
"$work/venv/bin/python" smoke_llm_plan.py
echo "wheel smoke: the local stack from the wheel (argo stack install, up, down)" >&2
"$argo" stack install
ARGO_DATA_DIR="$work/data" "$argo" stack up
ARGO_DATA_DIR="$work/data" "$argo" stack down
