"""One test per loader rule: the problem names the field path and says what was expected."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from channelopt.errors import ScenarioError
from channelopt.scenario import load_scenario
from conftest import make_minimal_doc


def problems_of(source: Any) -> list[tuple[str, str]]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(source)
    return [(p.path, p.message) for p in info.value.problems]


def assert_problem(source: Any, path: str, *fragments: str) -> None:
    found = problems_of(source)
    for p, message in found:
        if p == path and all(f in message for f in fragments):
            return
    pytest.fail(f"no problem at {path!r} containing {fragments}; got {found}")


def mutate(fn: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    doc = make_minimal_doc()
    fn(doc)
    return doc


def ch(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return doc["channels"][name]


# --- the YAML layer -----------------------------------------------------------------------


def test_yaml_syntax_error_has_line_and_column():
    text = "name: x\nchannels:\n  voice: {kind: live, aht: [1, 2\n"
    with pytest.raises(ScenarioError) as info:
        load_scenario(text)
    (problem,) = info.value.problems
    assert "YAML syntax error at line 4, column 1" in problem.message
    assert problem.line == 4


def test_duplicate_key_reported_with_line_and_column():
    text = "name: a\nname: b\nchannels: {}\n"
    found = problems_of(text)
    assert (
        "name",
        "duplicate key 'name' (line 2, column 1); first given at line 1; keep only one",
    ) in found


def test_unquoted_time_is_not_a_number():
    # YAML 1.1 reads 6:00 as 360 (base 60); the loader keeps it text and explains.
    doc = make_minimal_doc()
    doc["channels"]["voice"]["aht"] = "6:00"
    assert_problem(doc, "channels.voice.aht", "looks like a clock time", "'6min'")
    text = (
        "name: x\nopen: 8:00-20:00\nchannels:\n"
        "  v: {kind: live, volume: 10, aht: 6:00, target: {max_wait: 20s}}\n"
    )
    found = problems_of(text)
    assert [p for p, _ in found] == ["channels.v.aht"]


def test_yes_no_stay_text():
    doc = make_minimal_doc()
    doc["channels"]["voice"]["kind"] = "yes"
    assert_problem(
        doc, "channels.voice.kind", "expected one of live, concurrent, deferred, self_service"
    )


def test_top_level_must_be_a_mapping():
    assert_problem("- a\n- b\n", "", "expected a mapping of scenario keys")
    assert_problem("\n", "", "empty document")


def test_missing_file_is_a_scenario_error(tmp_path):
    assert_problem(tmp_path / "nope.yaml", "", "cannot read the scenario file")


# --- keys, types, units -------------------------------------------------------------------


def test_unknown_key_suggests_the_closest():
    doc = mutate(lambda d: ch(d, "voice").update(patiense="2min"))
    assert_problem(
        doc, "channels.voice.patiense", "unknown key 'patiense'", "did you mean 'patience'?"
    )
    doc = mutate(lambda d: d.update(jurneys={}))
    assert_problem(doc, "jurneys", "did you mean 'journeys'?")


def test_unknown_key_without_close_match_lists_the_keys():
    doc = mutate(lambda d: d["periods"].update(zzz=1))
    assert_problem(doc, "periods.zzz", "expected one of: count, length, days")


def test_missing_required_key():
    doc = mutate(lambda d: d.pop("name"))
    assert_problem(doc, "name", "required key 'name' is missing")


def test_wrong_type_number_as_text():
    doc = mutate(lambda d: ch(d, "voice").update(volume="1,200"))
    assert_problem(doc, "channels.voice.volume", "expected a number", "thousands separators")


def test_wrong_type_bool_is_not_a_number():
    doc = mutate(lambda d: ch(d, "voice").update(volume=True))
    assert_problem(doc, "channels.voice.volume", "expected a number, got bool True")


def test_wrong_unit():
    doc = mutate(lambda d: ch(d, "voice").update(aht="5 parsecs"))
    assert_problem(doc, "channels.voice.aht", "unknown time unit 'parsecs'")


def test_non_positive_duration():
    doc = mutate(lambda d: ch(d, "voice").update(aht="0s"))
    assert_problem(doc, "channels.voice.aht", "expected a positive, finite duration")
    doc = mutate(lambda d: d["journeys"]["retrials"].update(delay=-5))
    assert_problem(doc, "journeys.retrials.delay", "expected a positive, finite duration")


def test_interval_must_divide_a_day():
    doc = mutate(lambda d: d.update(interval="7min"))
    assert_problem(doc, "interval", "does not divide a day")
    doc = mutate(lambda d: d.update(interval=1e-272))  # "divides" a day in floating point
    assert_problem(doc, "interval", "at least 1min")


def test_probability_outside_unit_interval():
    doc = mutate(lambda d: ch(d, "voice").update(resolution=1.2))
    assert_problem(doc, "channels.voice.resolution", "expected a probability in [0, 1], got 1.2")
    doc = mutate(lambda d: d["journeys"]["handoffs"]["bot"].update(chat=-0.1))
    assert_problem(doc, "journeys.handoffs.bot.chat", "expected a probability in [0, 1]")


def test_negative_volume():
    doc = mutate(lambda d: ch(d, "voice").update(volume=-1))
    assert_problem(doc, "channels.voice.volume", "expected a number >= 0, got -1")


def test_bad_opening_hours():
    doc = mutate(lambda d: d.update(open="8-20"))
    assert_problem(doc, "open", "expected a clock time 'HH:MM'")


# --- rows, routing ------------------------------------------------------------------------


def test_handoff_row_sums_above_one():
    doc = mutate(lambda d: d["journeys"]["handoffs"].update(bot={"chat": 0.7, "voice": 0.5}))
    assert_problem(doc, "journeys.handoffs.bot", "must sum to at most 1, got 1.2")


def test_repeat_row_sums_above_one():
    doc = mutate(lambda d: d["journeys"]["repeats"]["to"].update(voice={"voice": 0.8, "chat": 0.3}))
    assert_problem(doc, "journeys.repeats.to.voice", "must sum to at most 1, got 1.1")


def test_shift_fractions_out_of_one_channel_sum_above_one():
    def f(d):
        d["initiatives"]["vendor_bot"]["effects"] = [
            {"shift": {"from": "chat", "to": "bot", "fraction": 0.6}},
            {"shift": {"from": "chat", "to": "voice", "fraction": 0.5}},
        ]

    assert_problem(mutate(f), "initiatives.vendor_bot.effects.1.shift.fraction", "sum to 1.1 > 1")


def test_routing_spectral_radius_at_least_one():
    # voice <-> chat hand everything to each other: every contact loops forever.
    def f(d):
        d["journeys"]["handoffs"] = {"voice": {"chat": 1.0}, "chat": {"voice": 1.0}}

    assert_problem(mutate(f), "journeys", "spectral radius 1 >= 1")


def test_routing_loop_through_repeats():
    # no hand-offs, but every contact is unresolved and repeats in the same channel
    def f(d):
        d["journeys"]["handoffs"] = {}
        ch(d, "voice")["resolution"] = 0.0
        d["journeys"]["repeats"]["to"] = {"voice": {"voice": 1.0}}

    assert_problem(mutate(f), "journeys", "spectral radius 1 >= 1")


def test_routing_loop_only_with_initiatives():
    # fine today (radius 0.9 x 0.9 = 0.81 < 1), but an effect raising a hand-off makes it 1
    def f(d):
        d["journeys"]["handoffs"] = {"voice": {"chat": 0.9}, "chat": {"voice": 0.9}}
        d["initiatives"]["crm"]["effects"].append(
            {"handoff": {"from": "voice", "to": "chat", "factor": 1.2}}
        )
        d["initiatives"]["crm"]["effects"].append(
            {"handoff": {"from": "chat", "to": "voice", "factor": 1.2}}
        )

    assert_problem(mutate(f), "initiatives", "at full size", ">= 1")


def test_retrial_probability_one_would_retry_forever():
    doc = mutate(lambda d: d["journeys"]["retrials"].update(probability=1.0))
    assert_problem(doc, "journeys.retrials.probability", "retry forever")


def test_self_handoff():
    doc = mutate(lambda d: d["journeys"]["handoffs"].update(chat={"chat": 0.1}))
    assert_problem(doc, "journeys.handoffs.chat.chat", "cannot hand off to itself")


# --- references ---------------------------------------------------------------------------


def test_unknown_channel_in_handoffs():
    doc = mutate(lambda d: d["journeys"]["handoffs"]["bot"].update(vioce=0.1))
    assert_problem(
        doc, "journeys.handoffs.bot.vioce", "unknown channel 'vioce'", "did you mean 'voice'?"
    )


def test_unknown_channel_in_pool_skills():
    doc = mutate(lambda d: d["pools"]["phone"].update(skills=["voice", "chatt"]))
    assert_problem(doc, "pools.phone.skills.1", "unknown channel 'chatt'")


def test_unknown_channel_in_growth_and_effects():
    doc = mutate(lambda d: d["periods"]["growth"].update(sms=[1, 1, 1]))
    assert_problem(doc, "periods.growth.sms", "unknown channel 'sms'")
    doc = mutate(lambda d: d["initiatives"]["crm"]["effects"][0].update(channel="fax"))
    assert_problem(doc, "initiatives.crm.effects.0.channel", "unknown channel 'fax'")


def test_unknown_initiative_in_requires():
    doc = mutate(lambda d: d["initiatives"]["bot_upgrade"].update(requires=["cmr"]))
    assert_problem(
        doc, "initiatives.bot_upgrade.requires.0", "unknown initiative 'cmr'", "did you mean 'crm'?"
    )


def test_cycle_in_requires():
    doc = mutate(lambda d: d["initiatives"]["crm"].update(requires=["bot_upgrade"]))
    assert_problem(doc, "initiatives.crm.requires", "cycle: crm -> bot_upgrade -> crm")


def test_requires_against_excludes():
    doc = mutate(lambda d: d["initiatives"]["vendor_bot"].update(requires=["bot_upgrade"]))
    assert_problem(
        doc, "initiatives.vendor_bot.requires", "requires 'bot_upgrade' but they exclude each other"
    )


def test_requires_two_that_exclude_each_other():
    def f(d):
        d["initiatives"]["suite"] = {"requires": ["bot_upgrade", "vendor_bot"]}

    assert_problem(mutate(f), "initiatives.suite.requires", "which exclude each other")


def test_staffed_channel_in_no_pool():
    doc = mutate(lambda d: d["pools"].pop("back"))
    assert_problem(doc, "channels.email", "staffed channel 'email' is in no pool's skills")


def test_self_service_channel_in_pool():
    doc = mutate(lambda d: d["pools"]["phone"]["skills"].append("bot"))
    assert_problem(doc, "pools.phone.skills.2", "self-service channel")


def test_roster_above_cap():
    doc = mutate(lambda d: d["pools"]["phone"].update(agents=50))
    assert_problem(doc, "pools.phone.agents", "exceeds max_agents 40")


# --- fields that do not fit a channel's kind ------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "key", "value", "fragment"),
    [
        ("voice", "concurrency", 2, "does not fit a live channel"),
        ("voice", "deadline", "1h", "only deferred channels have a deadline"),
        ("voice", "containment", 0.3, "only self-service channels contain contacts"),
        ("email", "patience", "1h", "never abandon"),
        ("bot", "aht", "1min", "no handle time"),
        ("bot", "resolution", 0.9, "use containment"),
        ("bot", "target", {"service_level": 0.8, "within": "20s"}, "no agents"),
    ],
)
def test_field_does_not_fit_kind(channel, key, value, fragment):
    doc = mutate(lambda d: ch(d, channel).update({key: value}))
    assert_problem(doc, f"channels.{channel}.{key}", fragment)


@pytest.mark.parametrize(
    ("channel", "key", "fragment"),
    [
        ("voice", "aht", "a live channel needs 'aht'"),
        ("chat", "concurrency", "a concurrent channel needs 'concurrency'"),
        ("email", "deadline", "a deferred channel needs 'deadline'"),
        ("bot", "containment", "a self_service channel needs 'containment'"),
    ],
)
def test_kind_needs_field(channel, key, fragment):
    doc = mutate(lambda d: ch(d, channel).pop(key))
    assert_problem(doc, f"channels.{channel}.{key}", fragment)


def test_target_does_not_fit_kind():
    doc = mutate(lambda d: ch(d, "email")["target"].update(service_level=0.8, within="1h"))
    assert_problem(doc, "channels.email.target.service_level", "does not fit a deferred channel")


def test_staffed_channel_needs_a_target():
    doc = mutate(lambda d: ch(d, "voice").pop("target"))
    assert_problem(doc, "channels.voice.target", "needs at least one target")


def test_service_level_needs_within():
    doc = mutate(lambda d: ch(d, "voice")["target"].pop("within"))
    assert_problem(doc, "channels.voice.target.within", "'service_level' and 'within' go together")


def test_volume_or_arrivals():
    doc = mutate(lambda d: ch(d, "voice").pop("volume"))
    assert_problem(doc, "channels.voice", "needs 'volume'")
    doc = mutate(lambda d: ch(d, "voice").update(arrivals=[1] * 24))
    assert_problem(doc, "channels.voice.arrivals", "not both")


def test_profile_length_names_both_accepted_lengths():
    doc = mutate(lambda d: ch(d, "voice").update(profile=[1, 2, 3]))
    assert_problem(
        doc, "channels.voice.profile", "expected 24 values", "or 12 (one per open interval), got 3"
    )


def test_effect_does_not_fit_kind():
    doc = mutate(
        lambda d: d["initiatives"]["crm"]["effects"].append(
            {"channel": "voice", "containment": 1.1}
        )
    )
    assert_problem(
        doc, "initiatives.crm.effects.1.containment", "does not fit live channel 'voice'"
    )


def test_effect_must_be_one_kind():
    doc = mutate(
        lambda d: d["initiatives"]["crm"]["effects"].append(
            {"channel": "voice", "shift": {"from": "chat", "to": "bot", "fraction": 0.1}}
        )
    )
    assert_problem(doc, "initiatives.crm.effects.1", "exactly one of")


def test_handoff_effect_needs_an_existing_handoff():
    doc = mutate(
        lambda d: d["initiatives"]["crm"]["effects"].append(
            {"handoff": {"from": "voice", "to": "email", "factor": 0.5}}
        )
    )
    assert_problem(doc, "initiatives.crm.effects.1.handoff", "no hand-off from 'voice' to 'email'")


def test_growth_and_budget_lengths():
    doc = mutate(lambda d: d["periods"]["growth"].update(chat=[1.0, 1.1]))
    assert_problem(doc, "periods.growth.chat", "expected 3 values (one per period), got 2")
    doc = mutate(lambda d: d.update(budget={"per_period": [1, 2]}))
    assert_problem(doc, "budget.per_period", "expected 3 values")


def test_soft_targets_need_a_penalty():
    doc = mutate(lambda d: d.update(targets={"mode": "soft"}))
    assert_problem(doc, "targets.penalty_per_point_below", "need a penalty")
    doc = mutate(lambda d: d.update(targets={"mode": "sfot", "penalty_per_point_below": 5}))
    assert_problem(doc, "targets.mode", "did you mean 'soft'?")


# --- every problem at once ------------------------------------------------------------------


def test_every_problem_reported_at_once_with_lines():
    text = """\
