"""Issue 7 (part): TLS on `seismo serve`, against a running Seismo and real Prometheus 2.42.

The test makes its own PKI with the openssl CLI: a root CA, an intermediate CA that
signs the server certificates (so cert_file carries a chain), a client certificate from
the root, and a second, unrelated CA with a client certificate of its own.

- HTTPS handshake and remote-write POST with the CA; a client that does not trust the
  CA fails to verify the server; plain HTTP to the TLS port gets a readable 400 and
  breaks nothing; TLS 1.1 is refused; stalled handshakes are closed after 10 s.
- client_auth require: no client certificate or one from another CA → refused; the
  right one → in. client_auth optional: no certificate → in, a foreign one → refused.
- Prometheus remote_write and remote_read over https with tls_config (CA, client cert)
  plus bearer credentials: samples arrive, and a query is answered by remote read.
- SIGHUP with a new server certificate: new connections see it, an open connection
  keeps working; a broken certificate or a key that does not fit → the previous
  certificate stays and the failure is counted. Rules reload on the same SIGHUP.
"""

import http.client
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time
import warnings

import pytest

import harness
from harness import f64_bits

# ----------------------------------------------------------------------------- test PKI

class PKI:
    """Keys and certificates made with the openssl CLI in one directory (EC P-256)."""

    def __init__(self, d):
        self.d = d

    def path(self, name):
        return os.path.join(self.d, name)

    def _openssl(self, *args):
        r = subprocess.run(["openssl", *args], capture_output=True, timeout=30)
        assert r.returncode == 0, f"openssl {' '.join(args)}: {r.stderr.decode(errors='replace')}"

    def _ext(self, name, lines):
        p = self.path(name + ".ext")
        with open(p, "w") as f:
            f.write("\n".join(lines) + "\n")
        return p

    def _key_and_csr(self, name, cn):
        self._openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                      "-keyout", self.path(name + ".key"), "-out", self.path(name + ".csr"), "-subj", f"/CN={cn}")

    def root(self, name, cn):
        self._openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                      "-keyout", self.path(name + ".key"), "-out", self.path(name + ".crt"), "-days", "2",
                      "-subj", f"/CN={cn}", "-addext", "basicConstraints=critical,CA:TRUE",
                      "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        return self.path(name + ".crt")

    def sign(self, name, cn, signer, serial, ext_lines):
        self._key_and_csr(name, cn)
        self._openssl("x509", "-req", "-in", self.path(name + ".csr"), "-CA", self.path(signer + ".crt"),
                      "-CAkey", self.path(signer + ".key"), "-set_serial", str(serial), "-days", "2",
                      "-out", self.path(name + ".crt"), "-extfile", self._ext(name, ext_lines))
        return self.path(name + ".crt"), self.path(name + ".key")

    def intermediate(self, name, cn, signer, serial):
        return self.sign(name, cn, signer, serial, ["basicConstraints=critical,CA:TRUE,pathlen:0",
                                                    "keyUsage=critical,keyCertSign,cRLSign"])

    def server(self, name, signer, serial):
        """Leaf for 127.0.0.1 (IP SAN); the .chain file is leaf + signer, as cert_file."""
        crt, key = self.sign(name, "seismo test server", signer, serial, [
            "basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature",
            "extendedKeyUsage=serverAuth", "subjectAltName=IP:127.0.0.1"])
        chain = self.path(name + ".chain.crt")
        with open(chain, "w") as out:
            out.write(open(crt).read() + open(self.path(signer + ".crt")).read())
        return chain, key

    def client(self, name, signer, serial):
        return self.sign(name, f"client {name}", signer, serial, [
            "basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature", "extendedKeyUsage=clientAuth"])


def leaf_der(pem_path):
    """DER of the first certificate in a PEM file (the leaf of a chain file)."""
    text = open(pem_path).read()
    end = "-----END CERTIFICATE-----"
    return ssl.PEM_cert_to_DER_cert(text[:text.index(end) + len(end)] + "\n")


