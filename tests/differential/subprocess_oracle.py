"""Python's side of the subprocess differential test (tests/differential/subprocess_diff.hpp).

Reads a JSON list of cases, runs each with subprocess.run, writes a JSON list of outcomes:
{"exc": exception class name or null, "rc": returncode or null, "errno": for OSError,
 "out_len", "out_sha", "err_len", "err_sha": what was captured (for TimeoutExpired and
 CalledProcessError: what the exception carries)}.
"""
import hashlib
import json
import subprocess
import sys


def digest(b):
    if b is None:
        b = b""
    if isinstance(b, str):
        b = b.encode("utf-8", "surrogateescape")
    return len(b), hashlib.sha256(b).hexdigest()


def run_case(c):
    kw = {"capture_output": True}
    if c.get("input") is not None:
        kw["input"] = c["input"].encode() * c.get("input_repeat", 1)
    if c.get("timeout") is not None:
        kw["timeout"] = c["timeout"]
    if c.get("text"):
        kw["text"] = True
        kw["errors"] = "surrogateescape"
        if "input" in kw:
            kw["input"] = kw["input"].decode()
    if c.get("check"):
        kw["check"] = True
    if c.get("stdin_devnull"):
        kw["stdin"] = subprocess.DEVNULL
    if c.get("start_new_session"):
        kw["start_new_session"] = True
    res = {"exc": None, "rc": None, "errno": None}
    out = err = b""
    try:
        p = subprocess.run(c["args"], **kw)
        res["rc"] = p.returncode
        out, err = p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        res["exc"] = "TimeoutExpired"
        out, err = e.stdout, e.stderr
    except subprocess.CalledProcessError as e:
        res["exc"] = "CalledProcessError"
        res["rc"] = e.returncode
        out, err = e.stdout, e.stderr
    except OSError as e:
        res["exc"] = "OSError"
        res["errno"] = e.errno
    res["out_len"], res["out_sha"] = digest(out)
    res["err_len"], res["err_sha"] = digest(err)
    return res


def main(inp, outp):
    with open(inp) as f:
        cases = json.load(f)
    with open(outp, "w") as f:
        json.dump([run_case(c) for c in cases], f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
