"""How votes on competing options are counted."""

from __future__ import annotations

from argo_agents.collaboration.consensus import Vote, decide

VOTES = [
    Vote(voter="technical", option="option-1", confidence=0.9),
    Vote(voter="research", option="option-2", confidence=0.3),
    Vote(voter="creative", option="option-2", confidence=0.4),
]


def test_majority_counts_voters_and_confidence_weighs_them():
    assert decide(VOTES, "majority") == ("option-2", {"option-1": 1.0, "option-2": 2.0})
    assert decide(VOTES, "confidence") == ("option-1", {"option-1": 0.9, "option-2": 0.7})


def test_past_success_weighs_each_voter_by_its_record():
    weights = {"technical": 0.2, "research": 0.9, "creative": 0.1}
    assert decide(VOTES, "past_success", weights)[0] == "option-2"
    assert decide(VOTES, "past_success", {"technical": 2.0})[0] == "option-1"  # unknown: 1.0


def test_no_votes_no_decision_and_ties_go_to_the_lower_key():
    assert decide([], "majority") == (None, {})
    tie = [Vote(voter="a", option="option-2", confidence=0.5),
           Vote(voter="b", option="option-1", confidence=0.5)]  # fmt: skip
    assert decide(tie, "confidence")[0] == "option-1"