@pytest.fixture(scope="module")
def pki():
    if shutil.which("openssl") is None:
        pytest.fail("the openssl CLI is not installed (Debian package openssl; scripts/setup installs it)")
    d = harness.mkdtemp("tls-pki")
    p = PKI(d)
    p.root("root", "Seismo Test Root CA")
    p.intermediate("inter", "Seismo Test Intermediate CA", "root", 0x100)
    p.server("server1", "inter", 0x1001)
    p.server("server2", "inter", 0x1002)
    p.server("server3", "inter", 0x1003)
    p.client("client", "root", 0x2001)
    p.root("other", "Some Other CA")
    p.client("stranger", "other", 0x3001)
    try:
        yield p
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ----------------------------------------------------------------------------- HTTPS client

def client_context(ca=None, cert=None, key=None):
    """A verifying client context: trusts `ca` only (the system store when None)."""
    ctx = ssl.create_default_context(cafile=ca) if ca else ssl.create_default_context()
    if cert:
        ctx.load_cert_chain(cert, key)
    return ctx


def https_request(ctx, port, method, path, body=None, headers=None, timeout=10.0):
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return harness.Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    finally:
        conn.close()


def peer_der(ctx, port):
    """DER of the certificate a new connection is served."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            return s.getpeercert(binary_form=True)


def refused(ctx, port):
    """True when a request over a fresh connection gets no HTTP answer. Under TLS 1.3 the
    server judges the client certificate after the client's side of the handshake is
    done, so the refusal may show up only on the first read."""
    try:
        https_request(ctx, port, "GET", "/-/ready")
    except TimeoutError:
        return False  # a hang is no refusal
    except (ssl.SSLError, ConnectionError, http.client.HTTPException, OSError):
        return True
    return False


class TLSSeismo(harness.Seismo):
    """A Seismo whose listener speaks HTTPS; readiness and /metrics go over TLS."""

    def __init__(self, stack, ctx, *extra):
        super().__init__(stack.dir("data"), stack.logs, *extra)
        self.ctx = ctx
        stack.seismos.append(self)

    @property
    def url(self):
        return f"https://127.0.0.1:{self.port}"

    def _ready_or_dead(self):
        if not self.proc.alive():
            raise RuntimeError(f"seismo exited with {self.proc.popen.returncode}; log tail:\n{self.proc.log_tail()}")
        try:
            return https_request(self.ctx, self.port, "GET", "/-/ready", timeout=2).status == 200
        except OSError:
            return False

    def get(self, path, ctx=None, headers=None):
        return https_request(ctx or self.ctx, self.port, "GET", path, headers=headers)

    def post(self, body, headers=None, ctx=None, timeout=30.0):
        return https_request(ctx or self.ctx, self.port, "POST", "/api/v1/write", body,
                             harness.RW_HEADERS if headers is None else headers, timeout)

    def metrics(self):
        r = self.get("/metrics")
        assert r.status == 200, f"/metrics answered {r.status}"
        return harness.parse_prom_text(r.text)


def write_body(name, t_ms=None, v=1.0):
    t_ms = t_ms if t_ms is not None else (int(time.time()) - 5) * 1000
    return harness.snappy_compress(harness.encode_write_request([([("__name__", name)], [(t_ms, f64_bits(v))])]))


def secret(stack, name, text):
    p = os.path.join(stack.dir("cfg"), name)
    with open(p, "w") as f:
        f.write(text + "\n")
    return p


def handshake_failures(seismo):
    return harness.metric_sum(seismo.metrics(), "seismo_tls_handshake_failures_total", reason="handshake")


# ----------------------------------------------------------------------------- tests

def test_require_client_certificate(seismo_bin, stack, pki):
    cfg = os.path.join(stack.dir("cfg"), "seismo.yaml")
    with open(cfg, "w") as f:
        f.write(f"""\
tls:
  cert_file: {pki.path('server1.chain.crt')}
  key_file: {pki.path('server1.key')}
  client_ca_file: {pki.path('root.crt')}
  client_auth: require
