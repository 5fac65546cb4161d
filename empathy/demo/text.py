"""Phrase templates for transcripts and survey open text.

Lexicon phrases for the five behaviours appear ONLY in the groups named after
the behaviour (ack, ack_open, name, clarify, offer, close); every other group
is written to avoid them.
"""
from __future__ import annotations

from .spec import REASONS

CUSTOMER_PROBLEM = {
    "shipping_delay": ["My order still hasn't arrived and it was due last week.",
                       "The tracking page hasn't changed in five days. Where is my package?"],
    "billing_dispute": ["I was charged twice this month and I want one of them reversed.",
                        "There is a charge on my statement that I don't recognise."],
    "billing_correction": ["My invoice shows the wrong plan price.",
                           "The tax on my last bill looks wrong."],
    "refund_exception": ["I know it's past the refund window but the device never worked.",
                         "Can I still get a refund? I only noticed the problem now."],
    "policy_exception": ["I need an exception to the return policy, the box was opened by mistake.",
                         "Your policy says no transfers but I really need to move my plan."],
    "escalation": ["This is the third time I'm contacting you and nothing has been fixed.",
                   "I want to speak to a supervisor, please."],
    "outage": ["Nothing is loading for me right now. Is the service down?",
               "I keep getting an error page since this morning."],
    "how_to": ["How do I export my data to a spreadsheet?",
               "Where can I change the notification settings?"],
    "password_reset": ["I can't log in, the reset link never arrives.",
                       "I'm locked out of my account after too many attempts."],
    "account_update": ["I need to change the address on my account.",
                       "Please update the billing contact for our company."],
    "cancellation_request": ["I'd like to cancel my subscription.",
                             "Please close my account at the end of this month."],
}

#: the closing turn of a save conversation is built from one fragment per closure sub-behaviour shown (order of
#: spec.CLOSURE_BEHAVIORS: summarise the concern, confirm next steps, close the emotional loop); group save_close_<m>
#: holds the fragments of the bits set in m
SAVE_CLOSE_FRAGMENTS = [
    ["To recap, the price went up at renewal and the weekly export keeps failing for you.",
     "So to sum up, you were billed the new rate without notice and the team seats aren't working."],
    ["As next steps, I've applied the change and you'll get a confirmation email today.",
     "Here's what will happen next: the lower rate starts on your next bill and I'll check the seats tomorrow."],
    ["I hope that puts your mind at ease.", "I'm glad we could sort this out together."],
]

GROUPS: dict[str, list[str]] = {
    "bot_greet": ["Hi! I'm the virtual assistant. What can I help you with today?",
                  "Welcome to support. Please describe your issue in a few words."],
    **{f"problem_{r}": CUSTOMER_PROBLEM[r] for r in REASONS},
    "open_neutral": ["Hello, this is customer support.",
                     "Hi there, thanks for contacting us today.",
                     "Good morning, you're through to the support team."],
    "open_ack": ["Hello, this is customer support. I'm sorry to hear that.",
                 "Hi there. I see what went wrong, let me look right away.",
                 "Hello, thanks for your patience while I pulled up your account."],
    "bot_triage": ["I can help with that. Let me find the right article.",
                   "Thanks. Searching our help centre now."],
    "detail": ["It's the second time this has happened.", "I need this sorted out today.",
               "I already tried restarting it.", "It started after the last update."],
    "ack": ["I'm sorry to hear that, let me check what happened.",
            "I completely understand the problem, let me sort it out.",
            "Thanks for your patience while I looked into this."],
    "name": ["That sounds really frustrating.", "I can hear that you're worried about this.",
             "I can tell this is stressful for you."],
    "clarify": ["Just to make sure I understand, this started earlier this week?",
                "Could you tell me a bit more about what you see on your screen?",
                "So what you need is the charge reversed, is that right?"],
    "reply": ["Yes, that's right.", "Exactly.", "Yes, and it happened again this morning."],
    "offer": ["You have a couple of options: I can send a replacement or issue a refund.",
              "We could either reset it now or book a technician visit.",
              "One option is to move you to the annual plan at the same price."],
    "solution": ["I've gone ahead and fixed that on our side.", "I've updated your account.",
                 "That has been processed now."],
    "bot_answer": ["You can do this from the settings page under Account.",
                   "Here is a help article that explains the steps."],
    "ok": ["Okay, thank you.", "Great, thanks.", "Fine."],
    "close": ["To summarize, I've made the change and you'll get a confirmation email.",
              "As next steps, you'll receive an update from us within two days.",
              "Is there anything else I can help with today?"],
    "close_neutral": ["Alright, bye.", "Okay, have a good day."],
    **{f"save_close_{_m}": [" ".join(f[_j] for _k, f in enumerate(SAVE_CLOSE_FRAGMENTS) if _m >> _k & 1)
                            for _j in range(2)] for _m in range(1, 8)},
    "bot_close": ["Glad I could help. Goodbye!", "This chat will now close."],
    "bye": ["Bye.", "Thanks, bye."],
}

