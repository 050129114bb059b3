#!/usr/bin/env python3
"""CI check of the packaging files (these machines have no container engine or systemd):
the Dockerfile parses (dockerfile-parse), every file it copies from the build context
exists and is not excluded by .dockerignore, and its runtime stage is non-root with a
HEALTHCHECK and a volume; the systemd unit carries the hardening it promises."""
import configparser
import fnmatch
import os
import sys

from dockerfile_parse import DockerfileParser

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
errors = []

parser = DockerfileParser(path=os.path.join(root, "Dockerfile"))
instructions = parser.structure
if not instructions:
    errors.append("Dockerfile: no instructions")
ignored = []
ignore_file = os.path.join(root, ".dockerignore")
if os.path.exists(ignore_file):
    ignored = [l.strip() for l in open(ignore_file) if l.strip() and not l.startswith("#")]

stages = [i for i, ins in enumerate(instructions) if ins["instruction"] == "FROM"]
if len(stages) < 2:
    errors.append("Dockerfile: expected a multi-stage build")
for ins in instructions:
    if ins["instruction"] not in ("COPY", "ADD"):
        continue
    args = ins["value"].split()
    if any(a.startswith("--from") for a in args):
        continue
    sources = [a for a in args if not a.startswith("--")][:-1]
    for src in sources:
        path = os.path.join(root, src)
        if not os.path.exists(path):
            errors.append(f"Dockerfile line {ins['startline'] + 1}: copies {src}, which does not exist")
        if any(fnmatch.fnmatch(src.rstrip("/"), pat) for pat in ignored):
            errors.append(f"Dockerfile line {ins['startline'] + 1}: copies {src}, which .dockerignore excludes")

runtime = instructions[stages[-1]:] if stages else []
kinds = {ins["instruction"]: ins["value"] for ins in runtime}
user = kinds.get("USER", "")
if not user or user.split(":")[0] in ("root", "0"):
    errors.append("Dockerfile: the runtime stage must run as a non-root USER")
for needed in ("HEALTHCHECK", "VOLUME", "ENTRYPOINT"):
    if needed not in kinds:
        errors.append(f"Dockerfile: the runtime stage has no {needed}")

unit = configparser.ConfigParser(strict=False, interpolation=None)
unit.optionxform = str
unit.read(os.path.join(root, "packaging", "latchkey.service"))
service = unit["Service"] if unit.has_section("Service") else {}
for key, value in {
    "DynamicUser": "yes",
    "StateDirectory": "latchkey",
    "ProtectSystem": "strict",
    "NoNewPrivileges": "yes",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
}.items():
    if service.get(key) != value:
        errors.append(f"latchkey.service: expected {key}={value}")
if "ExecStart" not in service or " serve" not in service["ExecStart"]:
    errors.append("latchkey.service: ExecStart must run `latchkey ... serve`")

for e in errors:
    print(e)
if errors:
    sys.exit(1)
print(f"packaging: Dockerfile ({len(instructions)} instructions, {len(stages)} stages) and latchkey.service check out")