""")
    good = client_context(pki.path("root.crt"), pki.path("client.crt"), pki.path("client.key"))
    seismo = TLSSeismo(stack, good, "--config", cfg).start()

    # The right client certificate: handshake, then a remote-write POST is stored.
    r = seismo.post(write_body("tls_probe"))
    assert r.status == 204, (r.status, r.text)
    assert peer_der(good, seismo.port) == leaf_der(pki.path("server1.chain.crt"))
    assert harness.metric_sum(seismo.metrics(), "seismo_samples_stored_total") >= 1

    # A client that does not trust our CA rejects the server certificate.
    with pytest.raises(ssl.SSLCertVerificationError):
        https_request(client_context(cert=pki.path("client.crt"), key=pki.path("client.key")),
                      seismo.port, "GET", "/-/ready")
    # No client certificate, or one from another CA: refused, and counted.
    before = handshake_failures(seismo)
    assert refused(client_context(pki.path("root.crt")), seismo.port)
    assert refused(client_context(pki.path("root.crt"), pki.path("stranger.crt"), pki.path("stranger.key")), seismo.port)
    harness.wait_until(lambda: handshake_failures(seismo) >= before + 2, 5, what="refused handshakes counted")

    # Plain HTTP to the TLS port: a readable 400, the connection closed, nothing stuck.
    plain = harness.http_request("GET", f"http://127.0.0.1:{seismo.port}/-/ready", timeout=5)
    assert plain.status == 400 and "https://" in plain.text, (plain.status, plain.text)
    with socket.create_connection(("127.0.0.1", seismo.port), timeout=5) as s:
        s.sendall(b"\x00\x01\x02garbage\r\n\r\n")
        assert s.recv(100) == b""  # closed without an answer
    assert harness.metric_sum(seismo.metrics(), "seismo_tls_handshake_failures_total", reason="plaintext") == 2

    # TLS 1.1 is below the minimum: the server refuses the ClientHello.
    old = client_context(pki.path("root.crt"), pki.path("client.crt"), pki.path("client.key"))
    with warnings.catch_warnings():  # Python calls these versions deprecated: that is the point
        warnings.simplefilter("ignore", DeprecationWarning)
        old.minimum_version = ssl.TLSVersion.TLSv1
        old.maximum_version = ssl.TLSVersion.TLSv1_1
    old.set_ciphers("DEFAULT:@SECLEVEL=0")  # let the client offer them at all
    before = handshake_failures(seismo)
    assert refused(old, seismo.port)
    harness.wait_until(lambda: handshake_failures(seismo) >= before + 1, 5, what="TLS 1.1 refusal counted")
    # TLS 1.2 is enough.
    tls12 = client_context(pki.path("root.crt"), pki.path("client.crt"), pki.path("client.key"))
    tls12.maximum_version = ssl.TLSVersion.TLSv1_2
    assert https_request(tls12, seismo.port, "GET", "/-/ready").status == 200
    assert seismo.proc.alive()


def test_optional_client_certificate_from_flags(seismo_bin, stack, pki):
    ca = pki.path("root.crt")
    seismo = TLSSeismo(stack, client_context(ca), "--tls-cert-file", pki.path("server1.chain.crt"),
                       "--tls-key-file", pki.path("server1.key"), "--tls-client-ca-file", ca,
                       "--tls-client-auth", "optional").start()
    assert seismo.post(write_body("no_client_cert")).status == 204
    assert seismo.post(write_body("with_client_cert"),
                       ctx=client_context(ca, pki.path("client.crt"), pki.path("client.key"))).status == 204
    # A certificate that is shown must verify, even when none is required.
    assert refused(client_context(ca, pki.path("stranger.crt"), pki.path("stranger.key")), seismo.port)
    harness.wait_until(lambda: handshake_failures(seismo) == 1, 5, what="refused handshake counted")


def test_stalled_handshakes_are_closed(seismo_bin, stack, pki):
    """A client that connects and sends nothing, or half a ClientHello, is closed after
    the 10 s handshake timeout; meanwhile everyone else is served."""
    ctx = client_context(pki.path("root.crt"))
    seismo = TLSSeismo(stack, ctx, "--tls-cert-file", pki.path("server1.chain.crt"),
                       "--tls-key-file", pki.path("server1.key")).start()
    silent = socket.create_connection(("127.0.0.1", seismo.port), timeout=20)
    partial = socket.create_connection(("127.0.0.1", seismo.port), timeout=20)
    partial.sendall(b"\x16\x03\x01\x02\x00\x01")  # a handshake record header and one byte of it
    t0 = time.monotonic()
    assert seismo.post(write_body("while_stalled")).status == 204
    try:
        for s in (silent, partial):
            assert s.recv(100) == b""  # the server closed it (a timeout here raises)
    finally:
        silent.close()
        partial.close()
    waited = time.monotonic() - t0
    assert 8 <= waited <= 15, waited
    assert harness.metric_sum(seismo.metrics(), "seismo_tls_handshake_failures_total", reason="timeout") == 2


def test_bad_tls_settings_stop_startup(seismo_bin, stack, pki):
    data = stack.dir("data")
    cases = [
        (["--tls-cert-file", pki.path("server1.chain.crt")], "key_file"),
        (["--tls-cert-file", pki.path("server1.chain.crt"), "--tls-key-file", pki.path("server2.key")],
         "do not form a usable TLS identity"),
        (["--tls-cert-file", pki.path("missing.crt"), "--tls-key-file", pki.path("server1.key")], "cannot read"),
        (["--tls-cert-file", pki.path("server1.chain.crt"), "--tls-key-file", pki.path("server1.key"),
          "--tls-client-auth", "require"], "needs client_ca_file"),
        (["--tls-cert-file", pki.path("server1.chain.crt"), "--tls-key-file", pki.path("server1.key"),
          "--tls-client-auth", "sometimes"], "unknown mode"),
    ]
    for args, message in cases:
        r = subprocess.run([seismo_bin, "serve", "--listen", f"127.0.0.1:{harness.free_port()}", "--data", data,
                            "--no-detection", *args], capture_output=True, timeout=30)
        err = r.stderr.decode(errors="replace")
        assert r.returncode != 0 and message in err, (args, r.returncode, err[-1000:])


def test_prometheus_remote_write_and_read_over_mtls(seismo_bin, stack, pki):
    ca, ccrt, ckey = pki.path("root.crt"), pki.path("client.crt"), pki.path("client.key")
    write_token, read_token = secret(stack, "write.token", "w-tls-1"), secret(stack, "read.token", "r-tls-1")
    cfg = os.path.join(stack.dir("cfg"), "seismo.yaml")
    with open(cfg, "w") as f:
        f.write(f"""\
