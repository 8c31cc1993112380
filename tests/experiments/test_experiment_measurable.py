"""A control group is measurable only when it can detect a realistic lift, not merely because it exists."""

import pytest

from callwise.experiments import detectable_lift, required_size
from callwise.experiments.measurable import DEFAULT_LIFT_TO_DETECT, measurability


def test_a_small_control_group_is_not_measurable_and_says_what_size_it_needs():
    m = measurability(1_070, 107, 0.05)  # the demo's size: a +174% relative MDE
    assert DEFAULT_LIFT_TO_DETECT == 0.2 and m["lift_to_detect"] == 0.2
    assert not m["lift_measurable"]
    assert m["detectable_lift"]["mde_relative"] == pytest.approx(detectable_lift(1_070, 0.1, 0.05)["mde_relative"])
    need = required_size(0.2 * 0.05, 0.1, 0.05)
    assert m["needed"]["list_size"] == need["list_size"] and m["needed"]["n_control"] == need["n_control"]
    assert detectable_lift(need["list_size"], 0.1, 0.05)["mde_relative"] <= 0.2  # that size is enough


def test_a_large_control_group_is_measurable_and_needs_nothing_more():
    m = measurability(200_000, 20_000, 0.05)
    assert m["lift_measurable"] and m["needed"] is None
    assert m["detectable_lift"]["mde_relative"] <= 0.2


def test_the_threshold_alpha_and_power_are_settings():
    mde = detectable_lift(200_000, 0.1, 0.05)["mde_relative"]  # about 9% relative
    assert not measurability(200_000, 20_000, 0.05, lift_to_detect=mde * 0.9)["lift_measurable"]
    assert measurability(200_000, 20_000, 0.05, lift_to_detect=mde * 1.1)["lift_measurable"]
    strict = measurability(200_000, 20_000, 0.05, alpha=0.01, power=0.9)
    assert strict["detectable_lift"]["mde_relative"] > mde and (strict["alpha"], strict["power"]) == (0.01, 0.9)


def test_no_control_group_or_a_list_too_small_to_test_is_never_measurable():
    none = measurability(1_000, 0, 0.05)
    assert not none["lift_measurable"] and none["detectable_lift"] is None and none["needed"] is None
    tiny = measurability(100, 10, 0.05)
    assert not tiny["lift_measurable"] and "too small to test" in tiny["detectable_lift"]["error"]
    assert tiny["needed"]["list_size"] > 100
