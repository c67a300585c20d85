"""A real RFC 3161 timestamp authority on 127.0.0.1 for the tests and the demo: OpenSSL's ``openssl ts -reply``
behind the standard library's HTTP server.

Nothing here makes a reply in Python: each POSTed TimeStampReq goes to a temporary file and the reply is what
``openssl ts -reply`` writes, byte for byte. The keys and certificates are throwaway ones made with the ``openssl``
command line in the work folder: a self-signed test root CA and a TSA certificate it signed, with
``extendedKeyUsage = critical, timeStamping`` (RFC 3161, 2.3).

Paths served:

* ``/`` - the TSA (policy 1.2.3.4.1, SHA-256/384/512 imprints, the TSA certificate and the root in each reply
  that asks for certificates);
* ``/sha512-only`` - the same TSA signing with another config section that accepts SHA-512 imprints only, so a
  SHA-256 request gets OpenSSL's own rejection (status 2, badAlg): a real refusal for the tests.

``openssl ts`` failing (a request it cannot read, the signer key gone) is an HTTP 500 whose body is OpenSSL's
first error line.

As a program, ``python tests/tsa.py DIR`` makes the CA and the TSA in DIR, prints the URL and the CA file, and
serves until it is killed (the demo uses it).
"""

from __future__ import annotations

import contextlib
import http.server
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

POLICY = "1.2.3.4.1"
CA_SUBJECT = "/O=consent-auditor tests/CN=Test Root CA"
TSA_SUBJECT = "/O=consent-auditor tests/CN=Test TSA"
#: the TSA certificate's subject as RFC 4514 writes it (most specific first), what ``Stamp.tsa`` reports
TSA_SUBJECT_RFC4514 = "CN=Test TSA,O=consent-auditor tests"
SECTIONS = {"/": "tsa_default", "/sha512-only": "tsa_sha512_only"}
OPENSSL_TIMEOUT = 20  # seconds for one openssl command

_EXTENSIONS = """\
[ ca_ext ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ tsa_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
"""

_TS_CONFIG = """\
# openssl ts -reply configuration of the tests' local TSA (tests/tsa.py)
dir = {dir}

[ tsa ]
default_tsa = tsa_default

[ tsa_default ]
serial = $dir/tsaserial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/ca.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = {policy}
other_policies = 1.2.3.4.5.6, 1.2.3.4.5.7
digests = sha256, sha384, sha512
accuracy = secs:1, millisecs:500, microsecs:100
clock_precision_digits = 0
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256

[ tsa_sha512_only ]
serial = $dir/tsaserial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/ca.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = {policy}
digests = sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


class OpenSSLError(RuntimeError):
    """An ``openssl`` command failed; the message is its first error line."""


def openssl_binary() -> str | None:
    return shutil.which("openssl")


def _first_line(stderr: str) -> str:
    """One line from openssl's stderr: its first message and the reason of its last error line, e.g.
    'Response is not generated. (TS_CONF_load_key: cannot load private key)'."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip() and not ln.startswith("Using configuration")]
    errors = [ln.split(":") for ln in lines if ":error:" in ln]
    messages = [ln for ln in lines if ":error:" not in ln]
    reason = ""
    if errors and len(errors[-1]) >= 6:  # pid:error:code:library:function:reason:file:line[:data]
        reason = f"{errors[-1][4]}: {errors[-1][5]}"
    if messages and reason:
        return f"{messages[0]} ({reason})"
    return messages[0] if messages else reason or "(no message)"


