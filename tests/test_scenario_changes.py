"""``Scenario.with_changes``: multiply, set, lists, durations, errors; the original is unchanged."""

from __future__ import annotations

import pytest

from channelopt.errors import ScenarioError


def test_multiply_and_set(retail):
    new = retail.with_changes(
        {"channels.chat.volume": 1.3, "pools.generalists.agents": {"set": 70}}
    )
    assert new.channels["chat"].volume == pytest.approx(2400 * 1.3)
    assert new.pools["generalists"].agents == 70
    assert retail.channels["chat"].volume == 2400 and retail.pools["generalists"].agents == 40
    assert new.content_hash != retail.content_hash
    assert new.source == retail.source
    # resolve sees the change: chat arrivals scale by exactly 1.3 in period 0
    i = retail.channel_names.index("chat")
    assert new.resolve(0).arrivals[:, i].sum() == pytest.approx(
        1.3 * retail.resolve(0).arrivals[:, i].sum()
    )


def test_list_items_whole_lists_and_durations(retail):
    new = retail.with_changes(
        {
            "periods.growth.chat.2": 1.5,
            "periods.growth.bot": 2,
            "channels.voice.aht": 1.1,
            "initiatives.nlu_chatbot.effects.0.containment": {"set": 1.5},
        }
    )
    assert new.periods.growth["chat"] == pytest.approx((1.0, 1.08, 1.16 * 1.5, 1.25))
    assert new.periods.growth["bot"] == pytest.approx((2.0, 2.2, 2.4, 2.6))
    assert new.channels["voice"].aht == pytest.approx(396.0)
    assert new.initiatives["nlu_chatbot"].effects[0].containment == 1.5


def test_multiplying_a_default_value_and_adding_keys(retail):
    new = retail.with_changes(
        {
            "channels.chat.aht_cv": 0.5,  # default 1 is not in the file
            "channels.voice.patience": {"set": "4min"},
            "channels.chat.target.max_occupancy": {"set": 0.85},
        }
    )
    assert new.channels["chat"].aht_cv == 0.5
    assert new.channels["voice"].patience == 240.0
    assert new.channels["chat"].target.max_occupancy == 0.85


def test_no_change_is_equal(retail):
    assert retail.with_changes({}) == retail


@pytest.mark.parametrize(
    ("changes", "path", "fragment"),
    [
        ({"channels.chat.volum": 2}, "channels.chat.volum", "no such field"),
        ({"channels.sms.volume": 2}, "channels.sms.volume", "no field 'channels.sms'"),
        ({"periods.growth.chat.9": 2}, "periods.growth.chat.9", "no item '9' in a list of 4"),
        ({"channels.chat.volume": "x"}, "channels.chat.volume", "expected a number"),
        ({"channels.chat.volume": {"add": 1}}, "channels.chat.volume", "{'set': value}"),
        ({"channels.chat.kind": 2}, "channels.chat.kind", "cannot multiply the text"),
        ({"channels.chat": 2}, "channels.chat", "cannot multiply a mapping"),
        ({"channels.chat.concurrency": {"set": 0}}, "channels.chat.concurrency", ">= 1"),
        ({"journeys.handoffs.bot.chat": 6}, "journeys.handoffs.bot.chat", "probability"),
        ({"channels.voice.concurrency": {"set": 2}}, "channels.voice.concurrency", "live"),
    ],
)
def test_errors_name_the_path(retail, changes, path, fragment):
    with pytest.raises(ScenarioError) as info:
        retail.with_changes(changes)
    assert any(p.path == path and fragment in p.message for p in info.value.problems), (
        info.value.problems
    )


def test_revalidated_across_fields(retail):
    # raising one hand-off pushes the bot's row above 1: a cross-field rule, caught again
    with pytest.raises(ScenarioError, match=r"journeys.handoffs.bot: .*sum to at most 1"):
        retail.with_changes({"journeys.handoffs.bot.chat": {"set": 0.95}})
