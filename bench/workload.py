#!/usr/bin/env python3
"""A seeded, realistic stream of conversation events for the Kafka comparison (bench/compare.py).

    python bench/workload.py --out .tools/bench/workload-1m.jsonl [--events 1000000] [--conversations 100000] [--seed 20261126]

Every line is one CloudEvent in structured JSON mode, exactly as protocols/README.md defines the input
of `support.conversations` (check a sample with scripts/validate_events.py). Conversations start
spread over an eight-hour day and interleave in time order, each keyed by its id. The mix:

    bot answers, conversation resolved        78 %   2-4 unrelated questions, feedback, thanks, csat
    three unhelpful replies (helpful: false)   5 %   offer after the second, handoff after the third
    asks for a person in words                 5 %   "can I talk to a real person", en and de
    presses the handoff button                 1 %   support.handoff.requested
    refund / warranty / complaint / legal      4 %   a strong term in the first message
    low confidence twice in a row              2 %   bot confidence 0.25-0.45
    asks, gets one answer, leaves              5 %   no end event (conversation stays open)

so about 17 % of conversations escalate; each of those is then accepted by an agent desktop
(support.handoff.accepted), completed (support.handoff.completed, a fifth handed back) and ended. The same seed gives the same bytes. The event count is made
exact by leaving out optional feedback events of randomly chosen conversations.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys

FRONTEND = "https://chat.example.com/frontend"
DAY_START = dt.datetime(2026, 11, 26, 8, 0, 0, tzinfo=dt.timezone.utc)
DAY_SECONDS = 8 * 3600

# (question, answer, knowledge-base id): everyday questions a bot answers from documents.
QUESTIONS = [
    ("hi, how do i reset my password? login just says invalid credentials",
     "You can reset it yourself: on the login page click \"Forgot password?\", enter the email address of your account and we'll send you a reset link. The link is valid for 30 minutes.",
     "kb-account-password-reset"),
    ("where is my order {order}? it should have arrived on tuesday",
     "Standard delivery takes 3-5 business days after dispatch. You can follow your parcel with the tracking link in your confirmation e-mail, and under My orders > {order} > Track parcel.",
     "kb-shipping-times"),
    ("how can i change the delivery address for order {order}?",
     "As long as the order has not been dispatched you can change the address under My orders > {order} > Edit delivery. Once it is on its way, the carrier's tracking page lets you redirect it to a pick-up point.",
     "kb-change-address"),
    ("where can i download my invoices?",
     "You can download all invoices as PDF under Account > Billing > Invoices. Each invoice is available for 10 years.",
     "kb-invoices-download"),
    ("do you ship to switzerland?",
     "Yes, we deliver to Switzerland. Delivery takes 4-7 business days; customs duties are shown at checkout and paid with your order, so nothing is due on delivery.",
     "kb-shipping-countries"),
    ("how do i change the email address on my account",
     "Go to Account > Profile > Email, enter the new address and confirm it with the link we send there. Until you confirm, the old address stays active.",
     "kb-account-change-email"),
    ("what are your opening hours for the phone line?",
     "Our phone line is open Monday to Friday from 8:00 to 20:00 and on Saturdays from 9:00 to 14:00. The chat is available around the clock.",
     "kb-contact-hours"),
    ("can i pay with paypal?",
     "Yes, we accept PayPal, credit cards (Visa, Mastercard, Amex), Apple Pay and invoice. You choose the payment method in the last step of checkout.",
     "kb-payment-methods"),
    ("how do i add a second user to our team plan",
     "Admins can invite users under Settings > Team > Invite. Each added seat is billed pro rata from the day it is added; you see it as a separate line on the next invoice.",
     "kb-team-seats"),
    ("is there a student discount?",
     "Yes, students get 15% off with a verified student account. Verify once under Account > Discounts > Student, and the discount applies to every order for 12 months.",
     "kb-student-discount"),
    ("how long is the battery life of the {product}?",
     "The {product} runs about 10 hours on a full charge with normal use, and charges to 80% in 45 minutes with the included USB-C charger.",
     "kb-product-battery"),
    ("can i change the delivery day for my weekly box?",
     "You can choose your preferred delivery day under Account > Delivery settings. The change applies from your next box that hasn't shipped yet.",
     "kb-delivery-days"),
    ("how do i turn on two factor authentication",
     "Open Settings > Security > Two-factor authentication, choose an authenticator app or SMS, and confirm with the code shown. Keep the backup codes somewhere safe.",
     "kb-security-2fa"),
    ("what is the size chart for the {product}?",
     "The size chart is on every product page under \"Size & fit\". The {product} runs true to size; if you are between two sizes, we recommend the larger one.",
     "kb-size-chart"),
    ("can i pause my subscription for a month",
     "Yes, you can pause for up to 3 months under Account > Subscription > Pause. You are not billed while paused and can resume at any time.",
     "kb-subscription-pause"),
    ("wie kann ich meine rechnungsadresse ändern?",
     "Die Rechnungsadresse ändern Sie unter Konto > Zahlungsdaten > Rechnungsadresse. Die Änderung gilt ab der nächsten Rechnung.",
     "kb-de-rechnungsadresse"),
    ("wo finde ich die sendungsnummer für bestellung {order}?",
     "Die Sendungsnummer steht in der Versandbestätigung per E-Mail und unter Meine Bestellungen > {order} > Sendung verfolgen.",
     "kb-de-sendungsverfolgung"),
]
PRODUCTS = ["X200 headphones", "Aero blender", "TrailRunner 3 shoes", "Nimbus smartwatch", "HomeCam 2", "Kettle Pro"]
THANKS = ["got it, worked. thanks!", "perfect, thank you", "great, that's what i needed", "ok found it, thanks", "thanks, that worked",
          "super, danke!", "awesome thx"]
FOLLOW_UPS = ["no, i mean i can't find that option anywhere in the app", "i did exactly that and nothing happened",
              "there is no such menu on my screen", "that's not what i asked, i asked about order {order}",
              "the page you mention just shows an error E-{code}"]
HUMAN_ASKS = ["Can I speak to a real person please?", "i want to talk to a human", "can you connect me to an agent please",
              "please let me talk to someone from customer service", "Ich möchte mit einem Mitarbeiter sprechen.",
              "Kann ich bitte mit einem Menschen sprechen?"]
SENSITIVE = [
    ("refund", "Hi, the {product} I ordered arrived damaged, order {order}. I paid €{amount} for it and I'd like a refund please, not a replacement"),
    ("refund", "I was charged twice for order {order}, €{amount} each time. I want my money back for the second charge"),
    ("warranty", "my {product} stopped working after 4 months, is that covered by the warranty? order {order}"),
    ("complaint", "I want to make a formal complaint about how your courier treated me when delivering order {order}"),
    ("legal", "I want a copy of all the personal data you hold about me under GDPR article 15, and then I want it deleted"),
    ("legal", "You charged €{amount} to my card without my consent. If this is not reversed my lawyer will be in touch."),
]
AGENT_TALK = ["yes it's order {order}, the one from last week", "ok, I sent the photos to the address you gave me",
              "thank you, that sorts it out", "my customer number is {code}{code}, the card ends in 4242"]
WAITING = ["ok, I'll wait", "hello?", "thanks, still here", "ok"]


class Clock:
    """The conversation's own time, in whole seconds from DAY_START."""

    def __init__(self, start: int):
        self.t = start

    def step(self, rng: random.Random, low: int, high: int) -> int:
        self.t += rng.randint(low, high)
        return self.t