auth:
  write: {{bearer_token_file: {write_token}}}
  read: {{bearer_token_file: {read_token}}}
tls:
  cert_file: {pki.path('server1.chain.crt')}
  key_file: {pki.path('server1.key')}
  client_ca_file: {ca}
""")
    ctx = client_context(ca, ccrt, ckey)
    seismo = TLSSeismo(stack, ctx, "--config", cfg).start()
    # A series only Seismo has: Prometheus can show it only through remote read.
    t_ms = (int(time.time()) - 20) * 1000
    r = seismo.post(write_body("seismo_tls_only", t_ms, 42.0), {**harness.RW_HEADERS, "Authorization": "Bearer w-tls-1"})
    assert r.status == 204, (r.status, r.text)

    ne_port, prom_port = harness.free_port(), harness.free_port()
    harness.start_node_exporter(stack, ne_port)
    d = stack.dir("prometheus")
    prom_cfg = os.path.join(d, "prometheus.yml")
    tls_config = f"{{ca_file: {ca}, cert_file: {ccrt}, key_file: {ckey}}}"
    with open(prom_cfg, "w") as f:
        f.write(f"""\
global: {{scrape_interval: 1s, scrape_timeout: 1s}}
scrape_configs:
  - job_name: node
    static_configs: [{{targets: ['127.0.0.1:{ne_port}']}}]
    metric_relabel_configs: [{{source_labels: [__name__], regex: 'node_(load|time).*', action: keep}}]
remote_write:
  - url: {seismo.url}/api/v1/write
    authorization: {{type: Bearer, credentials_file: {write_token}}}
    tls_config: {tls_config}
    queue_config: {{batch_send_deadline: 1s}}
remote_read:
  - url: {seismo.url}/api/v1/read
    read_recent: true
    authorization: {{type: Bearer, credentials_file: {read_token}}}
    tls_config: {tls_config}
