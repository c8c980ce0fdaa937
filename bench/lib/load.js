// The load generator: C concurrent clients on keep-alive HTTP connections (node:http Agent),
// each sending one request at a time; per-request latency from the first byte written to the
// last byte of the response read. Bounded in count and in time.
import http from 'node:http';

export class Client {
  /** @param {string} baseUrl  http://127.0.0.1:PORT  @param {string} token  bearer token */
  constructor(baseUrl, token, connections) {
    const u = new URL(baseUrl);
    if (u.hostname !== '127.0.0.1') throw new Error(`refusing traffic to ${u.hostname}: 127.0.0.1 only`);
    this.host = u.hostname;
    this.port = Number(u.port);
    this.token = token;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
  }

  /** One request; resolves {status, text, ms}. Never rejects for HTTP errors. */
  request(method, path, body) {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = payload.length;
    }
    return new Promise((resolve, reject) => {
      const t0 = performance.now();
      const req = http.request({ host: this.host, port: this.port, method, path, headers, agent: this.agent }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - t0 }));
        res.on('error', reject);
      });
      req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path}: no response within 30 s`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  async json(method, path, body) {
    const r = await this.request(method, path, body);
    let parsed = null;
    try {
      parsed = r.text ? JSON.parse(r.text) : null;
    } catch {
      parsed = r.text;
    }
    return { status: r.status, body: parsed };
  }

  close() {
    this.agent.destroy();
  }
}

/**
 * Run `count` requests with `concurrency` clients. `next(i, worker)` builds request i
 * ({method, path, body, expect, onResponse?}); returns the latencies of successful requests (ms),
 * the error count and the wall time. Stops early (and says so) after `maxMs`.
 */
export async function runLoad(client, { count, concurrency, next, maxMs }) {
  const latencies = new Float64Array(count);
  let ok = 0;
  let errors = 0;
  const errorSamples = [];
  let issued = 0;
  let timedOut = false;
  const start = performance.now();
  const deadline = start + maxMs;
  const worker = async (w) => {
    while (issued < count) {
      if (performance.now() > deadline) {
        timedOut = true;
        return;
      }
      const i = issued++;
      const spec = next(i, w);
      let r;
      try {
        r = await client.request(spec.method, spec.path, spec.body);
      } catch (e) {
        errors++;
        if (errorSamples.length < 5) errorSamples.push(String(e?.message ?? e));
        continue;
      }
      if (r.status === (spec.expect ?? 200)) {
        latencies[ok++] = r.ms;
        spec.onResponse?.(r);
      } else {
        errors++;
        if (errorSamples.length < 5) errorSamples.push(`${spec.method} ${spec.path} → ${r.status} ${r.text.slice(0, 300)}`);
        spec.onError?.(r);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const wallMs = performance.now() - start;
  return { latencies: latencies.slice(0, ok), ok, errors, errorSamples, wallMs, timedOut };
}

/** Summary figures of a latency sample (ms). */
export function summarize(latencies, wallMs) {
  const s = Float64Array.from(latencies).sort();
  const n = s.length;
  const pct = (p) => (n ? s[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))] : null);
  let sum = 0;
  for (const v of s) sum += v;
  return {
    requests: n,
    rps: n && wallMs ? (n * 1000) / wallMs : 0,
    mean: n ? sum / n : null,
    p50: pct(50),
    p90: pct(90),
    p99: pct(99),
    max: n ? s[n - 1] : null,
  };
}
