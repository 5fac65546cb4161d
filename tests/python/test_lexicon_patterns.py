"""Every pattern of the transcript lexicon (seed empathy_phrase_patterns) on sentences that must and must not match,
run by DuckDB's regular-expression engine (RE2) on lower-cased text exactly as int_transcript_phrases_matched runs
it: a segment counts when it matches `pattern` and not `unless_pattern`. A pattern without cases here fails."""
from __future__ import annotations

import csv

import duckdb
import pytest

from conftest import PROJECT_DIR

SEED = PROJECT_DIR / "seeds" / "empathy_phrase_patterns.csv"

#: pattern_id -> (sentences it must catch, sentences it must not catch)
CASES: dict[str, tuple[list[str], list[str]]] = {
    "ack_sorry": (
        ["I'm so sorry this happened to your order.", "Oh, sorry to hear the parcel never came.",
         "We're truly sorry about the double charge.", "I am really sorry, that is on us."],
        ["Sorry, could you repeat the order number?", "Sorry, what was the postcode again?",
         "There is nothing to be sorry about, it went through."],
    ),
    "ack_apologise": (
        ["Please accept my apologies for the delay.", "I do apologise for the mix-up.",
         "We sincerely apologize for the outage.", "Apologies for the wait."],
        ["No need to apologise, these things happen.", "No apology needed at all."],
    ),
    "ack_patience": (
        ["Thank you so much for your patience today.", "Thanks for bearing with me.",
         "I appreciate you waiting while I checked.", "Thanks for hanging on."],
        ["Patience is a setting in the game menu.", "Please wait while the page loads."],
    ),
    "ack_understand": (
        ["I completely understand why that's a problem.", "I can see what went wrong here.",
         "I get where you're coming from.", "I understand the issue now."],
        ["The system understands two date formats.", "Can you see the button on the left?"],
    ),
    "ack_not_ok": (
        ["That's really not okay, and I'll fix it.", "This shouldn't have happened.",
         "That is not the experience we want you to have.", "What a hassle for you."],
        ["That's okay, the code is in the email.", "It is not required to log in again."],
    ),
    "ack_let_down": (
        ["We dropped the ball on this one.", "We really let you down here.", "We got this wrong."],
        ["We dropped the price last week.", "Let me set the box down on the form."],
    ),
    "emo_sounds": (
        ["That must have been so stressful.", "That sounds incredibly frustrating.",
         "This has been really upsetting, I know.", "It sounds like it's been exhausting."],
        ["It's not frustrating at all, just a quick reset.", "That was not confusing at all."],
    ),
    "emo_hear": (
        ["I can tell this has been stressful for you.", "I can hear that you're worried about the bill.",
         "I know you're really fed up with this.", "I can imagine you must be anxious."],
        ["I can see the payment on your account.", "I know the address is correct."],
    ),
    "emo_you_sound": (
        ["You must be so fed up by now.", "You sound really worried about this.",
         "You've been incredibly patient and you must feel let down.", "You seem quite confused by the form."],
        ["You don't need to worry about the fee.", "You are not overwhelmed with fees this month."],
    ),
    "emo_how_must": (
        ["I can only imagine how worried you must be.", "How frustrating that must have been.",
         "I know how stressful this is."],
        ["How do I reset the router?", "How long will the refund take?"],
    ),
    "emo_not_easy": (
        ["That can't have been easy for you.", "That couldn't have been fun.", "It must not be easy."],
        ["That is easy to fix.", "The setup can be easy if you follow the guide."],
    ),
    "emo_id_feel": (
        ["Honestly, I'd be fuming too.", "Anyone would be upset after that.", "I would feel the same frustration."],
        ["I'd be happy to help with that.", "I would be able to send it today."],
    ),
    "emo_understandable": (
        ["It's understandable to feel let down.", "No wonder you're annoyed.",
         "Of course you feel worried about it."],
        ["Understandably, the form needs a signature.", "No wonder the page is slow, it's updating."],
    ),
    "clar_make_sure": (
        ["Just to make sure I've got this right, it's the second order?", "Let me check I understood you.",
         "So I'm clear, you want the refund and not a replacement?", "Can I confirm what you need first?"],
        ["Make sure the cable is plugged in.", "Let me check the warehouse stock."],
    ),
    "clar_tell_more": (
        ["Could you tell me a bit more about the error?", "Can you walk me through what happened?",
         "Would you describe what you see on screen?"],
        ["Could you hold for a moment?", "I will tell the courier today."],
    ),
    "clar_paraphrase": (
        ["If I understand correctly, the charge appeared twice.", "When you say it's broken, do you mean it won't start?",
         "So the main thing is getting access back today?", "Are you asking whether you can cancel now?"],
        ["I understand the price went up.", "The main office is closed today."],
    ),
    "clar_which": (
        ["Which account is this about?", "Which order do you mean?", "Which device are you using?"],
        ["The account which you opened is active.", "Click the one which says continue."],
    ),
    "opt_options": (
        ["You have a couple of options here.", "There are two ways we could go with this.",
         "I can offer you three alternatives."],
        ["The options menu is in settings.", "You have two orders on the account."],
    ),
    "opt_either": (
        ["We could either refund it or send a new one.", "I can either call you back or email you."],
        ["Either way the fee is waived.", "Neither of the orders shipped."],
    ),
    "opt_one_option": (
        ["One option would be to switch plans.", "Alternatively, we could pause the account.",
         "The other option is a store credit."],
        ["Tick option B in the form.", "The option is greyed out."],
    ),
    "opt_prefer": (
        ["Would you prefer a refund or a replacement?", "It's up to you whether we keep the order.",
         "What works better for you, a call or an email?", "Which would you prefer?"],
        ["I prefer to check the logs first.", "You were preferred for the beta."],
    ),
    "close_summary": (
        ["To summarize, the refund is on its way.", "Let me recap what we did today.",
         "So to wrap up, your plan changes next month.", "Just to recap, the box ships Monday.",
         "Let me briefly recap what we covered.", "I'll just summarise where we are."],
        ["The summary page shows your plan.", "Wrap the item before sending it back."],
    ),
    "close_next_steps": (
        ["As next steps, I'll escalate to billing.", "Here's what happens next.",
         "From here, you'll get an update from the team."],
        ["Next, click save.", "The steps are listed in the manual."],
    ),
    "close_anything_else": (
        ["Is there anything else I can help with?", "Anything more I can do for you today?",
         "Can I help you with anything else?"],
        ["Anything you enter here is saved.", "Else the page will reload."],
    ),
    "close_expect": (
        ["You'll get a confirmation email within the hour.", "You should hear back from us by Friday.",
         "You will receive the refund in the next few days."],
        ["You'll need to restart the app.", "You will love the new plan."],
    ),
    "close_feelings": (
        ["I hope that puts your mind at rest.", "Does that feel a bit better now?",
         "I'm really glad we were able to fix this together.", "I truly hope this eases things for you.",
         "Does that sound okay to you?", "We're so happy we could get that sorted for you."],
        ["I hope you're not charged again.", "I'm glad to hear the app works.", "Does that feel like the menu?",
         "Set your mind to the new plan.", "Glad I could help. Goodbye!"],
    ),
}


