"""Lead-scoring groups (domain/groups.py): which group a score or a percentile falls in."""

from gameservices.domain.groups import DEFAULT_PERCENTAGE_GROUPS, group_of, parse_groups, percentile


def test_a_percentile_shown_as_80_is_a_hot_lead() -> None:
    # 100 × 3999 / 4999 = 79.996: shown as 80, so among the Hot Leads (80–100), not the Warm ones (50–79).
    share = percentile(1001, 5000)
    assert share == 80
    assert group_of(DEFAULT_PERCENTAGE_GROUPS, share) == "Hot Leads"


def test_percentiles_of_the_first_and_the_last() -> None:
    assert (percentile(1, 1), percentile(1, 3), percentile(2, 3), percentile(3, 3)) == (100, 100, 50, 0)
    assert percentile(2, 4) == 66.67


def test_a_range_takes_the_gap_up_to_the_next_value_written_as_its_bound() -> None:
    # 79 holds up to 80 (79.5 is a Warm Lead); 49.99 holds up to 50, 9.5 up to 9.6, at the precision written.
    groups = parse_groups(
        [
            {"name": "Top", "range": [50, 100]},
            {"name": "Mid", "range": [9.6, 49.99]},
            {"name": "Low", "range": [0, 9.5]},
        ],
        field="scoreGroups",
        percentages=False,
    )
    assert group_of(DEFAULT_PERCENTAGE_GROUPS, 79.5) == "Warm Leads"
    found = [group_of(groups, score) for score in (49.995, 50, 9.55, 9.6, 100.5, 101, -0.5)]
    assert found == ["Mid", "Top", "Low", "Mid", "Top", None, None]
    assert (
        group_of(parse_groups([{"name": "A", "range": [0, 0.25]}], field="f", percentages=False), 0.259)
        == "A"
    )
    assert (
        group_of(parse_groups([{"name": "A", "range": [0, 0.25]}], field="f", percentages=False), 0.26)
        is None
    )


def test_a_value_in_a_range_is_in_it_before_the_gap_of_another() -> None:
    groups = parse_groups(
        [{"name": "Low", "range": [0, 9]}, {"name": "High", "range": [9.5, 20]}], field="f", percentages=False
    )
    assert [group_of(groups, score) for score in (9.2, 9.5, 9.7)] == ["Low", "High", "High"]
