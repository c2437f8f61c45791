"""Completion-time prediction : mean × speed × (1 + (load − 0.5) × 0.5)."""

from __future__ import annotations

import pytest

from argo_agents.analytics.queries import predict_completion_s


def test_neutral_load_and_speed_give_the_mean() -> None:
    assert predict_completion_s([100, 200, 300], 1.0, 0.5) == pytest.approx(200)


def test_speed_and_load_scale_the_mean() -> None:
    # 200 × 1.5 × (1 + 0.5 × 0.5) = 375; idle agents finish sooner than the mean
    assert predict_completion_s([100, 300], 1.5, 1.0) == pytest.approx(375)
    assert predict_completion_s([100, 300], 1.0, 0.0) == pytest.approx(150)


def test_no_history_is_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="no similar durations"):
        predict_completion_s([], 1.0, 0.5)
