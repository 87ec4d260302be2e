"""The AWS emulator for tests and the sandbox: moto's server plus a fault-injection layer.

moto answers IAM, KMS and STS on one port. In front of it sits a small WSGI layer that:
- records every AWS action it sees (GET /_requests), so a test can prove that no call was made;
- fails chosen calls on demand (POST /_faults), the way AWS fails them: throttling, HTTP 500,
  AccessDenied, a reset connection, a stalled call, or a new access key that is not live yet.
Prints "READY <url>" on stdout once it accepts connections.
"""

import argparse
import io
import json
import re
import socket
import struct
import sys
import threading
import time

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

CREDENTIAL = re.compile(r"Credential=([^/]+)/[^/]+/[^/]+/([^/]+)/")
QUERY_XMLNS = {
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
}


class Faults:
    def __init__(self):
        self.lock = threading.Lock()
        self.rules = []
        self.requests = []

    def record(self, service, action, access_key):
        entry = {"service": service, "action": action, "accessKey": access_key, "start": time.perf_counter(), "end": None}
        with self.lock:
            self.requests.append(entry)
        return entry

    def take(self, service, action, access_key):
        """Returns the first rule matching this call and uses up one of its times."""
        with self.lock:
            for rule in self.rules:
                if rule.get("action") not in (None, action):
                    continue
                if rule.get("service") not in (None, service):
                    continue
                if rule.get("accessKey") not in (None, access_key):
                    continue
                if "notAccessKey" in rule and rule["notAccessKey"] == access_key:
                    continue
                if rule.get("skip", 0) > 0:
                    rule["skip"] -= 1
                    continue
                rule["times"] = rule.get("times", 1) - 1
                if rule["times"] <= 0:
                    self.rules.remove(rule)
                return dict(rule)
        return None


def error_response(service, status, code, message, start_response):
    if service in QUERY_XMLNS:
        body = (
            f'<ErrorResponse xmlns="{QUERY_XMLNS[service]}"><Error><Type>Sender</Type>'
            f"<Code>{code}</Code><Message>{message}</Message></Error>"
            "<RequestId>00000000-fault-injected</RequestId></ErrorResponse>"
        ).encode()
        headers = [("Content-Type", "text/xml")]
    else:
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)]
    headers.append(("Content-Length", str(len(body))))
    start_response(f"{status} Fault", headers)
    return [body]


def reset_connection(environ):
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        # SO_LINGER with a zero timeout makes close() send RST: the client sees "connection reset".
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()


class FaultLayer:
    def __init__(self, app):
        self.app = app
        self.faults = Faults()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_faults") or path.startswith("/_requests"):
            return self.control(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        service, access_key = "", ""
        match = CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        if match:
            access_key, service = match.group(1), match.group(2)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target:
            action = target.rsplit(".", 1)[-1]
        else:
            form = dict(p.split("=", 1) for p in body.decode("utf-8", "replace").split("&") if "=" in p)
            action = form.get("Action", "")
        entry = None
        if action:
            entry = self.faults.record(service, action, access_key)
            rule = self.faults.take(service, action, access_key)
            if rule is not None:
                kind = rule.get("kind", "error")
                if kind == "reset":
                    reset_connection(environ)
                    return []
                if kind == "delay":
                    time.sleep(rule.get("seconds", 1))
                elif kind == "stall":
                    # Holds the call without ever passing it on: the client can be killed mid-call
                    # and the call will not happen later behind the test's back.
                    time.sleep(rule.get("seconds", 30))
                    return error_response(service, 503, "ServiceUnavailable", "stalled by the test emulator", start_response)
                else:
                    return error_response(
                        service,
                        rule.get("status", 400),
                        rule.get("code", "InternalFailure"),
                        rule.get("message", "Injected by the test emulator"),
                        start_response,
                    )
        response = self.app(environ, start_response)
        if entry is not None:
            # moto answers with a finished body: this is the emulator's own time for the call.
            entry["end"] = time.perf_counter()
        return response

    def control(self, environ, start_response):
        method = environ["REQUEST_METHOD"]
        path = environ["PATH_INFO"]
        if path.startswith("/_requests"):
            with self.faults.lock:
                if method == "DELETE":
                    self.faults.requests.clear()
                payload = list(self.faults.requests)
        else:
            with self.faults.lock:
                if method == "POST":
                    length = int(environ.get("CONTENT_LENGTH") or 0)
                    self.faults.rules.append(json.loads(environ["wsgi.input"].read(length)))
                elif method == "DELETE":
                    self.faults.rules.clear()
                payload = list(self.faults.rules)
        body = json.dumps(payload).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    app = FaultLayer(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", args.port, app, threaded=True)
    print(f"READY http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sys.stdout.flush()


if __name__ == "__main__":
    main()
