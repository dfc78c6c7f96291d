"""HTTPS plumbing: a ThreadingHTTPServer whose TLS handshake runs in the
per-connection thread, with an optional client certificate (CERT_OPTIONAL, so
mutual TLS stays switchable at run time and is enforced by the application).

Shared by the other simulators: :func:`serve` takes the request pipeline
(``handle(sim, method, target, headers, body, client_cn)`` returning
``(response or DROP, record)``; Ponto's ``dispatch.handle`` by default) and the
``Server`` header's product name."""

import contextlib
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import dispatch


def server_context(cert_file, key_file, ca_file):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_file, key_file)
    ctx.load_verify_locations(ca_file)
    ctx.verify_mode = ssl.CERT_OPTIONAL
    return ctx


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "PontoSimulator/1.0"
    sys_version = ""
    timeout = 30

    def version_string(self):
        return self.server.product or self.server_version

    def log_message(self, fmt, *args):  # quiet; the simulator keeps its own log
        pass

    def _client_cn(self):
        try:
            cert = self.connection.getpeercert()
        except (ValueError, AttributeError):
            return None
        for rdn in (cert or {}).get("subject", ()):
            for key, value in rdn:
                if key == "commonName":
                    return value
        return None

    def _serve(self):
        sim = self.server.sim
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        resp, _record = self.server.pipeline(
            sim, self.command, self.path, headers, body, self._client_cn()
        )
        if resp is dispatch.DROP:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        try:
            self.send_response(resp.status)
            self.send_header("Content-Type", resp.content_type)
            self.send_header("Content-Length", str(len(resp.body)))
            for key, value in resp.headers.items():
                self.send_header(key, value)
            self._headers_buffer.append(
                b"\r\n" + resp.body
            )  # one write: headers + body
            self.flush_headers()
        except OSError:  # the client went away (e.g. "slow" fault)
            self.close_connection = True

    do_GET = do_POST = do_DELETE = do_PATCH = do_PUT = _serve


class SimHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, sim, ssl_ctx, handle=None, product=None):
        self.sim, self.ssl_ctx = sim, ssl_ctx
        self.pipeline, self.product = handle or dispatch.handle, product
        self._open = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def finish_request(self, request, client_address):
        request.settimeout(10)
        # avoid Nagle + delayed-ACK stalls (40 ms per keep-alive request)
        with contextlib.suppress(OSError):
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            conn = self.ssl_ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            self.sim.tls_failures.append(f"{client_address}: {exc}")
            return
        with self._open_lock:
            self._open.add(conn)
        try:
            self.RequestHandlerClass(conn, client_address, self)
        except (OSError, ssl.SSLError):
            pass
        finally:
            with self._open_lock:
                self._open.discard(conn)
            with contextlib.suppress(OSError):
                conn.close()

    def close_all(self):
        with self._open_lock:
            conns = list(self._open)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


def serve(sim, host, port, ssl_ctx, handle=None, product=None, name="ponto-simulator"):
    httpd = SimHTTPServer((host, port), sim, ssl_ctx, handle, product)
    thread = threading.Thread(
        target=httpd.serve_forever,
        kwargs={"poll_interval": 0.05},
        name=name,
        daemon=True,
    )
    thread.start()
    return httpd, thread
