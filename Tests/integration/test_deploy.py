"""deploy/: every Kubernetes manifest validates offline against the Kubernetes 1.30 schemas
(kubernetes-validate, strict: unknown fields fail), the configuration files embedded in
the ConfigMaps are accepted by the real programs that read them (seismo serve, promtool,
amtool), the plain-host / shard examples pass the same checks (systemd-analyze for the
unit), and every metric the Grafana dashboard uses is in a live Seismo's /metrics."""

import json
import os
import re
import shutil
import subprocess
import time

import pytest
import yaml

import harness

DEPLOY = os.path.join(harness.REPO, "deploy")
K8S = os.path.join(DEPLOY, "kubernetes")
K8S_VERSION = "1.30.0"

# The keys FileConfig.swift decodes, plus the sections of the detection/alerting work
# (ignored by builds without it; checked for real once `seismo serve --help` lists them).
SEISMO_KEYS = {
    "listen": None, "data": None, "log_level": None,
    "storage": {"head_window", "segment_span", "retention", "columns_per_file", "wal_file_size", "max_pending_wal"},
    "limits": {"max_body_size", "max_decoded_size", "max_future", "max_series", "max_series_per_request",
               "max_labels_per_series", "max_label_name_length", "max_label_value_length",
               "max_concurrent_requests", "max_read_samples"},
    "detection": {"enabled", "rules"},
    "alerting": {"alertmanagers", "external_url"},
}


def manifests():
    out = []
    for name in sorted(os.listdir(K8S)):
        if name.endswith((".yaml", ".yml")) and name != "kustomization.yaml":
            out.append(os.path.join(K8S, name))
    return out