def _stamp(seconds: int) -> str:
    return (DAY_START + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def conversation(rng: random.Random, cid: str) -> list[tuple[int, str, dict, bool]]:
    """One conversation: (time, type, data, optional) in order; optional events may be left out."""
    clock = Clock(rng.randrange(DAY_SECONDS))
    events: list[tuple[int, str, dict, bool]] = []
    message = 0

    def add(kind: str, data: dict, low: int, high: int, optional: bool = False) -> None:
        events.append((clock.step(rng, low, high), kind, {"conversation_id": cid, **data}, optional))

    def fill(text: str) -> str:
        return text.format(order=f"A-{rng.randint(10000, 99999)}", product=rng.choice(PRODUCTS),
                           amount=f"{rng.randint(15, 400)}.{rng.randint(0, 99):02d}", code=rng.randint(100, 999))

    def customer(text: str, low: int = 10, high: int = 90, optional: bool = False) -> str:
        nonlocal message
        message += 1
        mid = f"{cid}-m{message}"
        add("support.message.customer", {"message_id": mid, "text": text}, low, high, optional)
        return mid

    def bot(answer: str, kb: str, confidence: float, in_reply_to: str) -> str:
        nonlocal message
        message += 1
        mid = f"{cid}-m{message}"
        add("support.message.bot", {"message_id": mid, "text": answer, "sources": [kb], "confidence": confidence,
                                    "faithfulness": round(rng.uniform(0.86, 0.99), 2), "in_reply_to": in_reply_to}, 2, 6)
        return mid

    def feedback(of: str, helpful: bool, optional: bool = False) -> None:
        add("support.feedback", {"message_id": of, "helpful": helpful}, 5, 40, optional)

    def qa(confidence: tuple[float, float] = (0.7, 0.97)) -> tuple[str, str]:
        question, answer, kb = rng.choice(QUESTIONS)
        order, product = f"A-{rng.randint(10000, 99999)}", rng.choice(PRODUCTS)
        asked = customer(question.format(order=order, product=product))
        return asked, bot(answer.format(order=order, product=product), kb, round(rng.uniform(*confidence), 2), asked)

    def agent_takes_over() -> None:
        # The customer waits, an agent desktop accepts the handoff, they talk, the agent closes it
        # (now and then handing the conversation back to the bot), the chat ends.
        customer(rng.choice(WAITING), 20, 120)
        agent = f"agent-{rng.randint(1, 60)}"
        add("support.handoff.accepted", {"agent_id": agent}, 30, 600)
        customer(fill(rng.choice(AGENT_TALK)), 20, 180)
        add("support.handoff.completed", {"agent_id": agent, "handback": rng.random() < 0.2}, 60, 900)
        add("support.conversation.ended", {"resolved": rng.random() < 0.85, "csat": rng.choice([3, 4, 5, 5])}, 10, 120)

    locale = rng.choice(["en-US", "en-GB", "en-US", "en-IE", "de-DE"])
    started = {"customer_id": f"cust-{rng.randint(10000, 99999)}", "channel": rng.choice(["web", "web", "app", "whatsapp"]),
               "locale": locale, "customer_tier": rng.choice(["standard"] * 8 + ["premium", "vip"])}
    add("support.conversation.started", started, 0, 0)
    kind = rng.random()
    if kind < 0.78:  # resolved by the bot
        for _ in range(rng.choice([2, 3, 4, 4])):
            _, answer = qa()
            if rng.random() < 0.7:
                feedback(answer, True, optional=True)
        if rng.random() < 0.7:
            customer(rng.choice(THANKS))
        add("support.conversation.ended", {"resolved": True, "csat": rng.choice([4, 5, 5])}, 10, 60)
    elif kind < 0.83:  # three unsuccessful replies
        asked, answer = qa()
        for _ in range(2):
            feedback(answer, False)
            asked = customer(fill(rng.choice(FOLLOW_UPS)))
            answer = bot(rng.choice(QUESTIONS)[1].format(order="your order", product="product"), "kb-generic", round(rng.uniform(0.6, 0.8), 2), asked)
        feedback(answer, False)
        agent_takes_over()
    elif kind < 0.88:  # asks for a person in words
        qa()
        customer(rng.choice(HUMAN_ASKS))
        agent_takes_over()
    elif kind < 0.89:  # the handoff button
        asked, _ = qa()
        add("support.handoff.requested", {"message_id": asked}, 5, 30)
        agent_takes_over()
    elif kind < 0.93:  # a sensitive topic
        _, text = rng.choice(SENSITIVE)
        customer(fill(text))
        agent_takes_over()
    elif kind < 0.95:  # low confidence twice in a row
        qa((0.25, 0.45))
        qa((0.25, 0.45))
        agent_takes_over()
    else:  # one answer, then gone (stays open)
        _, answer = qa()
        if rng.random() < 0.5:
            feedback(answer, True, optional=True)
    return events


def generate(conversations: int, events: int | None, seed: int, prefix: str = "conv") -> list[tuple[bytes, bytes]]:
    """(key, value) pairs in time order; `events` exact if given (optional events dropped to meet it)."""
    rng = random.Random(seed)
    per: list[tuple[str, list]] = []
    for index in range(conversations):
        cid = f"{prefix}-{index:06d}-{rng.getrandbits(32):08x}"
        per.append((cid, conversation(rng, cid)))
    total = sum(len(evs) for _, evs in per)
    if events is not None:
        if total < events:
            sys.exit(f"workload: only {total} events for {conversations} conversations; ask for fewer events")
        excess = total - events
        optional = [(c, i) for c, (_, evs) in enumerate(per) for i, e in enumerate(evs) if e[3]]
        if excess > len(optional):
            sys.exit(f"workload: {total} events, cannot drop {excess} (only {len(optional)} optional)")
        for c, i in sorted(rng.sample(optional, excess), reverse=True):
            del per[c][1][i]
    stream: list[tuple[int, int, int, bytes, bytes]] = []
    for c, (cid, evs) in enumerate(per):
        key = cid.encode()
        for n, (t, kind, data, _) in enumerate(evs, 1):
            envelope = {"specversion": "1.0", "id": f"evt-{cid}-{n}", "source": FRONTEND, "type": kind, "time": _stamp(t),
                        "subject": cid, "datacontenttype": "application/json", "data": data}
            stream.append((t, c, n, key, json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()))
    stream.sort(key=lambda e: (e[0], e[1], e[2]))
    return [(key, value) for _, _, _, key, value in stream]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--prefix", default="conv")
    args = parser.parse_args()
    records = generate(args.conversations, args.events, args.seed, args.prefix)
    with open(args.out, "wb") as out:
        for _, value in records:
            out.write(value + b"\n")
    size = sum(len(v) for _, v in records)
    print(f"workload: {len(records)} events, {args.conversations} conversations, {size / len(records):.0f} bytes per event "
          f"on average -> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
