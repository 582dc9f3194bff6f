#!/usr/bin/env python3
"""The peer of the Kafka comparison: a feature-reduced handoffd core loop, as a competent Python service would write it.

    peer.py --brokers HOST:PORT --group G [--changelog] [--batch 512] [--wait 0.02] [--out-prefix peer.] [--from-end]
            [--stop-at-end N] [--expect N]

confluent-kafka (librdkafka 2.16) and orjson. Batch consume; per conversation a dict of state (message
counts, unsuccessful bot replies, low-confidence run, a bounded transcript); the rules: a person is
asked for (words in en/de, or the button), a sensitive topic (refund/compensation, warranty, complaint,
legal), three unsuccessful replies since the last successful one (an offer after the second, when the
event does not escalate), the bot's confidence below 0.5 twice in a row. An escalation publishes
support.handoff.created (with the bounded transcript and an extractive summary) to support.handoffs and
support.bot.paused + support.handoff.announced to support.directives; agent accept/complete publish
handoff.updated (and bot.resumed on handback). Per batch: produce, flush (every delivery acknowledged,
a failed one stops the peer before it commits), then commit the batch's offsets (at least once, as
handoffd). --changelog also writes every changed conversation's state to support.conversation-state,
on the input's partition, before the commit, as handoffd does with processing.changelog: true.

What it does not do, compared with handoffd: key facts on every customer message, bot-reply cues and
similarity, stemming and repeat detection, frustration / dead-end / beyond-documentation rules, nine
topic categories with evidence (four here, regexes in en/de), envelope validation and dead letters,
event-id de-duplication, metrics, the queue view and wait estimates, delivery tracking per record.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import gc
import hashlib
import re
import sys
import time

import orjson
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer

TRANSCRIPT_LIMIT, TEXT_LIMIT, LOW_CONFIDENCE = 20, 2000, 0.5
SOURCE = "urn:peer"


# Every text is lower-cased once and matched by patterns written in lower case (no IGNORECASE).
def words(*alternatives: str) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")")


HUMAN = words(r"(?:talk|speak|chat|connect|transfer)\w* (?:me )?(?:to|with) (?:a |an |the |someone|somebody|real |live )*(?:human|person|agent|representative|operator|someone)",
              r"(?:real|live|actual) (?:person|human|agent)", r"(?:human|agent|operator|representative)(?: please| now|!)",
              r"mit einem (?:mitarbeiter|menschen|berater)", r"passez-moi", r"parler à un (?:conseiller|humain)")
TOPIC_TERMS = {  # in priority order: the first topic with a term anywhere in the text wins
    "refund": (r"refund", r"reimburs", r"money back", r"my money", r"compensat", r"geld zur[uü]ck", r"erstatt", r"rembours"),
    "warranty": (r"warrant", r"guarantee", r"garantie", r"stopped working", r"defect", r"faulty"),
    "complaint": (r"complain", r"formal complaint", r"beschwer", r"plainte", r"your (?:manager|supervisor)"),
    "legal": (r"lawyer", r"attorney", r"sue\b", r"court", r"gdpr", r"dsgvo", r"data protection", r"without (?:my )?consent",
              r"chargeback", r"fraud", r"police", r"anwalt"),
}
TOPIC_ORDER = list(TOPIC_TERMS)
# One pass over the text: one alternation, a named group per topic (m.lastgroup names it). The leftmost
# match can name a later topic than one further on in the text ("faulty ... refund"); only then are the
# earlier topics looked for, so the result is the priority order's, as with one pattern per topic.
TOPIC = re.compile(r"\b(?:" + "|".join(f"(?P<{name}>" + "|".join(terms) + ")" for name, terms in TOPIC_TERMS.items()) + ")")
TOPIC_ALONE = {name: words(*terms) for name, terms in TOPIC_TERMS.items()}
NOT_HELPED = words(r"didn'?t (?:work|help)", r"doesn'?t (?:work|help)", r"not working", r"still not", r"nothing happened",
                   r"not what i asked", r"no such", r"there is no", r"can'?t find", r"funktioniert nicht", r"hilft nicht")
THANKS = words(r"thank", r"thx", r"that worked", r"it worked", r"perfect", r"great", r"awesome", r"danke", r"super", r"merci")
FACTS = [("order_number", re.compile(r"\b[A-Z]-\d{5}\b")), ("amount", re.compile(r"[€$£]\s?\d+(?:[.,]\d{2})?")),
         ("error_code", re.compile(r"\bE-\d{3}\b"))]  # on the original text: case matters
QUEUES = {"refund": "refunds", "warranty": "warranty", "complaint": "complaints", "legal": "legal", None: "general"}
TOPIC_DETAIL = {name: f"The topic is {name}." for name in TOPIC_TERMS}


def topic_of(lowered: str) -> str | None:
    m = TOPIC.search(lowered)
    if m is None:
        return None
    found = m.lastgroup
    for earlier in TOPIC_ORDER[:TOPIC_ORDER.index(found)]:
        if TOPIC_ALONE[earlier].search(lowered):  # rare: two topics in one message
            return earlier
    return found


def now_stamp() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def envelope(kind: str, cid: str, eid: str, data: dict, stamp: str) -> bytes:
    return orjson.dumps({"specversion": "1.0", "id": eid, "source": SOURCE, "type": kind, "time": stamp, "subject": cid,
                         "datacontenttype": "application/json", "data": data})


def state_default(value):
    if isinstance(value, collections.deque):  # the transcript
        return list(value)
    raise TypeError


class Peer:
    def __init__(self, producer: Producer, changelog: bool, prefix: str = ""):
        self.producer, self.changelog = producer, changelog
        self.handoffs_topic, self.directives_topic = prefix + "support.handoffs", prefix + "support.directives"
        self.state_topic = prefix + "support.conversation-state"
        self.conversations: dict[str, dict] = {}
        self.changed: dict[str, int] = {}   # conversation -> input partition, this batch
        self.outputs = self.handoffs = self.states = 0
        self.output_bytes = self.state_bytes = 0

    def send(self, topic: str, cid: str, value: bytes | None, partition: int = -1) -> None:
        while True:
            try:
                self.producer.produce(topic, value, cid, partition=partition)
                return
            except BufferError:  # the local queue is full: let deliveries drain
                self.producer.poll(0.05)

    def emit(self, topic: str, kind: str, st: dict, suffix: str, data: dict, stamp: str) -> None:
        value = envelope(kind, st["id"], suffix, data, stamp)
        self.outputs += 1
        self.output_bytes += len(value)
        self.send(topic, st["id"], value)

    # MARK: - one event

    def handle(self, event: dict, partition: int, stamp: str) -> None:
        kind, data = event["type"], event["data"]
        cid = data["conversation_id"]
        st = self.conversations.get(cid)
        if st is None:
            st = self.conversations[cid] = {"id": cid, "customer": None, "locale": "en", "tier": "standard", "customer_msgs": 0,
                                            "bot_msgs": 0, "unsuccessful": 0, "low_run": 0, "offered": False, "topic": None,
                                            "judged": {}, "last_bot": None, "transcript": collections.deque(maxlen=TRANSCRIPT_LIMIT),
                                            "handoff": None}
        self.changed[cid] = partition
        reasons = []
        if kind == "support.message.customer":
            text = data["text"]
            st["customer_msgs"] += 1
            self.remember(st, data["message_id"], "customer", text, event["time"])
            if st["handoff"] is None:
                lowered = text.lower()
                last_bot = st["last_bot"]
                if last_bot and st["judged"].get(last_bot) is None:
                    if NOT_HELPED.search(lowered):
                        self.judge(st, last_bot, False)
                    elif THANKS.search(lowered):
                        self.judge(st, last_bot, True)
                if HUMAN.search(lowered):
                    reasons.append(("explicit_request", "The customer asked for a person.", [data["message_id"]]))
                topic = topic_of(lowered)
                if topic is not None:
                    st["topic"] = topic
                    reasons.append(("sensitive_topic", TOPIC_DETAIL[topic], [data["message_id"]]))
        elif kind == "support.message.bot":
            st["bot_msgs"] += 1
            mid, confidence = data["message_id"], data.get("confidence", 1.0)
            self.remember(st, mid, "bot", data["text"], event["time"])
            st["last_bot"] = mid
            st["low_run"] = st["low_run"] + 1 if confidence < LOW_CONFIDENCE else 0
            if not data["sources"] or confidence < LOW_CONFIDENCE:
                self.judge(st, mid, False)
            if st["handoff"] is None and (st["low_run"] >= 2 or (st["low_run"] and st["topic"])):
                reasons.append(("low_confidence", f"Confidence below {LOW_CONFIDENCE} {st['low_run']} times in a row.", [mid]))
        elif kind == "support.conversation.started":
            st["customer"], st["locale"], st["tier"] = data["customer_id"], data["locale"], data.get("customer_tier", "standard")
        elif kind == "support.feedback":
            if st["judged"].get(data["message_id"]) is None:
                self.judge(st, data["message_id"], data["helpful"])
        elif kind == "support.handoff.requested":
            if st["handoff"] is None:
                reasons.append(("explicit_request", "The customer pressed the button.", [data.get("message_id", event["id"])]))
        elif kind in ("support.handoff.accepted", "support.handoff.completed") and st["handoff"] is not None:
            handoff = st["handoff"]
            handoff["status"] = "accepted" if kind == "support.handoff.accepted" else "completed"
            handoff["agent_id"], handoff["revision"], handoff["updated_at"] = data.get("agent_id"), handoff["revision"] + 1, stamp
            self.emit(self.handoffs_topic, "support.handoff.updated", st, f"{handoff['handoff_id']}/r{handoff['revision']}", handoff, stamp)
            if handoff["status"] == "completed":
                st["handoff"], st["unsuccessful"], st["offered"] = None, 0, False
                if data.get("handback"):
                    self.emit(self.directives_topic, "support.bot.resumed", st, f"{handoff['handoff_id']}/resumed",
                              {"conversation_id": cid, "handoff_id": handoff["handoff_id"], "reason": "handback"}, stamp)
        elif kind == "support.conversation.ended":
            if st["handoff"] is None:
                del self.conversations[cid]
                return
            st["ended"] = True
        if st["handoff"] is None:
            if st["unsuccessful"] >= 3:
                reasons.append(("repeated_failures", f"{st['unsuccessful']} unsuccessful bot replies in a row.", [st["last_bot"]]))
            if reasons:
                self.escalate(st, reasons, event["id"], stamp)
            elif st["unsuccessful"] >= 2 and not st["offered"]:  # as handoffd: an offer only when nothing escalates
                st["offered"] = True
                self.emit(self.directives_topic, "support.escalation.offered", st, f"{cid}/offer/{event['id']}",
                          {"conversation_id": cid, "offer_id": f"offer-{event['id']}", "options": ["human"], "reason": "repeated_failures",
                           "text": "Would you like me to connect you with a colleague?", "language": st["locale"][:2]}, stamp)

    def judge(self, st: dict, message_id: str, success: bool) -> None:
        st["judged"][message_id] = success
        st["unsuccessful"] = 0 if success else st["unsuccessful"] + 1

    def remember(self, st: dict, message_id: str, role: str, text: str, time_: str) -> None:
        st["transcript"].append({"message_id": message_id, "role": role, "text": text[:TEXT_LIMIT], "time": time_})  # deque(maxlen=20)

    def escalate(self, st: dict, reasons: list, trigger: str, stamp: str) -> None:
        cid = st["id"]
        hid = "ho_" + hashlib.sha1(f"{cid}|{trigger}".encode()).hexdigest()[:20]
        transcript = list(st["transcript"])
        customer = [m for m in transcript if m["role"] == "customer"]
        facts = [{"kind": kind, "value": value, "message_id": m["message_id"]}
                 for m in customer for kind, pattern in FACTS for value in pattern.findall(m["text"])]
        category = st["topic"] or "other"
        handoff = {
            "handoff_id": hid, "revision": 1, "conversation_id": cid, "customer_id": st["customer"], "status": "waiting",
            "queue": QUEUES.get(st["topic"], "general"), "category": category, "language": st["locale"][:2],
            "priority": 1 if st["tier"] == "vip" or category == "legal" else 2 if st["topic"] else 3, "customer_tier": st["tier"],
            "reasons": [{"code": code, "detail": detail, "evidence": evidence, "signals": {"unsuccessful_replies": st["unsuccessful"]}}
                        for code, detail, evidence in reasons],
            "summary": {"source": "extractive", "goal": customer[0]["text"] if customer else "", "issue": customer[-1]["text"] if customer else "",
                        "bot_answers": [{"message_id": m["message_id"], "text": m["text"]} for m in transcript if m["role"] == "bot"][-3:],
                        "escalation_reason": reasons[0][1], "sentiment": "negative" if st["unsuccessful"] else "neutral",
                        "key_facts": facts[:20], "language": st["locale"][:2]},
            "transcript": transcript, "detected_at": stamp, "created_at": stamp, "updated_at": stamp,
            "policy_version": "peer-1", "trigger_event_id": trigger,
        }
        st["handoff"] = handoff
        self.handoffs += 1
        self.emit(self.handoffs_topic, "support.handoff.created", st, f"{hid}/created", handoff, stamp)
        self.emit(self.directives_topic, "support.bot.paused", st, f"{hid}/paused",
                  {"conversation_id": cid, "handoff_id": hid, "reason": "handoff"}, stamp)
        self.emit(self.directives_topic, "support.handoff.announced", st, f"{hid}/announced",
                  {"conversation_id": cid, "handoff_id": hid, "queue": handoff["queue"], "language": handoff["language"],
                   "text": "A colleague will take over this conversation shortly."}, stamp)

    # MARK: - one batch

    def finish_batch(self) -> None:
        if self.changelog:
            conversations, topic = self.conversations, self.state_topic
            for cid, partition in self.changed.items():
                st = conversations.get(cid)
                value = orjson.dumps(st, default=state_default) if st is not None else None
                self.state_bytes += len(value) if value is not None else 0
                self.send(topic, cid, value, partition)
                self.states += 1
        self.changed.clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--brokers", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--topic", default="support.conversations")
    parser.add_argument("--batch", type=int, default=512, help="records per consume() call, at most (512: handoffd's batch size)")
    parser.add_argument("--wait", type=float, default=0.02, help="longest consume() waits to fill a batch (bounds latency)")
    parser.add_argument("--changelog", action="store_true")
    parser.add_argument("--out-prefix", default="", help="prefix of the output and changelog topic names")
    parser.add_argument("--from-end", action="store_true", help="a new group starts at the end of the input")
    parser.add_argument("--stop-at-end", type=int, default=0, help="exit after this many records")
    parser.add_argument("--expect", type=int, default=0,
                        help="print a line once this many records are processed with every output acknowledged (the bench's 'done')")
    args = parser.parse_args()
    failures: list = []

    def delivered(error, message) -> None:  # with delivery.report.only.error: failures only
        if error is not None:
            failures.append(error)

    def committed(error, partitions) -> None:
        # An asynchronous commit that fails loses nothing: its records were done, a later commit covers
        # them, and at worst they are read and their outputs written again after a restart.
        if error is not None and error.code() != KafkaError._NO_OFFSET:
            print(f"peer: commit failed: {error}", file=sys.stderr, flush=True)

    consumer = Consumer({"bootstrap.servers": args.brokers, "group.id": args.group, "enable.auto.commit": False,
                         "auto.offset.reset": "latest" if args.from_end else "earliest", "session.timeout.ms": 6000, "fetch.wait.max.ms": 50,
                         "on_commit": committed})
    producer = Producer({"bootstrap.servers": args.brokers, "enable.idempotence": True, "linger.ms": 5,
                         "delivery.report.only.error": True, "on_delivery": delivered})
    consumer.subscribe([args.topic], on_assign=lambda c, ps: print(f"peer: assigned {len(ps)} partitions", file=sys.stderr, flush=True))
    peer, records, started = Peer(producer, args.changelog, args.out_prefix), 0, time.monotonic()
    gc.freeze()  # the clients, modules and patterns above: never scanned by the collector again
    try:
        while not args.stop_at_end or records < args.stop_at_end:
            batch = consumer.consume(num_messages=args.batch, timeout=args.wait)
            if not batch:
                continue
            stamp = now_stamp()
            for message in batch:
                if message.error():
                    raise KafkaException(message.error())
                try:
                    event = orjson.loads(message.value())
                    peer.handle(event, message.partition(), stamp)
                except (orjson.JSONDecodeError, KeyError, TypeError) as error:  # a dead letter in handoffd; counted here
                    print(f"peer: skipped {message.topic()}/{message.partition()}@{message.offset()}: {error!r}", file=sys.stderr)
            records += len(batch)
            peer.finish_batch()
            if producer.flush(30) != 0:
                raise RuntimeError("outputs not acknowledged within 30 s: the batch's offsets are not committed")
            if failures:
                raise RuntimeError(f"{len(failures)} outputs not delivered (first: {failures[0]}): the batch's offsets are not committed")
            if args.expect and records >= args.expect and records - len(batch) < args.expect:
                print(f"peer: {records} records processed, every output acknowledged, after {time.monotonic() - started:.3f} s",
                      file=sys.stderr, flush=True)
            # Asynchronous, and still at least once: the commit covers only records whose outputs are all
            # acknowledged (flush above, no delivery failure), so if it lands late or fails nothing is lost
            # (a later commit covers them, or they are read and written again after a restart). The loop
            # goes on with the next batch instead of waiting a round trip to the group coordinator;
            # close() waits for the commits still in flight.
            consumer.commit(asynchronous=True)
    except KeyboardInterrupt:
        pass
    finally:
        consumer.close()
    elapsed = time.monotonic() - started
    print(f"peer: {records} records, {peer.handoffs} handoffs, {peer.outputs} outputs ({peer.output_bytes} bytes), "
          f"{peer.states} states written ({peer.state_bytes} bytes), {len(peer.conversations)} conversations open, "
          f"{elapsed:.2f} s since start", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