name: many problems
interval: 30min
channels:
  voice:
    kind: live
    volume: lots
    aht: 0s
    concurrency: 2
    target: {service_level: 1.5, within: 20s}
  bot: {kind: self_service, volume: 100, containment: 0.5}
journeys:
  handoffs: {bot: {voice: 0.7, chat: 0.6}}
pools:
  phone: {skills: [voice], agents: 10, shrinkage: 1.0}
initiatives:
  a: {requires: [b]}
  b: {requires: [a]}
"""
    with pytest.raises(ScenarioError) as info:
        load_scenario(text)
    by_path = {p.path: p for p in info.value.problems}
    expected = {
        "channels.voice.volume": 6,
        "channels.voice.aht": 7,
        "channels.voice.concurrency": 8,
        "channels.voice.target.service_level": 9,
        "journeys.handoffs.bot.chat": 12,
        "journeys.handoffs.bot": 12,
        "pools.phone.shrinkage": 14,
        "initiatives.a.requires": 16,
    }
    for path, line in expected.items():
        assert path in by_path, (path, list(by_path))
        assert by_path[path].line == line, (path, by_path[path])
    assert by_path["channels.voice.volume"].value == "lots"
    text_of_error = str(info.value)
    assert text_of_error.startswith(f"{len(info.value.problems)} problems found:")
