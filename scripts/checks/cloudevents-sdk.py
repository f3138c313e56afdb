#!/usr/bin/env python3
"""Reads Kafka messages Hookway wrote (JSON on stdin: [{"mode", "headers", "value"}]) with the
CloudEvents Python SDK, the way a consumer would, and writes them back with the SDK in the same
mode. Prints JSON: for each message, the attributes and data the SDK read, whether the SDK's
auto-detecting reader (`from_kafka_event`) agrees, and the SDK's own message in that mode.
"""
import json
import sys

from cloudevents.core.bindings import kafka


def main() -> None:
    out = []
    for item in json.load(sys.stdin):
        message = kafka.KafkaMessage(
            headers={k: v.encode() for k, v in item["headers"].items()},
            key=None,
            value=item["value"].encode(),
        )
        if item["mode"] == "binary":
            event = kafka.from_binary_event(message)
        else:
            event = kafka.from_structured_event(message)
        try:
            auto = kafka.from_kafka_event(message)
            auto_agrees = auto.get_id() == event.get_id() and auto.get_data() == event.get_data()
        except Exception as error:  # the auto-detecting reader refuses the message
            auto_agrees = f"refused: {error}"
        written = kafka.to_binary_event(event) if item["mode"] == "binary" else kafka.to_structured_event(event)
        value = written.value.decode() if isinstance(written.value, bytes) else json.dumps(written.value)
        time = event.get_time()
        out.append(
            {
                "id": event.get_id(),
                "type": event.get_type(),
                "source": event.get_source(),
                "subject": event.get_subject(),
                "time": time.isoformat() if time else None,
                "authmethod": event.get_extension("authmethod"),
                "receivedat": event.get_extension("receivedat"),
                "data": event.get_data(),
                "autoAgrees": auto_agrees,
                "written": {"headers": {k: v.decode() for k, v in written.headers.items()}, "value": value},
            }
        )
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