def _patterns() -> list[dict]:
    with SEED.open() as handle:
        return list(csv.DictReader(handle))


def _counts(pattern: str, unless: str, sentence: str) -> bool:
    sql = "select regexp_matches(lower(?), ?) and not coalesce(regexp_matches(lower(?), nullif(?, '')), false)"
    return bool(duckdb.execute(sql, [sentence, pattern, sentence, unless]).fetchone()[0])


def test_every_pattern_has_cases() -> None:
    assert {p["pattern_id"] for p in _patterns()} == set(CASES)


@pytest.mark.parametrize("row", _patterns(), ids=lambda r: r["pattern_id"])
def test_pattern_catches_its_sentences_and_not_the_near_misses(row: dict) -> None:
    positives, negatives = CASES[row["pattern_id"]]
    missed = [s for s in positives if not _counts(row["pattern"], row["unless_pattern"], s)]
    caught = [s for s in negatives if _counts(row["pattern"], row["unless_pattern"], s)]
    assert missed == [] and caught == [], {"missed": missed, "wrongly_caught": caught}


def test_emotion_naming_is_not_read_as_acknowledgment() -> None:
    """A sentence that only names a feeling is emotion naming, not acknowledgment of the situation."""
    rows = _patterns()
    for sentence in ["You must be so fed up by now.", "That can't have been easy for you.",
                     "How worried you must be."]:
        behaviours = {r["behavior_code"] for r in rows if _counts(r["pattern"], r["unless_pattern"], sentence)}
        assert behaviours == {"name_emotion"}, (sentence, behaviours)
