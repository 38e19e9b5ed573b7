"""Lead-scoring groups (domain/groups.py): which group a score or a percentile falls in."""

from gameservices.domain.groups import DEFAULT_PERCENTAGE_GROUPS, group_of, percentile


def test_a_percentile_shown_as_80_is_a_hot_lead() -> None:
    # 100 × 3999 / 4999 = 79.996: shown as 80, so among the Hot Leads (80–100), not the Warm ones (50–79).
    share = percentile(1001, 5000)
    assert share == 80
    assert group_of(DEFAULT_PERCENTAGE_GROUPS, share) == "Hot Leads"


def test_percentiles_of_the_first_and_the_last() -> None:
    assert (percentile(1, 1), percentile(1, 3), percentile(2, 3), percentile(3, 3)) == (100, 100, 50, 0)
    assert percentile(2, 4) == 66.67