""")
    stack.proc("prometheus", ["prometheus", f"--config.file={prom_cfg}", f"--storage.tsdb.path={d}/tsdb",
                              f"--web.listen-address=127.0.0.1:{prom_port}"])
    harness.wait_until(lambda: harness.http_ok(f"http://127.0.0.1:{prom_port}/-/ready"), 60, what="prometheus ready")
    harness.wait_until(lambda: harness.metric_sum(seismo.metrics(), "seismo_samples_stored_total") > 20, 60,
                       what="samples from Prometheus over mTLS")

    def remote_read_answer():
        data = harness.prom_query(prom_port, "seismo_tls_only", t_ms / 1000 + 1, timeout=10)
        return [float(s["value"][1]) for s in data["result"]]
    assert harness.wait_until(remote_read_answer, 30, what="remote read over mTLS") == [42.0]
    m = seismo.metrics()
    assert harness.metric_sum(m, "seismo_http_requests_total", handler="read", code="200") >= 1
    assert harness.metric_sum(m, "seismo_requests_unauthorized_total") == 0
    assert harness.metric_sum(m, "seismo_tls_handshake_failures_total") == 0


def test_sighup_reloads_certificate_and_keeps_old_on_failure(seismo_bin, stack, pki):
    live = stack.dir("tls")
    cert, key = os.path.join(live, "server.crt"), os.path.join(live, "server.key")

    def install(name, key_of=None):
        # Copy then rename, as a rotation tool would: a reload never sees half a file.
        for src, dst in ((pki.path(f"{name}.chain.crt"), cert), (pki.path(f"{key_of or name}.key"), key)):
            shutil.copyfile(src, dst + ".tmp")
            os.replace(dst + ".tmp", dst)

    install("server1")
    ctx = client_context(pki.path("root.crt"))
    rules = os.path.join(harness.REPO, "deploy", "rules.example.yaml")
    seismo = TLSSeismo(stack, ctx, "--tls-cert-file", cert, "--tls-key-file", key, "--rules", rules).start()
    assert peer_der(ctx, seismo.port) == leaf_der(pki.path("server1.chain.crt"))

    def tls_metric(name):
        return harness.metric_sum(seismo.metrics(), name)

    # An open keep-alive connection made before the reload.
    kept = http.client.HTTPSConnection("127.0.0.1", seismo.port, context=ctx, timeout=10)
    kept.request("GET", "/-/ready")
    assert kept.getresponse().read() and kept.sock.getpeercert(binary_form=True) == leaf_der(pki.path("server1.chain.crt"))

    install("server2")
    seismo.proc.signal(signal.SIGHUP)
    harness.wait_until(lambda: tls_metric("seismo_tls_reloads_total") == 1, 10, what="TLS reload")
    assert peer_der(ctx, seismo.port) == leaf_der(pki.path("server2.chain.crt"))
    kept.request("POST", "/api/v1/write", body=write_body("after_reload"), headers=harness.RW_HEADERS)
    assert kept.getresponse().status == 204  # the old connection still serves, on its old certificate
    kept.close()
    # The same SIGHUP reloaded the rules: one signal path for both.
    harness.wait_until(lambda: "rules reloaded" in open(seismo.proc.log_path).read(), 5, what="rules reload")

    # A broken certificate file: the reload fails, server2 stays.
    with open(cert, "w") as f:
        f.write("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n")
    seismo.proc.signal(signal.SIGHUP)
    harness.wait_until(lambda: tls_metric("seismo_tls_reload_failures_total") == 1, 10, what="failed reload counted")
    assert peer_der(ctx, seismo.port) == leaf_der(pki.path("server2.chain.crt"))
    # A certificate whose key was not rotated with it: refused too.
    install("server3", key_of="server2")
    seismo.proc.signal(signal.SIGHUP)
    harness.wait_until(lambda: tls_metric("seismo_tls_reload_failures_total") == 2, 10, what="key mismatch counted")
    assert peer_der(ctx, seismo.port) == leaf_der(pki.path("server2.chain.crt"))
    assert seismo.post(write_body("still_serving")).status == 204
    log = open(seismo.proc.log_path).read()
    assert "TLS reload failed; new connections keep the previous certificate" in log

    # Fixed files are picked up by the next SIGHUP.
    install("server3")
    seismo.proc.signal(signal.SIGHUP)
    harness.wait_until(lambda: tls_metric("seismo_tls_reloads_total") == 2, 10, what="TLS reload after fix")
    assert peer_der(ctx, seismo.port) == leaf_der(pki.path("server3.chain.crt"))
    assert tls_metric("seismo_tls_certificate_expiry_timestamp_seconds") > time.time()
    assert seismo.proc.alive()
