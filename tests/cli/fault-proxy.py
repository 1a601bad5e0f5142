#!/usr/bin/env python3
"""A fault-injecting HTTP proxy for the tests: forwards to an S3 server and breaks
chosen requests, so the client's retries, aborts and error reports can be seen.

Usage: fault-proxy.py UPSTREAM_HOST:PORT PORTFILE RULE...
Rules (each a 'METHOD:QUERY-SUBSTRING:ACTION[:COUNT]', COUNT = how many times, default always):
  500        answer 500 InternalError without forwarding
  503        answer 503 SlowDown without forwarding
  reset      close the connection without an answer
  delay=S    wait S seconds, then forward
  reset-after=N  read N bytes of the request body, then reset the connection
             (an upload broken in flight: the server never sees the request)
  truncate   forward, then send only half of the answer (half the body, or half the
             headers when the body is empty) and close: the server did the work,
             the client never learns it
  flip       flip one bit in the middle of the request body, then forward (the
             server sees damaged bytes under the client's Content-MD5: BadDigest)
  flip-reply forward, then flip one bit in the middle of the reply body
             (a listing's XML, a CompleteMultipartUpload result)
  flip-etag  forward, then flip the low bit of the first character of the reply's
             ETag, in the ETag header and in the first <ETag> of the body
             ("0a1b..." becomes "1a1b...": what a client reads is not what the
             server stored)
Listens on a free 127.0.0.1 port (or on $FAULT_PROXY_PORT), writes it to PORTFILE, logs one line a request
on stderr ("PUT /b/k?partNumber=3 -> 500"; a PUT or POST also logs its body's
length, the base64 MD5 of the bytes received and the Content-MD5 header sent with
them, '-' if none: "PUT /b/k len=5 md5=XUFA... content-md5=XUFA... -> forward"),
and stops when stdin closes or on SIGTERM.
"""
import base64
import hashlib
import http.client
import re
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

upstream = sys.argv[1]
portfile = sys.argv[2]
rules = []
for spec in sys.argv[3:]:
    parts = spec.split(":")
    rules.append({"method": parts[0], "match": parts[1], "action": parts[2],
                  "left": int(parts[3]) if len(parts) > 3 else -1})
lock = threading.Lock()


def flip_bit(data):
    """data with one bit flipped in its middle byte (unchanged when empty)"""
    if not data:
        return data
    b = bytearray(data)
    b[len(b) // 2] ^= 0x01
    return bytes(b)


def flip_etag(value):
    """an ETag with the low bit of its first character (after any quote) flipped"""
    m = re.match(r'^(\s*(?:"|&quot;)?)(.)', value)
    if not m:
        return value
    return m.group(1) + chr(ord(m.group(2)) ^ 1) + value[m.end():]


def pick(method, path):
    with lock:
        for r in rules:
            if (r["method"] in ("*", method)) and r["match"] in path and r["left"] != 0:
                if r["left"] > 0:
                    r["left"] -= 1
                return r["action"]
    return None


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reset(self):
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        self.close_connection = True
        self.connection.close()

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        action = pick(self.command, self.path)
        if action and action.startswith("reset-after="):
            sys.stderr.write(f"{self.command} {self.path} -> {action}\n")
            sys.stderr.flush()
            want = min(int(action.split("=", 1)[1]), length)
            got = 0
            while got < want:
                chunk = self.rfile.read1(want - got)
                if not chunk:
                    break
                got += len(chunk)
            self.reset()
            return
        body = self.rfile.read(length) if length else b""
        seen = ""
        if self.command in ("PUT", "POST"):
            seen = (f" len={len(body)} md5={base64.b64encode(hashlib.md5(body).digest()).decode()}"
                    f" content-md5={self.headers.get('Content-MD5') or '-'}")
        sys.stderr.write(f"{self.command} {self.path}{seen} -> {action or 'forward'}\n")
        sys.stderr.flush()
        if action == "flip":
            body = flip_bit(body)
        if action in ("500", "503"):
            code = int(action)
            err = b"InternalError" if code == 500 else b"SlowDown"
            msg = (b"<?xml version='1.0'?><Error><Code>" + err + b"</Code><Message>injected</Message></Error>")
            self.send_response(code)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(msg)))
            self.end_headers()
            self.wfile.write(msg)
            return
        if action == "reset":
            self.reset()
            return
        if action and action.startswith("delay="):
            time.sleep(float(action.split("=", 1)[1]))
        conn = http.client.HTTPConnection(upstream, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection",)}
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        headers = resp.getheaders()
        if action == "flip-reply":
            data = flip_bit(data)
        elif action == "flip-etag":
            headers = [(k, flip_etag(v) if k.lower() == "etag" else v) for k, v in headers]
            data = re.sub(rb"(<ETag>)([^<]*)", lambda m: m.group(1) + flip_etag(m.group(2).decode("latin-1")).encode("latin-1"),
                          data, count=1)
        if action == "truncate":
            self.truncated(resp, data)
            conn.close()
            return
        self.send_response(resp.status)
        for k, v in headers:
            if k.lower() not in ("connection", "transfer-encoding", "content-length"):
                self.send_header(k, v)
        if self.command == "HEAD":
            self.send_header("Content-Length", resp.getheader("Content-Length") or "0")
        else:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        conn.close()

    def truncated(self, resp, data):
        head = [f"HTTP/1.1 {resp.status} {resp.reason}"]
        for k, v in resp.getheaders():
            if k.lower() not in ("connection", "transfer-encoding", "content-length"):
                head.append(f"{k}: {v}")
        length = (resp.getheader("Content-Length") or "0") if self.command == "HEAD" else str(len(data))
        head.append(f"Content-Length: {length}")
        raw = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        if data and self.command != "HEAD":
            out = raw + data[:len(data) // 2]
        else:
            out = raw[:len(raw) // 2]
        self.wfile.write(out)
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


server = ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("FAULT_PROXY_PORT", "0"))), Proxy)
with open(portfile + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(portfile + ".tmp", portfile)
threading.Thread(target=server.serve_forever, daemon=True).start()
try:
    sys.stdin.read()
except KeyboardInterrupt:
    pass
server.shutdown()
