// Deployment artefacts (deploy/docker, deploy/kubernetes, deploy/prometheus) against the real
// binaries: promtool accepts the Prometheus config and rules and passes the rule unit tests;
// every metric the rules use is in the live /metrics of sudachi-room (embedded and with Redis)
// or sudachi-relay; every environment variable the manifests and the compose file give a
// binary is one its --help lists; probes point at /health and /ready on the right ports; the
// Kubernetes objects hang together (selectors, ports, drain timings, overlay patch paths); the
// Docker image's package lists match scripts/install-deps.sh and the binaries' libraries.
//
// SUDACHI_ROOM_BIN and SUDACHI_RELAY_BIN name the binaries. Needs promtool, redis-server,
// readelf and dpkg (Debian). SUDACHI_WRITE_PROMETHEUSRULE=1 regenerates the Prometheus
// Operator rule object from deploy/prometheus/alerts.yml instead of comparing the two.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import YAML from 'yaml';
import { fetchWithTimeout, startServer } from './lib/server.js';
import { startRedis } from './lib/cluster.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const deploy = path.join(repo, 'deploy');
const promDir = path.join(deploy, 'prometheus');
const k8sDir = path.join(deploy, 'kubernetes');
const dockerDir = path.join(deploy, 'docker');
const PART_OF = 'sudachi-multiplayer';

function run(cmd, args, { timeoutMs = 60_000, cwd = repo, env = process.env } = {}) {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env, timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr, err });
    });
  });
}

function bin(name) {
  const p = process.env[name];
  if (!p) throw new Error(`${name} must name the binary`);
  return p;
}

// ---------------------------------------------------------------------------------------------
// YAML helpers

function parseAll(file) {
  const docs = YAML.parseAllDocuments(readFileSync(file, 'utf8'));
  for (const d of docs) {
    assert.equal(d.errors.length, 0, `${path.relative(repo, file)}: ${d.errors.map((e) => e.message).join('; ')}`);
  }
  return docs.map((d) => d.toJS()).filter((d) => d !== null && d !== undefined);
}

function yamlFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...yamlFiles(p));
    else if (/\.ya?ml$/.test(entry.name)) out.push(p);
  }
  return out.sort();
}

// The environment variables a binary reads, from its --help: "(Env:NAME)".
async function helpEnv(binary) {
  const { code, stdout } = await run(binary, ['--help']);
  assert.equal(code, 0, `${binary} --help`);
  const names = new Set([...stdout.matchAll(/\(Env:([A-Z0-9_]+)\)/g)].map((m) => m[1]));
  assert.ok(names.size > 5, `no environment variables found in ${binary} --help`);
  return names;
}

// Metric families of a Prometheus exposition: every `# TYPE` line (families without samples
// yet, e.g. labelled counters never incremented, included) and every sample name.
function metricNames(text) {
  const names = new Set();
  for (const line of text.split('\n')) {
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)/.exec(line);
    if (type) {
      names.add(type[1]);
      if (type[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(type[1] + s);
      if (type[2] === 'summary') for (const s of ['_sum', '_count']) names.add(type[1] + s);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (sample) names.add(sample[1]);
  }
  return names;
}

const PROMQL_WORDS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left',
  'group_right', 'offset', 'bool', 'inf', 'nan', 'atan2']);

// Metric names a PromQL expression selects: strings, label matchers, grouping label lists,
// ranges and numbers removed; identifiers followed by "(" are functions or aggregations.
export function promqlMetricNames(expr) {
  let s = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ');
  s = s.replace(/\{[^}]*\}/g, ' ');
  s = s.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  s = s.replace(/\[[^\]]*\]/g, ' ');
  const names = new Set();
  for (const m of s.matchAll(/(?<![\w.:])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    if (m[2]) continue; // function call
    if (PROMQL_WORDS.has(m[1].toLowerCase())) continue;
    names.add(m[1]);
  }
  return names;
}

// GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes.
function anchors(markdown) {
  const out = new Set();
  for (const m of markdown.matchAll(/^#{1,6}\s+(.+)$/gm)) {
    out.add(m[1].trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-'));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Prometheus

describe('deploy/prometheus', () => {
  it('promtool check config accepts both scrape configs (and the rule file they load)', async () => {
    for (const file of ['prometheus-kubernetes.yml', 'prometheus-host.yml']) {
      const r = await run('promtool', ['check', 'config', file], { cwd: promDir });
      assert.equal(r.code, 0, `promtool check config ${file}:\n${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout + r.stderr, /SUCCESS: 1 rule files found/, file);
      const conf = YAML.parse(readFileSync(path.join(promDir, file), 'utf8'));
      assert.equal(conf.global.external_labels.region, '${REGION}', `${file}: the region on every series`);
      assert.deepEqual(conf.scrape_configs.map((j) => j.job_name).sort(), ['sudachi-relay', 'sudachi-room'], file);
    }
  });

  it('the host config loads no example target (an example address would fire SudachiInstanceDown)', () => {
    const conf = YAML.parse(readFileSync(path.join(promDir, 'prometheus-host.yml'), 'utf8'));
    const shipped = readdirSync(path.join(promDir, 'targets'));
    assert.ok(shipped.some((f) => f.endsWith('.yml.example')), 'examples ship');
    for (const job of conf.scrape_configs) {
      for (const pattern of job.file_sd_configs.flatMap((c) => c.files)) {
        const re = new RegExp(`^${pattern.replace(/^targets\//, '').replace(/\./g, '\\.').replace(/\*/g, '.*')}$`);
        const loaded = shipped.filter((f) => re.test(f));
        assert.deepEqual(loaded, [], `${job.job_name}: ${pattern} loads shipped files`);
      }
    }
  });

  it('prometheus-adapter: the HPA asks for what the rules expose, and each query is valid PromQL', async () => {
    const rules = adapterRules().rules;
    const patch = YAML.parse(readFileSync(path.join(k8sDir, 'components', 'prometheus-adapter', 'hpa-custom-metrics.yaml'), 'utf8'));
    const asked = patch.map((op) => op.value.pods.metric.name).sort();
    assert.deepEqual(asked, rules.map((r) => r.name.as).sort());
    const targets = Object.fromEntries(patch.map((op) => [op.value.pods.metric.name, op.value.pods.target.averageValue]));
    assert.equal(targets.sudachi_websocket_connections, '1000', 'spec: 1,000 connections per instance');
    assert.equal(targets.sudachi_event_duration_p95_seconds, '100m', 'spec: response time above 100 ms');
    // The adapter fills the templates per request; promtool parses what it would send.
    const expanded = rules.map((r, i) => ({
      record: `sudachi:adapter_rule_${i}`,
      expr: r.metricsQuery
        .replaceAll('<<.Series>>', /^([a-z_:]+)\{/.exec(r.seriesQuery)[1])
        .replaceAll('<<.LabelMatchers>>', 'namespace="sudachi-multiplayer",pod="sudachi-room-0"')
        .replaceAll('<<.GroupBy>>', 'pod'),
    }));
    assert.ok(expanded.every((r) => !r.expr.includes('<<')), 'every template filled');
    const dir = await mkdtemp(path.join(tmpdir(), 'sudachi-adapter-'));
    try {
      const file = path.join(dir, 'adapter_rules.yml');
      writeFileSync(file, YAML.stringify({ groups: [{ name: 'adapter', rules: expanded }] }));
      const r = await run('promtool', ['check', 'rules', file]);
      assert.equal(r.code, 0, `promtool check rules on the adapter queries:\n${r.stdout}\n${r.stderr}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('promtool check rules accepts alerts.yml', async () => {
    const r = await run('promtool', ['check', 'rules', 'alerts.yml'], { cwd: promDir });
    assert.equal(r.code, 0, `promtool check rules:\n${r.stdout}\n${r.stderr}`);
  });

  it('promtool test rules: the alerts fire on bad series and stay silent on good ones', async () => {
    const r = await run('promtool', ['test', 'rules', 'alerts_test.yml'], { cwd: promDir });
    assert.equal(r.code, 0, `promtool test rules:\n${r.stdout}\n${r.stderr}`);
    // At least three alerts are proven to fire (a non-empty exp_alerts) and to stay silent.
    const tests = YAML.parse(readFileSync(path.join(promDir, 'alerts_test.yml'), 'utf8')).tests;
    const fired = new Set();
    const silent = new Set();
    for (const t of tests) {
      for (const a of t.alert_rule_test ?? []) (a.exp_alerts?.length ? fired : silent).add(a.alertname);
    }
    const both = [...fired].filter((a) => silent.has(a));
    assert.ok(both.length >= 3, `alerts proven both ways: ${both.join(', ')}`);
  });

  it('every alert has a severity, a summary and a runbook anchor that docs/deployment.md has', () => {
    const rules = YAML.parse(readFileSync(path.join(promDir, 'alerts.yml'), 'utf8'));
    const doc = readFileSync(path.join(repo, 'docs', 'deployment.md'), 'utf8');
    const known = anchors(doc);
    let alerts = 0;
    for (const g of rules.groups) {
      for (const r of g.rules) {
        if (!r.alert) continue;
        alerts++;
        assert.match(r.labels?.severity ?? '', /^(critical|warning|info)$/, `${r.alert}: severity`);
        assert.ok(r.annotations?.summary, `${r.alert}: summary`);
        const m = /^docs\/deployment\.md#(.+)$/.exec(r.annotations?.runbook ?? '');
        assert.ok(m, `${r.alert}: runbook annotation`);
        assert.ok(known.has(m[1]), `${r.alert}: docs/deployment.md has no heading #${m[1]}`);
      }
    }
    assert.ok(alerts >= 10, `${alerts} alerts`);
  });

  describe('metric names used by the rules exist in the binaries', () => {
    const exported = new Set();
    const cleanup = [];
    before(async () => {
      // sudachi-room, embedded.
      const room = await startServer({});
      cleanup.push(() => room.stop());
      const roomText = await (await fetchWithTimeout(`${room.url}/metrics`)).text();
      for (const n of metricNames(roomText)) exported.add(n);
      // sudachi-room with Redis: the sudachi_redis_* and presence families appear.
      const redis = await startRedis();
      cleanup.push(() => redis.stop());
      const roomR = await startServer({ args: ['--redis-url', redis.url] });
      cleanup.push(() => roomR.stop());
      const roomRText = await (await fetchWithTimeout(`${roomR.url}/metrics`)).text();
      for (const n of metricNames(roomRText)) exported.add(n);
      assert.ok(exported.has('sudachi_redis_up'), 'sudachi_redis_up with REDIS_URL');
      // sudachi-relay.
      const relay = await startRelay();
      cleanup.push(() => relay.stop());
      const relayText = await (await fetchWithTimeout(`http://127.0.0.1:${relay.admin}/metrics`)).text();
      for (const n of metricNames(relayText)) exported.add(n);
      assert.ok(exported.has('relay_bandwidth_bytes_total'));
    });
    after(async () => {
      for (const f of cleanup.reverse()) await f().catch(() => {});
    });

    it('alerts.yml', () => {
      const rules = YAML.parse(readFileSync(path.join(promDir, 'alerts.yml'), 'utf8'));
      const recorded = new Set();
      for (const g of rules.groups) for (const r of g.rules) if (r.record) recorded.add(r.record);
      const used = new Set();
      for (const g of rules.groups) {
        for (const r of g.rules) {
          for (const n of promqlMetricNames(String(r.expr))) used.add(n);
        }
      }
      // Sanity of the extraction itself.
      for (const n of ['up', 'sudachi_relay_handshakes_total', 'p2p_connection_success_rate_bucket',
        'rooms_active_total', 'sudachi_room_errors_total', 'sudachi:rooms_active:sum']) {
        assert.ok(used.has(n), `extraction missed ${n}`);
      }
      const missing = [];
      for (const n of used) {
        if (n === 'up') continue; // Prometheus' own
        if (n.includes(':')) {
          if (!recorded.has(n)) missing.push(`${n} (not recorded by any rule)`);
        } else if (!exported.has(n)) {
          missing.push(n);
        }
      }
      assert.deepEqual(missing, [], `not exported by sudachi-room or sudachi-relay: ${missing.join(', ')}`);
    });

    it('the autoscaler and the docs name real metrics', () => {
      // The series prometheus-adapter turns into the HPA's Pods metrics, and the dashboards in
      // docs/deployment.md.
      for (const rule of adapterRules().rules) {
        const series = /^([a-z_:]+)\{/.exec(rule.seriesQuery)?.[1];
        assert.ok(series && exported.has(series), `adapter rule on ${rule.seriesQuery}: not exported`);
      }
      const doc = readFileSync(path.join(repo, 'docs', 'deployment.md'), 'utf8');
      for (const m of doc.matchAll(/`((?:sudachi|process|relay|rooms|websocket|p2p)_[a-z_]+)(?:\{[^`]*\})?`/g)) {
        assert.ok(exported.has(m[1]) || exported.has(m[1].replace(/_(bucket|sum|count)$/, '')),
          `docs/deployment.md names ${m[1]}, which no binary exports`);
      }
    });
  });
});

async function startRelay() {
  const dir = await mkdtemp(path.join(tmpdir(), 'sudachi-deploy-relay-'));
  const portFile = path.join(dir, 'ports');
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^(BIND|UDP_PORT|TCP_PORT|ADMIN_PORT|RELAY_|DATA_DIR|WORKERS)/.test(k)) delete env[k];
  const proc = spawn(bin('SUDACHI_RELAY_BIN'), ['--bind', '127.0.0.1', '--udp-port', '0', '--tcp-port', '0',
    '--admin-port', '0', '--port-file', portFile, '--data-dir', dir, '--workers', '1', '--log-level', 'warn',
    '--drain-grace-s', '0'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d) => {
    if (stderr.length < 100_000) stderr += d;
  });
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  let admin = 0;
  for (let i = 0; i < 300 && !admin; i++) {
    try {
      const text = await readFile(portFile, 'utf8');
      if (text.endsWith('\n')) admin = Number(text.trim().split(/\s+/)[2]);
    } catch {
      // not yet
    }
    if (!admin) await sleep(25);
  }
  if (!admin) {
    proc.kill('SIGKILL');
    throw new Error(`sudachi-relay did not start:\n${stderr}`);
  }
  return {
    admin,
    async stop() {
      proc.kill('SIGTERM');
      const done = await Promise.race([exited, sleep(10_000).then(() => 'timeout')]);
      if (done === 'timeout') proc.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Kubernetes

// The rules in components/prometheus-adapter/adapter-rules.yaml (a ConfigMap's config.yaml).
function adapterRules() {
  const cm = YAML.parse(readFileSync(path.join(k8sDir, 'components', 'prometheus-adapter', 'adapter-rules.yaml'), 'utf8'));
  return YAML.parse(cm.data['config.yaml']);
}

function loadK8s() {
  const objects = [];
  const kustomizations = [];
  for (const file of yamlFiles(k8sDir)) {
    for (const doc of parseAll(file)) {
      const entry = { file: path.relative(k8sDir, file), doc };
      if (/^Kustomization|Component$/.test(doc.kind ?? '') && /kustomize\.config\.k8s\.io/.test(doc.apiVersion ?? '')) {
        kustomizations.push(entry);
      } else if (Array.isArray(doc)) {
        continue;  // a JSON patch file, checked with the kustomization that uses it
      } else {
        objects.push(entry);
      }
    }
  }
  return { objects, kustomizations };
}

function find(objects, kind, name) {
  const o = objects.find((e) => e.doc.kind === kind && e.doc.metadata?.name === name && !e.file.startsWith('overlays'));
  assert.ok(o, `${kind}/${name} not found`);
  return o.doc;
}

function matches(selector, labels) {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

// A probe's port (number or container port name) as a number.
function probePort(container, probe) {
  const p = probe.httpGet.port;
  if (typeof p === 'number') return p;
  const port = container.ports.find((q) => q.name === p);
  assert.ok(port, `no container port named ${p}`);
  return port.containerPort;
}

// The env vars a container gets: env[] plus every key of the ConfigMaps it takes with envFrom.
function containerEnv(objects, container) {
  const names = new Set((container.env ?? []).map((e) => e.name));
  const values = {};
  for (const from of container.envFrom ?? []) {
    assert.ok(from.configMapRef, 'envFrom: only ConfigMaps (secrets are named one by one)');
    const cm = find(objects, 'ConfigMap', from.configMapRef.name);
    for (const [k, v] of Object.entries(cm.data)) {
      names.add(k);
      values[k] = v;
    }
  }
  for (const e of container.env ?? []) if (e.value !== undefined) values[e.name] = e.value;
  return { names, values };
}

describe('deploy/kubernetes', () => {
  const { objects, kustomizations } = loadK8s();
  let roomEnv;
  let relayEnv;
  before(async () => {
    roomEnv = await helpEnv(bin('SUDACHI_ROOM_BIN'));
    relayEnv = await helpEnv(bin('SUDACHI_RELAY_BIN'));
  });

  it('every manifest parses, and every object is named and labelled part-of sudachi-multiplayer', () => {
    assert.ok(objects.length >= 15, `${objects.length} objects`);
    for (const { file, doc } of objects) {
      assert.ok(doc.apiVersion && doc.kind && doc.metadata?.name, `${file}: apiVersion, kind, metadata.name`);
      if (file.startsWith('overlays')) continue;
      assert.equal(doc.metadata.labels?.['app.kubernetes.io/part-of'], PART_OF, `${file}: ${doc.kind}/${doc.metadata.name}`);
      if (doc.kind !== 'Namespace' && doc.metadata.namespace !== undefined) {
        assert.equal(doc.metadata.namespace, 'sudachi-multiplayer', `${file}: namespace`);
      }
    }
  });

  it('the base kustomization lists every manifest but the secret example, and the overlays resolve', () => {
    const base = kustomizations.find((k) => k.file === path.join('base', 'kustomization.yaml')).doc;
    const listed = new Set(base.resources);
    for (const f of readdirSync(path.join(k8sDir, 'base'))) {
      if (f === 'kustomization.yaml' || !f.endsWith('.yaml')) continue;
      if (f === 'secret.example.yaml') assert.ok(!listed.has(f), 'the secret example must not be applied');
      else assert.ok(listed.has(f), `base/kustomization.yaml does not list ${f}`);
    }
    // The base's `namespace` covers only the base's objects: an overlay must set it again, or
    // what its components add (the Prometheus Operator objects) lands in the default namespace
    // and selects nothing (issue 11).
    for (const { file, doc } of kustomizations.filter((k) => k.file.startsWith('overlays'))) {
      assert.equal(doc.namespace, base.namespace, `${file}: namespace`);
    }
    for (const { file, doc } of kustomizations) {
      const dir = path.join(k8sDir, path.dirname(file));
      for (const r of [...(doc.resources ?? []), ...(doc.components ?? [])]) {
        assert.ok(existsSync(path.join(dir, r)), `${file}: ${r} does not exist`);
      }
      // JSON patches (inline, or in a file next to the kustomization): every replaced path
      // exists in the base object it targets, and every appended one (`.../-`) is an array.
      for (const p of doc.patches ?? []) {
        const target = find(objects, p.target.kind, p.target.name);
        const ops = YAML.parse(p.patch ?? readFileSync(path.join(dir, p.path), 'utf8'));
        for (const op of ops) {
          assert.ok(op.op === 'replace' || (op.op === 'add' && op.path.endsWith('/-')),
            `${file}: only replace ops, or add ops appending to a list`);
          const keys = op.path.split('/').slice(1);
          if (op.op === 'add') keys.pop();
          let node = target;
          for (const key of keys) {
            assert.ok(node !== undefined && node !== null && key in Object(node),
              `${file}: ${op.path} not in ${p.target.kind}/${p.target.name}`);
            node = node[key];
          }
          if (op.op === 'add') assert.ok(Array.isArray(node), `${file}: ${op.path} appends to a list`);
        }
      }
    }
  });

  it('sudachi-room: 3 replicas, /ready and /health probes on the HTTP port, drain fits the grace period', () => {
    const dep = find(objects, 'Deployment', 'sudachi-room');
    assert.equal(dep.spec.replicas, 3);
    assert.ok(matches(dep.spec.selector.matchLabels, dep.spec.template.metadata.labels), 'selector matches the pods');
    const pod = dep.spec.template.spec;
    const c = pod.containers[0];
    const { names, values } = containerEnv(objects, c);
    const port = Number(values.PORT ?? 8080);
    assert.equal(c.ports.find((p) => p.name === 'http').containerPort, port);
    assert.equal(c.readinessProbe.httpGet.path, '/ready');
    assert.equal(probePort(c, c.readinessProbe), port);
    assert.equal(c.livenessProbe.httpGet.path, '/health');
    assert.equal(probePort(c, c.livenessProbe), port);
    if (c.startupProbe) assert.equal(c.startupProbe.httpGet.path, '/health');
    assert.equal(values.HOST, '0.0.0.0', 'listens on the pod address');
    // preStop sleep + DRAIN_GRACE_S must end before the kubelet's SIGKILL.
    const sleepS = Number(c.lifecycle.preStop.exec.command.at(-1));
    const drain = Number(values.DRAIN_GRACE_S ?? 10);
    assert.ok(pod.terminationGracePeriodSeconds > sleepS + drain,
      `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} <= preStop ${sleepS} + DRAIN_GRACE_S ${drain}`);
    assert.ok(c.resources.requests.cpu && c.resources.limits.memory, 'resources');
    assert.ok(pod.topologySpreadConstraints.length >= 1, 'topology spread');
    for (const t of pod.topologySpreadConstraints) {
      // Tainted relay nodes must not count as empty domains, and a rollout's new ReplicaSet is
      // spread on its own (issue 11: rollouts stalled, the HPA capped at the untainted nodes).
      assert.equal(t.nodeTaintsPolicy, 'Honor', `${t.topologyKey}: nodeTaintsPolicy`);
      assert.deepEqual(t.matchLabelKeys, ['pod-template-hash'], `${t.topologyKey}: matchLabelKeys`);
    }
    for (const n of ['JWT_SECRET', 'RELAY_SECRET', 'REDIS_URL', 'DATABASE_URL']) {
      const e = c.env.find((x) => x.name === n);
      assert.ok(e?.valueFrom?.secretKeyRef, `${n} comes from a Secret`);
    }
    const unknown = [...names].filter((n) => !roomEnv.has(n));
    assert.deepEqual(unknown, [], `sudachi-room --help lists no ${unknown.join(', ')}`);
  });

  it('sudachi-room: Service, Ingress, PDB, HPA and metrics Service line up with the pods', () => {
    const dep = find(objects, 'Deployment', 'sudachi-room');
    const podLabels = dep.spec.template.metadata.labels;
    const c = dep.spec.template.spec.containers[0];
    for (const name of ['sudachi-room', 'sudachi-room-metrics']) {
      const svc = find(objects, 'Service', name);
      assert.ok(matches(svc.spec.selector, podLabels), `${name} selects the pods`);
      for (const p of svc.spec.ports) assert.ok(c.ports.some((q) => q.name === p.targetPort || q.containerPort === p.targetPort));
    }
    assert.equal(find(objects, 'Service', 'sudachi-room-metrics').spec.publishNotReadyAddresses, true);
    const ing = find(objects, 'Ingress', 'sudachi-room');
    const a = ing.metadata.annotations;
    assert.equal(a['nginx.ingress.kubernetes.io/affinity'], 'cookie');
    const cm = find(objects, 'ConfigMap', 'sudachi-room-config').data;
    const pingS = (Number(cm.PING_INTERVAL_MS ?? 25000) + Number(cm.PING_TIMEOUT_MS ?? 20000)) / 1000;
    for (const k of ['proxy-read-timeout', 'proxy-send-timeout']) {
      assert.ok(Number(a[`nginx.ingress.kubernetes.io/${k}`]) > pingS, `${k} above ping interval + timeout (${pingS} s)`);
    }
    const paths = ing.spec.rules.flatMap((r) => r.http.paths);
    assert.ok(paths.some((p) => p.path === '/socket.io/'));
    for (const p of paths) {
      assert.equal(p.backend.service.name, 'sudachi-room');
      assert.ok(!['/metrics', '/'].includes(p.path), `${p.path} must not be public`);
    }
    assert.ok(matches(find(objects, 'PodDisruptionBudget', 'sudachi-room').spec.selector.matchLabels, podLabels));
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'sudachi-room');
    assert.equal(hpa.spec.scaleTargetRef.name, 'sudachi-room');
    assert.ok(hpa.spec.minReplicas >= 3);
    // The spec's resource triggers; the connection and latency ones: components/prometheus-adapter.
    const utilisation = Object.fromEntries(hpa.spec.metrics.filter((m) => m.type === 'Resource')
      .map((m) => [m.resource.name, m.resource.target.averageUtilization]));
    assert.deepEqual(utilisation, { cpu: 70, memory: 80 });
    assert.equal(hpa.spec.behavior.scaleDown.stabilizationWindowSeconds, 600, 'scale down after 10 minutes');
  });

  it('sudachi-relay: hostNetwork, probes on the admin port, drain fits, env from --help', () => {
    const ds = find(objects, 'DaemonSet', 'sudachi-relay');
    const pod = ds.spec.template.spec;
    assert.equal(pod.hostNetwork, true);
    assert.equal(pod.dnsPolicy, 'ClusterFirstWithHostNet');
    assert.ok(matches(ds.spec.selector.matchLabels, ds.spec.template.metadata.labels));
    const c = pod.containers[0];
    const { names, values } = containerEnv(objects, c);
    const admin = Number(values.ADMIN_PORT ?? 9478);
    assert.equal(c.readinessProbe.httpGet.path, '/ready');
    assert.equal(probePort(c, c.readinessProbe), admin);
    assert.equal(c.livenessProbe.httpGet.path, '/health');
    assert.equal(probePort(c, c.livenessProbe), admin);
    assert.ok(pod.terminationGracePeriodSeconds > Number(values.DRAIN_GRACE_S ?? 30));
    // The declared UDP ports cover main port .. main port + WORKERS - 1.
    const udp = Number(values.UDP_PORT ?? 3478);
    const workers = Number(values.WORKERS);
    assert.ok(workers >= 1, 'WORKERS is set: the UDP port range depends on it');
    for (let i = 0; i < workers; i++) {
      assert.ok(c.ports.some((p) => p.protocol === 'UDP' && p.containerPort === udp + i), `UDP ${udp + i} declared`);
    }
    assert.ok(c.env.find((e) => e.name === 'RELAY_SECRET')?.valueFrom?.secretKeyRef, 'RELAY_SECRET from a Secret');
    const unknown = [...names].filter((n) => !relayEnv.has(n));
    assert.deepEqual(unknown, [], `sudachi-relay --help lists no ${unknown.join(', ')}`);
    const svc = find(objects, 'Service', 'sudachi-relay-metrics');
    assert.ok(matches(svc.spec.selector, ds.spec.template.metadata.labels));
    assert.equal(svc.spec.ports[0].port, admin);
  });

  it('RELAYS names relays in the form the room server parses, and the backup CronJob is sane', () => {
    const cm = find(objects, 'ConfigMap', 'sudachi-room-config').data;
    for (const r of cm.RELAYS.split(',')) assert.match(r, /^[\w.-]+:\d+(\/\d+)?(@[\w.-]+)?(#[\w.-]+)?$/, r);
    const job = find(objects, 'CronJob', 'sudachi-postgres-backup');
    assert.equal(job.spec.concurrencyPolicy, 'Forbid');
    const pod = job.spec.jobTemplate.spec.template.spec;
    const claim = pod.volumes.find((v) => v.persistentVolumeClaim).persistentVolumeClaim.claimName;
    find(objects, 'PersistentVolumeClaim', claim);
    const script = pod.containers[0].command.join('\n');
    assert.match(script, /pg_dump/);
    assert.match(script, /-mtime "\+\$\{RETENTION_DAYS\}" -print -delete/);
    assert.ok(matches(find(objects, 'NetworkPolicy', 'sudachi-postgres-backup').spec.podSelector.matchLabels,
      job.spec.jobTemplate.spec.template.metadata.labels));
  });

  it('Prometheus Operator objects select the workloads and carry alerts.yml unchanged', () => {
    const sm = find(objects, 'ServiceMonitor', 'sudachi-room');
    const svc = find(objects, 'Service', 'sudachi-room-metrics');
    assert.ok(matches(sm.spec.selector.matchLabels, svc.metadata.labels));
    assert.ok(svc.spec.ports.some((p) => p.name === sm.spec.endpoints[0].port));
    assert.equal(svc.metadata.labels[sm.spec.jobLabel], 'sudachi-room', 'job label as alerts.yml expects');
    const pm = find(objects, 'PodMonitor', 'sudachi-relay');
    const ds = find(objects, 'DaemonSet', 'sudachi-relay');
    assert.ok(matches(pm.spec.selector.matchLabels, ds.spec.template.metadata.labels));
    assert.equal(ds.spec.template.metadata.labels[pm.spec.jobLabel], 'sudachi-relay');
    assert.ok(ds.spec.template.spec.containers[0].ports.some((p) => p.name === pm.spec.podMetricsEndpoints[0].port));

    const rules = YAML.parse(readFileSync(path.join(promDir, 'alerts.yml'), 'utf8'));
    const file = path.join(k8sDir, 'components', 'prometheus-operator', 'prometheusrule.yaml');
    if (process.env.SUDACHI_WRITE_PROMETHEUSRULE === '1') {
      const obj = {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'PrometheusRule',
        metadata: {
          name: 'sudachi-multiplayer',
          labels: { 'app.kubernetes.io/name': 'sudachi-multiplayer', 'app.kubernetes.io/part-of': PART_OF, release: 'prometheus' },
        },
        spec: { groups: rules.groups },
      };
      writeFileSync(file, '# Generated from deploy/prometheus/alerts.yml by tests/e2e/deploy.test.js\n' +
        '# (SUDACHI_WRITE_PROMETHEUSRULE=1); do not edit by hand.\n' + YAML.stringify(obj, { lineWidth: 0 }));
    }
    const pr = find(objects.concat(parseAll(file).map((doc) => ({ file, doc }))), 'PrometheusRule', 'sudachi-multiplayer');
    assert.deepEqual(pr.spec.groups, rules.groups, 'prometheusrule.yaml differs from alerts.yml: regenerate it');
  });
});

// ---------------------------------------------------------------------------------------------
// Docker

function dockerfileStage(text, stage) {
  const m = new RegExp(`^FROM \\S+ AS ${stage}\\n([\\s\\S]*?)(?=^FROM |$(?![\\s\\S]))`, 'm').exec(text);
  assert.ok(m, `stage ${stage}`);
  return m[1];
}

function aptPackages(stageText) {
  const joined = stageText.replace(/\\\n/g, ' ');
  const m = /apt-get install ([^\n]*)/.exec(joined);
  assert.ok(m, 'apt-get install');
  return m[1].split('&&')[0].split(/\s+/).filter((w) => w && !w.startsWith('-'));
}

describe('deploy/docker', () => {
  const dockerfile = readFileSync(path.join(dockerDir, 'Dockerfile'), 'utf8');

  it('the build stage installs the -dev packages of scripts/install-deps.sh', () => {
    const deps = readFileSync(path.join(repo, 'scripts', 'install-deps.sh'), 'utf8');
    const list = /build_pkgs=\(([\s\S]*?)\)/.exec(deps)[1].split(/\s+/).filter(Boolean);
    const build = new Set(aptPackages(dockerfileStage(dockerfile, 'build')));
    for (const p of build) assert.ok(list.includes(p), `${p} is not in install-deps.sh`);
    const testOnly = new Set(['libgtest-dev', 'libgmock-dev', 'libbenchmark-dev']);
    for (const p of list) {
      if (p.endsWith('-dev') && !testOnly.has(p)) assert.ok(build.has(p), `the build stage lacks ${p}`);
    }
    assert.match(dockerfile, /-G Ninja -DCMAKE_BUILD_TYPE=Release/);
  });

  it('the runtime stage installs the package of every library the binaries link', async () => {
    const runtime = new Set(aptPackages(dockerfileStage(dockerfile, 'runtime-base')));
    const base = new Set(['libc6', 'libgcc-s1', 'libstdc++6']); // in debian:bookworm-slim
    for (const b of [bin('SUDACHI_ROOM_BIN'), bin('SUDACHI_RELAY_BIN')]) {
      const r = await run('readelf', ['-d', b]);
      assert.equal(r.code, 0, r.stderr);
      const needed = [...r.stdout.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1])
        .filter((l) => !/^lib(asan|ubsan|lsan|tsan)\b/.test(l)); // sanitizer builds
      assert.ok(needed.length > 3);
      for (const lib of needed) {
        const q = await run('dpkg', ['-S', `*/${lib}`]);
        assert.equal(q.code, 0, `no Debian package has ${lib}`);
        const pkgs = new Set(q.stdout.split('\n').filter(Boolean).map((l) => l.split(':')[0]));
        assert.ok([...pkgs].some((p) => runtime.has(p) || base.has(p)),
          `${lib} (${[...pkgs].join(', ')}) not installed by the runtime stage`);
      }
    }
  });

  it('images run as non-root with /data, a HEALTHCHECK on /health, and the right entrypoints', () => {
    assert.match(dockerfile, /^USER 10001:10001$/m);
    assert.match(dockerfile, /^VOLUME \["\/data"\]$/m);
    for (const stage of ['room', 'relay']) {
      const s = dockerfileStage(dockerfile, stage);
      assert.match(s, /^HEALTHCHECK /m, stage);
      assert.match(s, new RegExp(`ENTRYPOINT \\["/usr/local/bin/sudachi-${stage}"\\]`));
    }
    const hc = readFileSync(path.join(dockerDir, 'healthcheck.sh'), 'utf8');
    assert.match(hc, /GET \/health /);
    // The build context is the repository root: its ignore file keeps build trees and data out.
    const ignore = readFileSync(path.join(dockerDir, '..', '..', '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['.git', '**/build-*', '**/node_modules']) assert.ok(ignore.includes(entry), entry);
  });

  it('healthcheck.sh answers 0 for a live server and 1 for a dead port', async () => {
    const server = await startServer({});
    try {
      const ok = await run('bash', [path.join(dockerDir, 'healthcheck.sh'), 'room'],
        { env: { ...process.env, PORT: String(server.port) } });
      assert.equal(ok.code, 0, ok.stderr);
    } finally {
      await server.stop();
    }
    const dead = await run('bash', [path.join(dockerDir, 'healthcheck.sh'), 'room'], { env: { ...process.env, PORT: '1' } });
    assert.equal(dead.code, 1);
  });

  it('docker-compose.yml: services give the binaries only variables their --help lists', async () => {
    const roomEnv = await helpEnv(bin('SUDACHI_ROOM_BIN'));
    const relayEnv = await helpEnv(bin('SUDACHI_RELAY_BIN'));
    const compose = YAML.parse(readFileSync(path.join(dockerDir, 'docker-compose.yml'), 'utf8'), { merge: true });
    const s = compose.services;
    const ours = { relay: relayEnv, room: roomEnv, room1: roomEnv, room2: roomEnv };
    for (const [name, allowed] of Object.entries(ours)) {
      assert.ok(s[name], `service ${name}`);
      assert.equal(s[name].build.dockerfile, 'deploy/docker/Dockerfile');
      assert.equal(s[name].build.target, name === 'relay' ? 'relay' : 'room');
      const unknown = Object.keys(s[name].environment).filter((k) => !allowed.has(k));
      assert.deepEqual(unknown, [], `${name}: ${unknown.join(', ')}`);
    }
    assert.deepEqual(s.room.profiles, ['small']);
    for (const n of ['redis', 'postgres', 'room1', 'room2', 'nginx']) assert.deepEqual(s[n].profiles, ['prod'], n);
    assert.notEqual(s.room1.environment.INSTANCE_ID, s.room2.environment.INSTANCE_ID);
    assert.ok(s.nginx.volumes.some((v) => v.startsWith('../nginx/sudachi-room.conf:')), 'nginx uses deploy/nginx/sudachi-room.conf');
    // The embedded pair shares the data volume (the generated relay secret).
    assert.ok(s.room.volumes.includes('sudachi-data:/data') && s.relay.volumes.includes('sudachi-data:/data'));
    // Relay ports published: UDP 3478 .. 3478 + WORKERS - 1.
    const workers = Number(s.relay.environment.WORKERS);
    for (let i = 0; i < workers; i++) assert.ok(s.relay.ports.includes(`${3478 + i}:${3478 + i}/udp`), `UDP ${3478 + i}`);
  });
});