PHRASES: list[str] = []
GROUP_START: dict[str, int] = {}
GROUP_N: dict[str, int] = {}
for _g, _items in GROUPS.items():
    GROUP_START[_g] = len(PHRASES)
    GROUP_N[_g] = len(_items)
    PHRASES.extend(_items)

# PII templates (customer turns): prefix + value + suffix
PII_PREFIX = ["You can email me at ", "My number is ", "The card I used is "]
PII_SUFFIX = [" if you need anything.", ", call me back please.", ", the charge is on that one."]

# Open-text answers are drawn from four themes (the verbatim-theme marts must find them). Customers do not repeat a
# handful of sentences: an answer is composed from its theme's parts, a subject and what happened to it (any
# subject goes with any predicate), half the time a second sentence of the theme, and now and then an opener or a
# closer. The parts of a theme share its everyday words (refund, charge and bill; hold, wait and reply) without
# every answer using the same one, and inflections vary (charge, charged, charges).
OPEN_TEXT_THEME_PARTS = {
    "felt_heard": {
        "subjects": ["The agent", "She", "He", "The person on the phone", "Your support person", "The woman I spoke to",
                     "The guy in chat", "Everyone I talked to"],
        "predicates": ["listened patiently to me", "was kind and understood my frustration",
                       "stayed calm and really cared", "made me feel heard", "took the time to understand my problem",
                       "was patient with all my questions", "acknowledged how stressed I was",
                       "listened without rushing me"],
    },
    "waiting": {
        "subjects": ["The wait", "The hold time", "Getting a reply", "The queue", "Reaching a person",
                     "The response to my email", "Waiting for a callback", "The chat queue"],
        "predicates": ["took far too long", "was over an hour on hold", "took days", "was endless",
                       "was painfully slow", "took a whole week", "kept me waiting for hours",
                       "meant holding forever"],
    },
    "billing": {
        "subjects": ["The refund", "My last bill", "The invoice", "The extra charge", "The subscription fee",
                     "My payment", "The double charge", "The billing team"],
        "predicates": ["still has not been refunded", "was wrong again", "charged me twice",
                       "went up without warning", "was never explained", "took weeks to refund",
                       "charged my card for a plan I cancelled", "billed me for the wrong month"],
    },
    "product_bugs": {
        "subjects": ["The app", "The mobile app", "The dashboard", "Login", "The export feature", "Sync",
                     "The upload page", "The latest update"],
        "predicates": ["keeps crashing", "is broken since the update", "freezes all the time",
                       "fails every morning", "loses my data", "will not load", "crashes when I upload a file",
                       "throws an error on my phone"],
    },
}
OPEN_TEXT_THEME_SECOND = {
    "felt_heard": ["I really felt cared for.", "Kind and understanding throughout.",
                   "So patient, the best agent I have spoken to.", "It meant a lot that someone listened.",
                   "I felt understood for once.", "Thank you for caring."],
    "waiting": ["Hold music for hours again.", "Replies are getting slower.",
                "I should not have to wait days for a reply.", "The wait is far too long.",
                "Nobody answered the phone.", "Still waiting on a callback."],
    "billing": ["Sort out the billing please.", "I want my money back.", "Check the charges on my account.",
                "The refund is still missing.", "Stop charging me for things I did not order.",
                "Fix my invoice."],
    "product_bugs": ["The app is unusable right now.", "Please fix the crashes.",
                     "Another bug appeared after the update.", "It keeps freezing on my phone.",
                     "Your developers need to fix this bug.", "Nothing works since the update."],
}
OPEN_TEXT_OPENERS = ["", "", "", "Honestly, ", "Overall: ", "Well. "]
OPEN_TEXT_CLOSERS = ["", "", "", " Thanks.", " That is all.", " Cheers"]
OPEN_TEXT_THEME_NAMES = list(OPEN_TEXT_THEME_PARTS)
# P(theme | how the answer went): rows promoter (or CSAT 4-5), passive (CSAT 3), detractor (CSAT 1-2).
OPEN_TEXT_THEME_P = {"promoter": [0.60, 0.15, 0.10, 0.15],
                     "passive": [0.25, 0.30, 0.20, 0.25],
                     "detractor": [0.08, 0.37, 0.30, 0.25]}
OPEN_TEXT_PII_PREFIX = ["Call me back at ", "Reach me at "]

QA_COMMENTS = ["Good rapport.", "Missed the chance to acknowledge.",
               "Clear summary at the end.", "Rushed the customer.", "Offered alternatives."]
