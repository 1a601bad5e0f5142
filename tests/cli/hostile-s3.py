#!/usr/bin/env python3
"""A scripted S3 server whose listings are hostile or broken, for dm-seed's tests.

Usage: hostile-s3.py SCENARIO PORT_FILE LOG_FILE [LIFETIME_SECONDS]

Listens on 127.0.0.1 on a free port (written to PORT_FILE once it accepts) and
exits by itself after LIFETIME_SECONDS (default 60), whatever its clients do.
It checks no signature.  What it answers:

  HEAD /BUCKET            200 (every bucket exists)
  GET  /BUCKET?uploads    an empty ListMultipartUploadsResult
  GET  /BUCKET?list-type=2&prefix=P...   the SCENARIO's listing (below)
  PUT  /BUCKET/KEY        stores nothing, answers the body's MD5 as ETag
  DELETE /BUCKET/KEY      204
  anything else           501

Every request is one line of LOG_FILE: "METHOD /path?query" (the test reads the
PUTs and DELETEs there).  Keys below are relative to the request's prefix P
unless said otherwise; ETags are the MD5 of b"same\\n", so a local file holding
"same\\n" is skipped.

  outside   keys "a", "other/secret-object" (not under P) and P+"keep.txt"
  raw       no EncodingType: raw keys P+"a b" and P+"a+b" (a server that ignores
            encoding-type=url)
  nul       EncodingType url: P+"keep.txt", P+"zz%00hidden"
  badpct    EncodingType url: P+"a%zzb"
  notutf8   EncodingType url: P+"a%FFb"
  unsorted  P+"b.txt" before P+"a.txt"
  repeat    IsTruncated true with the same NextContinuationToken on every page,
            key P+"gone.txt"
  notoken   IsTruncated true and no NextContinuationToken
  drip      a valid listing (P+"keep.txt") sent at 2 bytes a second
  endless   a listing whose body never ends (no Content-Length, Contents forever)

drip and endless answer every other GET (but ?uploads) the same way, so that the
server also stands in for a Kubernetes API server whose replies drip or never end.
"""
import hashlib
import http.server
import os
import sys
import threading
import time
import urllib.parse

SCENARIO, PORT_FILE, LOG_FILE = sys.argv[1], sys.argv[2], sys.argv[3]
LIFETIME = float(sys.argv[4]) if len(sys.argv) > 4 else 60.0
SAME = hashlib.md5(b"same\n").hexdigest()
log_lock = threading.Lock()


def log(line):
    with log_lock, open(LOG_FILE, "a", encoding="utf-8", errors="backslashreplace") as fh:
        fh.write(line + "\n")


def esc(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def listing(keys, encoding=None, truncated=False, token=None):
    """A ListBucketResult of keys (written as given: the caller encodes)."""
    body = ['<?xml version="1.0" encoding="UTF-8"?>',
            '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">', "<Name>b</Name>"]
    if encoding:
        body.append(f"<EncodingType>{encoding}</EncodingType>")
    body.append(f"<KeyCount>{len(keys)}</KeyCount><MaxKeys>1000</MaxKeys>")
    body.append(f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>")
    for k in keys:
        body.append(f"<Contents><Key>{esc(k)}</Key><LastModified>2026-12-01T00:00:00.000Z</LastModified>"
                    f"<ETag>&quot;{SAME}&quot;</ETag><Size>5</Size><StorageClass>STANDARD</StorageClass>"
                    "</Contents>")
    if token:
        body.append(f"<NextContinuationToken>{esc(token)}</NextContinuationToken>")
    body.append("</ListBucketResult>")
    return "".join(body).encode()


def scenario_listing(prefix):
    """(body bytes, how) for the scenario; how is "plain", "drip" or "endless"."""
    p = prefix
    if SCENARIO == "outside":
        return listing(["a", "other/secret-object", p + "keep.txt"]), "plain"
    if SCENARIO == "raw":
        return listing([p + "a b", p + "a+b"]), "plain"
    if SCENARIO == "nul":
        return listing([urllib.parse.quote(p) + "keep.txt", urllib.parse.quote(p) + "zz%00hidden"], "url"), "plain"
    if SCENARIO == "badpct":
        return listing([urllib.parse.quote(p) + "a%zzb"], "url"), "plain"
    if SCENARIO == "notutf8":
        return listing([urllib.parse.quote(p) + "a%FFb"], "url"), "plain"
    if SCENARIO == "unsorted":
        return listing([p + "b.txt", p + "a.txt"]), "plain"
    if SCENARIO == "repeat":
        return listing([p + "gone.txt"], truncated=True, token="same-token"), "plain"
    if SCENARIO == "notoken":
        return listing([p + "gone.txt"], truncated=True), "plain"
    if SCENARIO == "drip":
        return listing([p + "keep.txt"]), "drip"
    if SCENARIO == "endless":
        return b"", "endless"
    raise SystemExit(f"hostile-s3: unknown scenario '{SCENARIO}'")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # the request log is LOG_FILE
        pass

    def reply(self, status, body=b"", headers=None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_HEAD(self):
        log(f"HEAD {self.path}")
        self.reply(200 if self.path.strip("/").count("/") == 0 else 404)

    def do_GET(self):
        log(f"GET {self.path}")
        url = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        if "uploads" in q:
            self.reply(200, b'<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult>'
                            b"<IsTruncated>false</IsTruncated></ListMultipartUploadsResult>",
                       {"Content-Type": "application/xml"})
            return
        if q.get("list-type") != ["2"] and SCENARIO not in ("drip", "endless"):
            self.reply(501)
            return
        body, how = scenario_listing(q.get("prefix", [""])[0])
        try:
            self.send_body(body, how)
        except OSError:  # the client gave up: what the drip and endless cases want
            pass

    def send_body(self, body, how):
        if how == "plain":
            self.reply(200, body, {"Content-Type": "application/xml"})
        elif how == "drip":
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            for i in range(0, len(body), 2):
                self.wfile.write(body[i:i + 2])
                self.wfile.flush()
                time.sleep(1)
        else:
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult>'
                             b"<IsTruncated>false</IsTruncated>")
            chunk = b"<Contents><Key>x</Key><Size>1</Size></Contents>" * 1024
            while True:
                self.wfile.write(chunk)

    def do_PUT(self):
        data = self.body()
        log(f"PUT {self.path}")
        self.reply(200, b"", {"ETag": '"' + hashlib.md5(data).hexdigest() + '"'})

    def do_DELETE(self):
        log(f"DELETE {self.path}")
        self.reply(204)

    def do_POST(self):
        self.body()
        log(f"POST {self.path}")
        self.reply(501)


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    # a bounded life: gone after LIFETIME seconds, even with a handler stuck writing
    threading.Timer(LIFETIME, lambda: os._exit(0)).start()
    open(LOG_FILE, "a").close()
    tmp = PORT_FILE + ".tmp"
    with open(tmp, "w") as fh:
        fh.write(str(server.server_address[1]))
    os.rename(tmp, PORT_FILE)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, BrokenPipeError):
        pass


if __name__ == "__main__":
    main()
