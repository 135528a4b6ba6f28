"""Python's side of the shlex differential test (tests/differential/shlex_diff.hpp).

Reads one hex-encoded input string per line (bytes, decoded as UTF-8 with surrogateescape so
any byte string is a str), writes one line per input:
  S <hex word>,<hex word>,...   shlex.split(s) returned these words
  E <hex message>               shlex.split(s) raised ValueError(message)
followed by a tab and the hex of shlex.quote(s).
"""
import shlex
import sys


def enc(s):
    return s.encode("utf-8", "surrogateescape").hex()


def main(inp, out):
    with open(inp) as f, open(out, "w") as o:
        for line in f:
            s = bytes.fromhex(line.strip()).decode("utf-8", "surrogateescape")
            try:
                res = "S " + ",".join(enc(w) for w in shlex.split(s))
            except ValueError as e:
                res = "E " + enc(str(e))
            o.write(res + "\t" + enc(shlex.quote(s)) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
