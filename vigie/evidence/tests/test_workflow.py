"""The requisition workflow table, on its own."""

from __future__ import annotations

import pytest

from vigie.evidence import workflow
from vigie.evidence.workflow import Status as S

ALLOWED = {
    (S.RECEIVED, S.UNDER_REVIEW),
    (S.RECEIVED, S.DIRECT),
    (S.RECEIVED, S.CANCELLED),
    (S.UNDER_REVIEW, S.POSITIVE),
    (S.UNDER_REVIEW, S.NEGATIVE),
    (S.UNDER_REVIEW, S.CANCELLED),
    (S.POSITIVE, S.EXPORTED),
    (S.POSITIVE, S.CLOSED),
    (S.POSITIVE, S.CANCELLED),
    (S.NEGATIVE, S.CLOSED),
    (S.DIRECT, S.EXPORTED),
    (S.DIRECT, S.CLOSED),
    (S.EXPORTED, S.DELIVERED),
    (S.EXPORTED, S.CANCELLED),
    (S.DELIVERED, S.CLOSED),
}


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("target", list(S))
def test_table(current: S, target: S) -> None:
    assert workflow.allowed(current, target) == ((current, target) in ALLOWED)


def test_final_statuses_lead_nowhere() -> None:
    assert workflow.manual_targets(S.CLOSED) == []
    assert workflow.manual_targets(S.CANCELLED) == []


def test_export_and_delivery_are_not_chosen_by_hand() -> None:
    assert workflow.manual_targets(S.POSITIVE) == ["closed", "cancelled"]
    with pytest.raises(workflow.TransitionError, match="export or a delivery"):
        workflow.check(S.POSITIVE, S.EXPORTED)
    workflow.check(S.POSITIVE, S.EXPORTED, manual=False)


def test_refusal_names_both_statuses_and_the_choices() -> None:
    with pytest.raises(workflow.TransitionError) as exc:
        workflow.check(S.RECEIVED, S.CLOSED)
    text = str(exc.value)
    assert "'received' cannot become 'closed'" in text
    assert "under_review" in text
    with pytest.raises(workflow.TransitionError, match="unknown status"):
        workflow.check(S.RECEIVED, "lost")


def test_outcome_is_kept_along_the_way() -> None:
    outcome = workflow.outcome_for(S.POSITIVE, "")
    assert outcome == "positive"
    for nxt in (S.EXPORTED, S.DELIVERED, S.CLOSED):
        outcome = workflow.outcome_for(nxt, outcome)
    assert outcome == "positive"
    assert workflow.outcome_for(S.CANCELLED, "positive") == "cancelled"
    assert workflow.outcome_for(S.DIRECT, "") == "direct"
