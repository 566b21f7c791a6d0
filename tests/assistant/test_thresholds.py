"""Where thresholds fall: the Clopper-Pearson allowance, the lowest thresholds within it
(pooled and per case file), and the number of cases a calibration needs."""

from __future__ import annotations

import numpy as np

from ventanilla.assistant.thresholds import (
    FileCaps,
    allowed,
    binom_cdf,
    few_cases,
    pick_thresholds,
)


def test_allowed_is_the_clopper_pearson_bound() -> None:
    # k events of n are allowed when P(Binomial(n, rate) <= k) <= 1 - level
    for n, rate in ((430, 0.03), (209, 0.03), (100, 0.1)):
        k = allowed(n, rate, 0.9)
        assert binom_cdf(k, n, rate) <= 0.1 < binom_cdf(k + 1, n, rate)
    assert allowed(430, 0.03, 0.9) == 7  # 1.6 % of the cases: stricter than the target itself
    assert allowed(50, 0.03, 0.9) == -1  # too few cases to vouch for even one wrong answer
    assert allowed(430, 0.03, 0.95) <= allowed(430, 0.03, 0.9) <= allowed(430, 0.03, 0.8)
    assert allowed(105, 0.03) / 105 < allowed(430, 0.03) / 430  # more cases, looser allowance
    assert abs(binom_cdf(2, 10, 0.5) - 56 / 1024) < 1e-12


def test_answer_threshold_keeps_wrong_answers_within_the_allowance() -> None:
    rng = np.random.default_rng(1)
    n = 400
    correct = rng.random(n) < 0.7
    conf = np.where(correct, rng.uniform(0.4, 1.0, n), rng.uniform(0.0, 0.8, n))
    oos = ~correct & (rng.random(n) < 0.5)
    for max_wrong in (0, 4, 12, 40):
        answer, choices = pick_thresholds(conf, correct, oos, max_wrong, 10)
        answered = conf >= answer
        assert (answered & ~correct).sum() <= max_wrong
        assert choices <= answer
        # out-of-scope cases leak only as wrong answers when the answer threshold is lower
        assert (conf[oos] >= choices).sum() <= 10 or choices == answer
        # answering as much as possible: one step lower would break the allowance
        lower = conf[conf < answer]
        if len(lower):
            assert ((conf >= lower.max()) & ~correct).sum() > max_wrong
    assert (
        pick_thresholds(conf, correct, oos, 0, 10)[0]
        >= pick_thresholds(conf, correct, oos, 40, 10)[0]
    )


def test_choices_keep_out_of_scope_messages_going_to_a_person() -> None:
    conf = np.array([0.95, 0.9, 0.6, 0.55, 0.5, 0.3, 0.2, 0.1])
    correct = np.array([True, True, False, False, False, False, False, False])
    oos = np.array([False, False, False, True, False, True, True, True])
    answer, choices = pick_thresholds(conf, correct, oos, 0, 0)
    assert answer == (0.9 + 0.6) / 2
    assert choices > 0.55  # no out-of-scope case would be offered choices
    assert pick_thresholds(conf, correct, oos, 0, 1)[1] <= 0.3 + 1e-5  # one may leak
    assert pick_thresholds(conf, correct, oos, 0, -1)[1] > 0.55  # too few to allow any


def test_each_case_file_is_held_to_the_target_on_its_own() -> None:
    """Writers differ: the pooled allowance alone would let one file's wrong answers pile up."""
    conf = np.array([0.99, 0.98, 0.97, 0.96, 0.95, 0.9, 0.8, 0.7, 0.6, 0.5])
    correct = np.array([True, False, True, False, True, True, False, True, True, True])
    oos = np.array([False, False, False, False, False, False, True, False, False, True])
    file = np.array([0, 1, 0, 1, 0, 0, 1, 0, 1, 1])
    pooled, _ = pick_thresholds(conf, correct, oos, 3, 2)
    assert pooled == 0.5 / 2  # three wrong answers in all, within the pooled allowance: all
    caps = FileCaps(file, wrong=np.array([2, 1]), leak=np.array([1, 0]))
    answer, choices = pick_thresholds(conf, correct, oos, 3, 2, caps=caps)
    assert answer == (0.97 + 0.96) / 2  # file 1 may have one wrong answer: stop before its 2nd
    assert choices > 0.8  # file 1 may leak no out-of-scope case (its own is at 0.8)


def test_torn_cases_are_left_out_of_the_answer_threshold() -> None:
    conf = np.array([0.95, 0.9, 0.85, 0.8, 0.3])
    correct = np.array([True, False, True, True, False])
    oos = np.array([False, False, False, False, True])
    # the wrong case at 0.9 stops the threshold above it (no wrong answer allowed) ...
    assert pick_thresholds(conf, correct, oos, 0, 0)[0] == (0.95 + 0.9) / 2
    # ... unless it is torn between two entries: then it is offered choices, never answered
    answerable = np.array([True, False, True, True, True])
    assert pick_thresholds(conf, correct, oos, 0, 0, answerable=answerable)[0] == (0.8 + 0.3) / 2


def test_too_few_calibration_cases_are_named_with_the_number_that_would_do() -> None:
    # the bound aims at two thirds of the target (writers differ): at 3 %, a 2 % bound, which
    # 418 cases need to vouch for two wrong answers (writer margin 1/2)
    assert few_cases(105, 0.03) == 418
    assert allowed(417, 0.015) < 2 <= allowed(418, 0.015)
    assert few_cases(418, 0.03) is None and few_cases(600, 0.03) is None
