"""The README's examples of given and generated answers run as written, with the plugin."""

from __future__ import annotations

import pytest

from .readme import block_with

GIVEN = block_with("python", "def test_a_failed_clip_raises_its_message(videodb_mock)").text
GENERATED = block_with("python", "def test_any_clip_answer_is_counted_right(videodb_emulator, data)").text


@pytest.mark.parametrize("example", [GIVEN, GENERATED], ids=["given", "generated"])
def test_the_readme_example_passes(pytester: pytest.Pytester, example: str) -> None:
    pytester.makepyfile(test_example=example)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=1)


def test_the_generated_example_catches_a_client_that_miscounts(pytester: pytest.Pytester) -> None:
    """The pattern finds a wrong client: one that drops a clip's last shot fails on some example."""
    broken = GENERATED.replace(".shots)", ".shots[:-1])", 1)
    # Finding it is what counts here: no time spent shrinking the example.
    broken = broken.replace("@settings(max_examples=25, deadline=None)", "@settings(max_examples=25, deadline=None, phases=[Phase.generate])")
    broken = broken.replace("from hypothesis import given", "from hypothesis import Phase, given")
    assert broken.count("Phase") == 2
    pytester.makepyfile(test_example=broken)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(failed=1)
