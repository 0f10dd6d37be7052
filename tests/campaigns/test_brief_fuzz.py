"""Brief parsing never crashes: odd values get a field error with a ru/en text (issue 12 item
14), and a seeded, bounded fuzz run of random briefs and YAML texts finds no traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tgassist.campaigns import BriefError, load_brief_file, validate_brief
from tgassist.campaigns.brief import Brief, parse_brief_text
from tgassist.core.i18n import load_catalogues, placeholders

CATALOGUES = load_catalogues()


def assert_explained(err: BriefError) -> None:
    """Every field error has a catalogue text in both languages with its parameters filled."""
    assert err.errors
    for e in err.errors:
        for lang in ("ru", "en"):
            assert e.key in CATALOGUES[lang], e.key
            assert placeholders(CATALOGUES[lang][e.key]) <= set(e.params), e
            assert e.render(lang).strip()


def field_errors(data: Any) -> dict[str, str]:
    with pytest.raises(BriefError) as err:
        validate_brief(data)
    assert_explained(err.value)
    return {e.field: e.key for e in err.value.errors}


@pytest.mark.parametrize("value", [True, False, 5, 2.5, "links", {"title": "x"}])
def test_sitelinks_that_are_not_a_list(brief_data: dict[str, Any], value: Any) -> None:
    if value is False:  # "no sitelinks" is a fair reading of false
        validate_brief({**brief_data, "sitelinks": value})
        return
    assert field_errors({**brief_data, "sitelinks": value}) == {
        "sitelinks": "campaigns.brief.sitelinks_not_list"
    }


@pytest.mark.parametrize("value", ["²", "٣", "3.0", "0", "6", -1, True, [2], "2 "])
def test_ads_per_group_must_be_a_small_whole_number(brief_data: dict[str, Any], value: Any) -> None:
    if value == "2 ":
        assert validate_brief({**brief_data, "ads_per_group": value}).ads_per_group == 2
        return
    assert field_errors({**brief_data, "ads_per_group": value}) == {
        "ads_per_group": "campaigns.brief.ads_per_group_range"
    }


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("nan", "budget_not_finite"),
        ("NaN", "budget_not_finite"),
        (float("nan"), "budget_not_finite"),
        ("inf", "budget_not_finite"),
        (float("-inf"), "budget_not_finite"),
        ("1e309", "budget_not_finite"),
        (True, "budget_not_number"),
        ([1], "budget_not_number"),
        ("ten", "budget_not_number"),
        (-5, "budget_not_positive"),
        (1e12, "budget_too_big"),
    ],
)
def test_budget_must_be_a_finite_positive_number(
    brief_data: dict[str, Any], value: Any, key: str
) -> None:
    assert field_errors({**brief_data, "budget": value}) == {"budget": f"campaigns.brief.{key}"}


def test_deeply_nested_values_and_yaml(brief_data: dict[str, Any], tmp_path: Path) -> None:
    deep: Any = "x"
    for _ in range(5000):
        deep = [deep]
    assert field_errors({**brief_data, "callouts": deep}) == {
        "callouts": "campaigns.brief.too_deep"
    }
    for text in ("a: " + "[" * 3000, "a: " + "{b: " * 3000 + "1" + "}" * 3000, "a:" + " [1," * 25):
        with pytest.raises(BriefError) as err:
            parse_brief_text(text)
        assert_explained(err.value)
        path = tmp_path / "deep.yaml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(BriefError):
            load_brief_file(path)


def test_a_huge_brief_text_is_refused_before_parsing() -> None:
    with pytest.raises(BriefError) as err:
        parse_brief_text("name: " + "x" * 1_000_001)
    assert [e.key for e in err.value.errors] == ["campaigns.brief.too_big"]


@pytest.mark.parametrize("region", ["²", "٣", "-²"])
def test_region_with_unicode_digits_is_unknown_not_a_crash(
    brief_data: dict[str, Any], region: str
) -> None:
    assert field_errors({**brief_data, "region": region}) == {
        "region": "campaigns.brief.region_unknown"
    }


def test_not_a_mapping() -> None:
    for data in ([1, 2], "brief", None, 42):
        assert field_errors(data) == {"brief": "campaigns.brief.not_mapping"}


FIELDS = (
    "name product base_phrases keywords region regions url budget keywords_file ads_per_group "
    "sitelinks callouts minus_words advantages price"
).split()
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=80)
    | st.sampled_from(["Москва", "213", "https://ok.example.ru", "купить диван", "²", "nan"])
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@pytest.mark.slow
@settings(
    derandomize=True,
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.dictionaries(st.sampled_from(FIELDS), values, max_size=len(FIELDS)))
def test_fuzz_random_briefs_give_a_brief_or_field_errors(data: dict[str, Any]) -> None:
    try:
        brief = validate_brief(data)
    except BriefError as err:
        assert_explained(err)
    else:
        assert isinstance(brief, Brief) and brief.name and brief.url.startswith("http")


@settings(derandomize=True, max_examples=150, deadline=None)
@given(st.text(alphabet="ab:-[]{}\n ,'\"&*!|>1.²", max_size=200))
def test_fuzz_yaml_text_never_raises_anything_but_brief_errors(text: str) -> None:
    try:
        data = parse_brief_text(text)
    except BriefError as err:
        assert_explained(err)
        return
    try:
        validate_brief(data)
    except BriefError as err:
        assert_explained(err)