def docs(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def configmap_data(name):
    for path in manifests():
        for d in docs(path):
            if d.get("kind") == "ConfigMap" and d["metadata"]["name"] == name:
                return d["data"]
    raise AssertionError(f"no ConfigMap {name} in {K8S}")


def test_manifests_validate_against_kubernetes_schema():
    try:
        import kubernetes_validate as kv
    except ImportError:
        pytest.fail("kubernetes-validate is not installed in this venv: run scripts/setup (pins kubernetes-validate==1.37.0)")
    paths = manifests()
    kinds = set()
    problems = []
    for path in paths:
        for d in docs(path):
            kinds.add(d["kind"])
            try:
                kv.validate(d, K8S_VERSION, strict=True)
            except Exception as e:  # noqa: BLE001 - every failure is reported
                problems.append(f"{os.path.basename(path)} {d.get('kind')}/{d.get('metadata', {}).get('name')}: {e}")
    assert not problems, "\n".join(problems)
    assert {"Namespace", "StatefulSet", "Service", "ConfigMap"} <= kinds, kinds

    # The validator really rejects: an unknown field and a wrong type must both fail.
    sts = next(d for p in paths for d in docs(p) if d["kind"] == "StatefulSet")
    bad = yaml.safe_load(yaml.safe_dump(sts))
    bad["spec"]["replicaz"] = 1
    with pytest.raises(Exception):
        kv.validate(bad, K8S_VERSION, strict=True)
    bad = yaml.safe_load(yaml.safe_dump(sts))
    bad["spec"]["replicas"] = "two"
    with pytest.raises(Exception):
        kv.validate(bad, K8S_VERSION, strict=True)


def test_kustomization_lists_every_manifest():
    with open(os.path.join(K8S, "kustomization.yaml")) as f:
        k = yaml.safe_load(f)
    assert k["kind"] == "Kustomization"
    assert sorted(k["resources"]) == sorted(os.path.basename(p) for p in manifests())
    for d in (d for p in manifests() for d in docs(p)):
        if d["kind"] != "Namespace":
            assert d["metadata"].get("namespace") == k["namespace"] == "monitoring", d["metadata"]


def test_statefulset_shape():
    sts = next(d for p in manifests() for d in docs(p) if d["kind"] == "StatefulSet")
    pod = sts["spec"]["template"]["spec"]
    c = pod["containers"][0]
    assert c["livenessProbe"]["httpGet"]["path"] == "/-/healthy"
    assert c["readinessProbe"]["httpGet"]["path"] == "/-/ready"
    assert c["resources"]["requests"]["cpu"] and c["resources"]["limits"]["memory"]
    claims = {t["metadata"]["name"] for t in sts["spec"]["volumeClaimTemplates"]}
    mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
    assert "data" in claims and mounts["data"] == "/var/lib/seismo"
    assert any(a.startswith("--data=/var/lib/seismo/shard=") for a in c["args"]), c["args"]
    assert pod["terminationGracePeriodSeconds"] >= 60
    # The selectors of both Services pick the StatefulSet's pods.
    labels = sts["spec"]["template"]["metadata"]["labels"]
    services = [d for p in manifests() for d in docs(p) if d["kind"] == "Service"]
    assert {s["metadata"]["name"] for s in services} >= {"seismo", sts["spec"]["serviceName"]}
    for s in services:
        assert all(labels.get(k) == v for k, v in s["spec"]["selector"].items()), s["metadata"]["name"]


def check_seismo_keys(cfg, where):
    for key, value in cfg.items():
        assert key in SEISMO_KEYS, f"{where}: unknown key {key!r}"
        allowed = SEISMO_KEYS[key]
        assert isinstance(value, dict) == isinstance(allowed, set), f"{where}: {key}: wrong shape"
        if isinstance(value, dict):
            unknown = set(value) - allowed
            assert not unknown, f"{where}: unknown keys under {key}: {unknown}"


def serve_help(seismo_bin):
    return subprocess.run([seismo_bin, "serve", "--help"], capture_output=True, text=True, timeout=60).stdout


def run_seismo_with_config(seismo_bin, stack, config_path, *extra):
    """Starts the real server on the config (listen/data overridden to loopback/temp),
    waits for /-/ready, stops it gracefully."""
    s = stack.seismo(stack.dir("data-" + os.path.basename(config_path)), "--config", config_path, *extra)
    s.start(ready_timeout=60)
    assert harness.http_ok(s.url + "/-/healthy")
    assert s.stop(timeout=60) == 0, s.proc.log_tail()


def test_seismo_configmap_config_is_accepted(seismo_bin, stack):
    data = configmap_data("seismo-config")
    cfg = yaml.safe_load(data["seismo.yaml"])
    check_seismo_keys(cfg, "seismo-config/seismo.yaml")
    rules = yaml.safe_load(data["rules.yaml"])
    assert rules and rules.get("rules"), "rules.yaml holds no rules"
    d = stack.dir("cm")
    cfg_path = os.path.join(d, "seismo.yaml")
    rules_path = os.path.join(d, "rules.yaml")
    with open(cfg_path, "w") as f:
        f.write(data["seismo.yaml"])
    with open(rules_path, "w") as f:
        f.write(data["rules.yaml"])
    extra = []
    if "--rules" in serve_help(seismo_bin):  # detection merged: the rules must load too
        extra = ["--rules", rules_path]
    run_seismo_with_config(seismo_bin, stack, cfg_path, *extra)

    # A bad value in the same file is refused before listening (the check is real).
    bad = os.path.join(d, "bad.yaml")
    with open(bad, "w") as f:
        f.write(data["seismo.yaml"].replace("segment_span: 1h", "segment_span: forever"))
    r = subprocess.run([seismo_bin, "serve", "--config", bad, "--listen", f"127.0.0.1:{harness.free_port()}",
                        "--data", stack.dir("bad-data")], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "segment-span" in (r.stderr + r.stdout), r.stderr


def test_example_config_is_accepted(seismo_bin, stack):
    path = os.path.join(DEPLOY, "seismo.example.yaml")
    with open(path) as f:
        check_seismo_keys(yaml.safe_load(f), "seismo.example.yaml")
    run_seismo_with_config(seismo_bin, stack, path)


def promtool_check(path):
    r = subprocess.run(["promtool", "check", "config", path], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, f"promtool check config {path}:\n{r.stdout}{r.stderr}"


def test_prometheus_configs_pass_promtool(tmp_path):
    if not shutil.which("promtool"):
        pytest.fail("promtool not installed (Debian package prometheus)")
    cfg_text = configmap_data("prometheus-config")["prometheus.yml"]
    cfg = yaml.safe_load(cfg_text)
    rw = cfg["remote_write"][0]
    rr = cfg["remote_read"][0]
    assert rw["url"].endswith("/api/v1/write") and "seismo" in rw["url"]
    assert rr["url"].endswith("/api/v1/read") and "seismo" in rr["url"]
    assert any(j["job_name"] == "seismo" for j in cfg["scrape_configs"])
    p = tmp_path / "prometheus.yml"
    p.write_text(cfg_text)
    promtool_check(str(p))

    # The plain-host stanza and the 2-shard example.
    frag = tmp_path / "fragment.yml"
    with open(os.path.join(DEPLOY, "prometheus-remote-write.yaml")) as f:
        frag.write_text(f.read())
    promtool_check(str(frag))
    promtool_check(os.path.join(DEPLOY, "shards", "prometheus.yml"))

    # promtool really rejects (so the check above means something).
    broken = tmp_path / "broken.yml"
    broken.write_text(cfg_text.replace("remote_write:", "remote_writ:"))
    r = subprocess.run(["promtool", "check", "config", str(broken)], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0


TLS_BLOCK = "# WITH CREDENTIALS AND TLS \u2014"


def commented_yaml_after(text, marker):
    """The commented-out YAML that follows `marker` (prose comment lines first, then
    lines that are YAML once their '# ' is removed), uncommented."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if marker in line)
    out = []
    for line in lines[start + 1:]:
        body = line.lstrip()
        if not body.startswith("#"):
            break
        body = body[2:] if body.startswith("# ") else body[1:]
        if out or re.match(r"[a-z_]+:\s*$", body):
            out.append(body)
    assert out, f"no commented YAML after {marker!r}"
    return "\n".join(out) + "\n"


def commented_section(text, key):
    """A commented-out top-level section (`# key:` and its deeper-indented lines)."""
    lines = [line.strip() for line in text.splitlines()]
    start = lines.index(f"# {key}:")
    out = [f"{key}:"]
    for line in lines[start + 1:]:
        if not line.startswith("#   "):
            break
        out.append(line[2:])
    return yaml.safe_load("\n".join(out))[key]


def test_credentials_and_tls_variants(tmp_path):
    """The commented "with credentials and TLS" variants are real configuration: the
    Prometheus blocks pass promtool with https + authorization + tls_config on both
    remote_write and remote_read, and the Seismo blocks use keys FileConfig decodes."""
    if not shutil.which("promtool"):
        pytest.fail("promtool not installed (Debian package prometheus)")
    with open(os.path.join(DEPLOY, "prometheus-remote-write.yaml")) as f:
        fragment = f.read()
    for name, text in (("fragment", fragment), ("configmap", configmap_data("prometheus-config")["prometheus.yml"])):
        block = yaml.safe_load(commented_yaml_after(text, TLS_BLOCK))
        for section in ("remote_write", "remote_read"):
            entry = block[section][0]
            assert entry["url"].startswith("https://"), (name, section, entry["url"])
            assert entry["authorization"]["credentials_file"], (name, section)
            assert {"ca_file", "cert_file", "key_file"} <= set(entry["tls_config"]), (name, section)
        cfg = yaml.safe_load(text)
        cfg.update(block)
        p = tmp_path / f"{name}-tls.yml"
        p.write_text(yaml.safe_dump(cfg))
        promtool_check(str(p))

    with open(os.path.join(DEPLOY, "seismo.example.yaml")) as f:
        example = f.read()
    for name, text in (("seismo.example.yaml", example), ("seismo-config", configmap_data("seismo-config")["seismo.yaml"])):
        auth = commented_section(text, "auth")
        tls = commented_section(text, "tls")
        assert auth and set(auth) <= {"write", "read", "export", "admin"}, (name, auth)
        assert set(tls) == {"cert_file", "key_file", "client_ca_file", "client_auth"}, (name, tls)
        assert tls["client_auth"] in ("none", "optional", "require"), (name, tls)


def test_alertmanager_config_passes_amtool(tmp_path):
    if not shutil.which("amtool"):
        pytest.fail("amtool not installed (Debian package prometheus-alertmanager)")
    p = tmp_path / "alertmanager.yml"
    p.write_text(configmap_data("alertmanager-config")["alertmanager.yml"])
    r = subprocess.run(["amtool", "check-config", str(p)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "SUCCESS" in r.stdout


def test_systemd_unit_and_containerfile(seismo_bin, tmp_path):
    with open(os.path.join(DEPLOY, "seismo.service")) as f:
        unit = f.read()
    m = re.search(r"^ExecStart=(\S+) serve (.*)$", unit, re.M)
    assert m, "no ExecStart=... serve line"
    assert "--config" in m.group(2) and "--data" in m.group(2)
    assert re.search(r"^TimeoutStopSec=\d+", unit, re.M)
    # systemd's own checker, with ExecStart pointing at the built binary: no errors and
    # no ignored (unknown or misspelt) directives.
    if shutil.which("systemd-analyze"):
        u = tmp_path / "seismo.service"
        u.write_text(unit.replace(m.group(1), os.path.abspath(seismo_bin)))
        r = subprocess.run(["systemd-analyze", "verify", str(u)], capture_output=True, text=True, timeout=60)
        out = r.stdout + r.stderr
        assert r.returncode == 0 and "Unknown" not in out and "ignoring" not in out, out
    else:
        print("systemd-analyze not installed: unit only checked textually")
    with open(os.path.join(DEPLOY, "Containerfile")) as f:
        cf = f.read()
    assert "not built" in cf.lower()
    for lib in ("libsnappy1v5", "libprotobuf-c1", "libcurl4"):
        assert lib in cf


# ----------------------------------------------------------------------------- dashboard

DASHBOARD = os.path.join(DEPLOY, "grafana", "seismo-dashboard.json")

PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless",
                "bool", "offset", "inf", "nan", "atan2"}


def promql_metric_names(expr: str) -> set:
    """Metric names referenced by a PromQL expression: identifiers that are not functions,
    keywords, label names (inside {} or by/without/on/ignoring lists) or durations."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    e = re.sub(r"\{[^}]*\}", "{}", e)
    e = re.sub(r"\[[^\]]*\]", "[]", e)
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    names = set()
    for m in re.finditer(r"(?<![\w.$])[a-zA-Z_:][a-zA-Z0-9_:]*", e):
        rest = e[m.end():].lstrip()
        if rest.startswith("(") or m.group(0).lower() in PROMQL_WORDS:
            continue
        names.add(m.group(0))
    return names


def test_promql_name_parser():
    assert promql_metric_names(
        'histogram_quantile(0.99, sum by (le) (rate(a_bucket{job=~"$job", x="y{z}"}[$__rate_interval])))') == {"a_bucket"}
    assert promql_metric_names("max by (instance) (b{i=\"1\"} - c) / sum(d [5m]) and on(job) e") == {"b", "c", "d", "e"}


def dashboard_exprs():
    with open(DASHBOARD) as f:
        dash = json.load(f)
    out = []
    def walk(panels):
        for p in panels:
            for t in p.get("targets", []):
                if t.get("expr"):
                    out.append((p["title"], t["expr"]))
            walk(p.get("panels", []))
    walk(dash["panels"])
    return dash, out


def exported_names(text: str) -> set:
    names = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            names.add(line.split()[2])
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{\s]", line, 1)[0])
    return names


def _write_traffic(seismo, n):
    """One good request (204) and one with an unsorted-label series (400, too old)."""
    now_ms = int(time.time() * 1000)
    series = [([("__name__", "it_dash"), ("k", str(i))], [(now_ms, harness.f64_bits(float(n)))]) for i in range(5)]
    r = seismo.post(harness.snappy_compress(harness.encode_write_request(series)))
    assert r.status == 204, r.text
    bad = [([("__name__", "it_dash_bad"), ("z", "1"), ("a", "2")], [(now_ms, harness.f64_bits(1.0))]),
           ([("__name__", "it_dash"), ("k", "old")], [(now_ms - 3600_000, harness.f64_bits(1.0))])]
    r = seismo.post(harness.snappy_compress(harness.encode_write_request(bad)))
    assert r.status == 400, r.text


def test_dashboard_metrics_are_exported(seismo_bin, stack):
    """Every metric name in every panel query is in Seismo's /metrics (after real writes,
    refusals and a sealed segment), and every query runs in a real Prometheus 2.42
    scraping that Seismo."""
    dash, exprs = dashboard_exprs()
    titles = {p["title"] for p in dash["panels"]}
    assert len(exprs) >= 15, exprs
    for topic in ("Ingest rate", "Rejected", "WAL fsync", "Head rows", "Segment bytes", "Series count",
                  "Detector cost", "Alerts sent"):
        assert any(topic.lower() in t.lower() for t in titles), f"no panel about {topic!r}: {titles}"

    # Detection on (the built-in rule, written out), so its metrics are exported too, and an
    # Alertmanager configured (nothing needs to listen): the sender's counters exist at 0.
    rules = os.path.join(stack.dir("rules"), "rules.yaml")
    with open(rules, "w") as f:
        f.write("rules:\n  - name: SeismoAnomaly\n    detector: baseline\n    threshold: 0.99\n    for: 30s\n")
    seismo = stack.seismo(stack.dir("data"), "--segment-span", "1m", "--head-window", "10s", "--rules", rules,
                          "--alertmanager.url", f"http://127.0.0.1:{harness.free_port()}").start()
    prom_port = harness.free_port()
    d = stack.dir("prometheus")
    cfg = os.path.join(d, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write("global: {scrape_interval: 1s, scrape_timeout: 1s}\n"
                "scrape_configs:\n"
                f"  - job_name: seismo\n    static_configs: [{{targets: ['127.0.0.1:{seismo.port}']}}]\n")
    prom = stack.proc("prometheus", ["prometheus", f"--config.file={cfg}", f"--storage.tsdb.path={d}/tsdb",
                                     f"--web.listen-address=127.0.0.1:{prom_port}"])
    harness.wait_until(lambda: prom.alive() and harness.http_ok(f"http://127.0.0.1:{prom_port}/-/ready"), 60,
                       what="prometheus ready")
    for n in range(8):
        _write_traffic(seismo, n)
        time.sleep(1)
    r = harness.http_request("GET", seismo.url + "/metrics", timeout=10)
    assert r.status == 200
    exported = exported_names(r.text)

    used = {}
    for title, expr in exprs:
        for name in promql_metric_names(expr):
            used.setdefault(name, set()).add(title)
    missing = sorted(n for n in used if n not in exported)
    print(f"\ndashboard: {len(used)} metric names; exported: {len(used) - len(missing)}")
    assert not missing, "dashboard panels use metrics Seismo does not export: " + \
        "; ".join(f"{n} ({', '.join(sorted(used[n]))})" for n in missing)

    # Every query parses and evaluates in Prometheus; those on exported metrics return data.
    t = time.time()
    empty = []
    for title, expr in exprs:
        q = (expr.replace("$__rate_interval", "1m").replace('"$job"', '"seismo"')
             .replace('"$instance"', '".*"'))
        data = harness.prom_query(prom_port, q, t)
        if not data["result"]:
            empty.append(f"{title}: {q}")
    assert not empty, "queries with no result:\n" + "\n".join(empty)
