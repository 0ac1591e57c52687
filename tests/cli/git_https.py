#!/usr/bin/python3
"""git_https: a git server over HTTPS for the mirror tests.

    git_https.py ROOT CERT KEY TOKEN_FILE PORT_FILE LOG

Serves the repositories under ROOT with stock `git http-backend`, run as a
CGI for each request, over TLS (CERT and KEY, PEM), on 127.0.0.1 at a free
port, which it writes to PORT_FILE once it listens.  Every request needs
HTTP Basic authentication whose password is the text of TOKEN_FILE, read at
each request so that a test can change it while the server runs; without it
the answer is 401 with a WWW-Authenticate challenge.  The user name becomes
REMOTE_USER.  Request bodies sent with Transfer-Encoding: chunked (libgit2
sends its pushes so) are decoded before git sees them.  Each request is
appended to LOG as "METHOD PATH STATUS USER", and a failed TLS handshake as
"TLS ERROR"; neither the password nor the Authorization header is logged.
Runs until killed.
"""

import base64
import http.server
import os
import socket
import ssl
import subprocess
import sys
import threading


def main():
    root, cert, key, token_file, port_file, log_path = sys.argv[1:7]
    log_lock = threading.Lock()

    def log(line):
        with log_lock, open(log_path, "a", encoding="utf-8") as f:
            f.write(line + "\n")

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def read_body(self):
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                parts = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                    if size == 0:
                        # Trailers, up to the empty line.
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return b"".join(parts)
                    parts.append(self.rfile.read(size))
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("Content-Length", "0")))

        def user(self):
            auth = self.headers.get("Authorization", "")
            if not auth.startswith("Basic "):
                return None
            try:
                user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            except ValueError:
                return None
            with open(token_file, encoding="utf-8") as f:
                token = f.read().strip()
            return user if user and password == token else None

        def reply(self, status, headers, body):
            # The head and the body in one write.
            self.send_response_only(status)
            self.send_header("Date", self.date_time_string())
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self._headers_buffer.append(b"\r\n" + body)
            self.flush_headers()

        def serve(self):
            body = self.read_body()
            path, _, query = self.path.partition("?")
            user = self.user()
            if user is None:
                log(f"{self.command} {path} 401 -")
                self.reply(401, [("WWW-Authenticate", 'Basic realm="plan"'),
                                 ("Content-Type", "text/plain")], b"authentication required\n")
                return
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "GIT_PROJECT_ROOT": root,
                "GIT_HTTP_EXPORT_ALL": "1",
                "GATEWAY_INTERFACE": "CGI/1.1",
                "PATH_INFO": path,
                "QUERY_STRING": query,
                "REQUEST_METHOD": self.command,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(len(body)),
                "REMOTE_USER": user,
                "REMOTE_ADDR": self.client_address[0],
            }
            if self.headers.get("Git-Protocol"):
                env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
            cgi = subprocess.run(["git", "http-backend"], input=body, env=env,
                                 capture_output=True, check=False)
            head, _, out = cgi.stdout.partition(b"\r\n\r\n")
            if not _:
                head, _, out = cgi.stdout.partition(b"\n\n")
            status, headers = 200, []
            for line in head.decode("latin-1").splitlines():
                name, _, value = line.partition(":")
                if name.lower() == "status":
                    status = int(value.split()[0])
                elif name:
                    headers.append((name, value.strip()))
            if cgi.returncode != 0 and status == 200:
                status, headers, out = 500, [("Content-Type", "text/plain")], cgi.stderr
            log(f"{self.command} {path} {status} {user}")
            self.reply(status, headers, out)

        do_GET = serve
        do_POST = serve

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True

        def get_request(self):
            conn, addr = self.socket.accept()
            conn.settimeout(30)
            # Small writes go at once: Nagle's wait for a delayed ACK cost 40 ms a request.
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                return context.wrap_socket(conn, server_side=True), addr
            except (ssl.SSLError, OSError) as e:
                log(f"TLS ERROR {e.__class__.__name__}")
                conn.close()
                raise

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = Server(("127.0.0.1", 0), Handler)
    with open(port_file + ".tmp", "w", encoding="utf-8") as f:
        f.write(f"{server.server_address[1]}\n")
    os.rename(port_file + ".tmp", port_file)
    server.serve_forever()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
