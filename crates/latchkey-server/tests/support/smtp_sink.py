"""A real SMTP server for the tests: every message it receives becomes a JSON file
{"to", "from", "subject", "message_id", "body"} in the given folder (decoded, as a person reads it).
Usage: smtp_sink.py PORT FOLDER — prints "ready", runs until stdin closes."""
import email
import json
import os
import sys
import uuid
from email import policy

from aiosmtpd.controller import Controller


class Sink:
    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=policy.default)
        body = msg.get_body(preferencelist=("plain",))
        record = {
            "to": envelope.rcpt_tos,
            "from": envelope.mail_from,
            "subject": str(msg["subject"]),
            "message_id": str(msg["message-id"] or ""),
            "body": body.get_content() if body else "",
        }
        path = os.path.join(sys.argv[2], uuid.uuid4().hex + ".json")
        with open(path + ".tmp", "w") as f:
            json.dump(record, f)
        os.rename(path + ".tmp", path)
        return "250 OK"


controller = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
try:
    sys.stdin.read()
finally:
    controller.stop()