def openssl(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``openssl ARGS``; a non-zero exit is an ``OpenSSLError`` with the first line of its stderr."""
    exe = openssl_binary()
    if exe is None:
        raise OpenSSLError("the openssl command is not installed (Debian: apt-get install openssl)")
    proc = subprocess.run([exe, *map(str, args)], cwd=cwd, capture_output=True, timeout=OPENSSL_TIMEOUT)
    if proc.returncode != 0:
        raise OpenSSLError(f"openssl {args[0]}: {_first_line(proc.stderr.decode('utf-8', 'replace'))}")
    return proc


def make_ca(workdir: Path, name: str = "ca", subject: str = CA_SUBJECT, days: int = 2) -> tuple[Path, Path]:
    """A self-signed test root (EC P-256): (certificate PEM, key PEM) in ``workdir``."""
    workdir.mkdir(parents=True, exist_ok=True)
    ext = workdir / "extensions.cnf"
    ext.write_text(_EXTENSIONS)
    cert, key = workdir / f"{name}.pem", workdir / f"{name}.key"
    openssl("req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-out", cert, "-subj", subject, "-days", str(days), "-sha256",
            "-config", ext, "-extensions", "ca_ext")
    return cert, key


def make_tsa_certificate(workdir: Path, ca_cert: Path, ca_key: Path, subject: str = TSA_SUBJECT,
                         days: int = 2) -> tuple[Path, Path]:
    """The TSA's key and a certificate for it signed by the CA, EKU critical timeStamping: (cert, key)."""
    ext = workdir / "extensions.cnf"
    if not ext.exists():
        ext.write_text(_EXTENSIONS)
    cert, key, csr = workdir / "tsa.pem", workdir / "tsa.key", workdir / "tsa.csr"
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-out", csr, "-subj", subject, "-config", ext)
    openssl("x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key, "-set_serial", "4660",
            "-days", str(days), "-sha256", "-extfile", ext, "-extensions", "tsa_ext", "-out", cert)
    return cert, key


def write_config(workdir: Path) -> Path:
    conf = workdir / "tsa.cnf"
    conf.write_text(_TS_CONFIG.format(dir=workdir.resolve(), policy=POLICY))
    serial = workdir / "tsaserial"
    if not serial.exists():
        serial.write_text("01\n")
    return conf


def _handler(conf: Path, workdir: Path, lock: threading.Lock):
    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = "consent-auditor-test-tsa/1"

        def log_message(self, fmt, *args):  # quiet: the tests read results, not access logs
            pass

        def _send(self, code: int, body: bytes, ctype: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            self._send(405, b"POST an RFC 3161 TimeStampReq (Content-Type: application/timestamp-query)\n",
                       "text/plain")

        def do_POST(self):
            section = SECTIONS.get(self.path.split("?", 1)[0])
            if section is None:
                self._send(404, f"no TSA at {self.path}\n".encode(), "text/plain")
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with tempfile.TemporaryDirectory(dir=workdir, prefix="q-") as tmp:
                query, reply = Path(tmp) / "query.tsq", Path(tmp) / "reply.tsr"
                query.write_bytes(body)
                try:
                    with lock:  # openssl ts -reply reads and rewrites the serial file
                        openssl("ts", "-reply", "-config", conf, "-section", section,
                                "-queryfile", query, "-out", reply)
                    out = reply.read_bytes()
                except (OpenSSLError, OSError, subprocess.TimeoutExpired) as exc:
                    self._send(500, (str(exc).splitlines() or ["openssl failed"])[0].encode() + b"\n",
                               "text/plain")
                    return
            self._send(200, out, "application/timestamp-reply")

    return Handler


@contextlib.contextmanager
def local_tsa(workdir: Path) -> Iterator[tuple[str, Path]]:
    """Make a test CA and TSA in ``workdir`` and serve ``openssl ts -reply`` on 127.0.0.1 (a free port) until the
    block ends: yields (the TSA's URL, the CA certificate's PEM file)."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    ca_cert, ca_key = make_ca(workdir)
    make_tsa_certificate(workdir, ca_cert, ca_key)
    conf = write_config(workdir)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(conf, workdir, threading.Lock()))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="local-tsa",
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", ca_cert
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python tests/tsa.py DIR   (serves a test TSA on 127.0.0.1 until killed)", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # a kill ends the block: the server shuts down
    try:
        with local_tsa(Path(argv[0])) as (url, ca):
            print(f"TSA URL: {url}", flush=True)
            print(f"CA certificate: {ca}", flush=True)
            threading.Event().wait()
    except OpenSSLError as exc:
        print(f"tsa: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
