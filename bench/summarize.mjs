// Reads one scripts/bench result directory and prints every figure as Markdown, each beside its
// baseline and goal, with the machine and the commands that produced it.
//
// Usage: node bench/summarize.mjs bench/results/<stamp>

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node bench/summarize.mjs RESULT_DIR');
  process.exit(2);
}
const read = (name) => (existsSync(join(dir, name)) ? JSON.parse(readFileSync(join(dir, name), 'utf8')) : null);
const text = (name) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : '');

// Goals each figure is checked against.
const SIZE_GOAL_BYTES = 80 * 1000;
const SEAL_GOAL_RATIO = 1.5;
const OPEN_GOAL_RATIO = 0.95;
const OVERHEAD_GOAL = 0.3;
const P99_GOAL_MS = 20;
// A payment response slower than this counts as slow. Slow responses less than BURST_GAP_S
// apart belong to one burst.
const SLOW_MS = 10;
const BURST_GAP_S = 0.3;

const out = [];
const say = (line = '') => out.push(line);
const fixed = (value, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const kb = (bytes) => `${(bytes / 1000).toFixed(1)} KB`;
const verdict = (ok) => (ok ? 'met' : 'MISSED');
const commands = Object.fromEntries(text('commands.txt').split('\n').filter(Boolean).map((line) => {
  const [name, ...rest] = line.split('\t');
  // Paths relative to the repository, as a reader would type them from its root.
  return [name, rest.join('\t').replaceAll(`${process.cwd()}/`, '')];
}));
const command = (name) => (commands[name] ? `\`${commands[name]}\`` : '(not run)');
const loadAt = (name) => {
  const value = text(`load-${name}.txt`).trim();
  return value ? ` (machine at start: ${value})` : '';
};

const machine = read('machine-start.json');
const machineEnd = read('machine-end.json');
if (machine) {
  say('## Machine');
  say();
  say(`- ${machine.nproc} cores: ${machine.cpu_model} (${machine.cpu_family_model}, ${machine.cpu_mhz} MHz; ${machine.cpu_features.join(', ')})`);
  say(`- memory ${machine.memory_gib} GiB; ${machine.os}, kernel ${machine.kernel}`);
  say(`- ${machine.rustc}; Node ${machine.node}; ${machine.chromium}; ${machine.openssl}`);
  say(`- load average (1, 5, 15 min) at start ${machine.loadavg.join(', ')}${machineEnd ? `, at end ${machineEnd.loadavg.join(', ')}` : ''}; run started ${machine.at}`);
  say();
}

const sizes = read('sizes.json');
if (sizes) {
  say('## Bytes the buyer\'s browser downloads for the card form');
  say();
  say(`Command: ${command('size')}`);
  say();
  say('| file | raw | gzip | brotli |');
  say('|---|---:|---:|---:|');
  for (const row of sizes.files) say(`| ${row.label} (\`${row.path}\`) | ${row.raw} | ${row.gzip} | ${row.brotli} |`);
  for (const row of Object.values(sizes.totals)) say(`| **${row.label}** | ${row.raw} | ${row.gzip} | **${row.brotli}** |`);
  say();
  const total = sizes.totals.cardForm.brotli;
  say(`Goal <= 80 KB brotli: ${verdict(total <= SIZE_GOAL_BYTES)} with WebCrypto (${kb(total)}); ` +
    `${verdict(sizes.totals.withFallback.brotli <= SIZE_GOAL_BYTES)} without it (${kb(sizes.totals.withFallback.brotli)}).`);
  say();
}

const frame = read('frame.json');
if (frame) {
  say('## Frame navigation start to interactive form');
  say();
  say(`Command: ${command('frame')}${loadAt('frame')}`);
  say();
  const row = (label, s) => `| ${label} | ${fixed(s.median)} | ${fixed(s.p90)} | ${fixed(s.min)} | ${fixed(s.max)} |`;
  say(`Chromium ${frame.chromium}, ${frame.loads} fresh loads, each a new browser context and session.`);
  say();
  say('| interval | median ms | p90 | min | max |');
  say('|---|---:|---:|---:|---:|');
  say(row('frame navigation start -> `ready` (form interactive)', frame.frame_ready_ms));
  say(row('shop page navigation start -> `ready`', frame.page_ready_ms));
  say(row('shop page navigation start -> frame navigation start', frame.frame_start_ms));
  say();
  say('Median time each frame resource finished loading, from frame navigation start: ' +
    Object.entries(frame.resource_end_ms).map(([name, ms]) => `\`${name}\` ${fixed(ms)} ms`).join(', ') + '.');
  if (frame.steps_ms) {
    const labels = { domContentLoaded: 'DOMContentLoaded', wasmStart: 'wasm instantiation starts', wasmEnd: 'wasm instantiated', formInDom: 'first input in the DOM' };
    say('Steps inside the frame (median ms from its navigation start): ' +
      Object.entries(frame.steps_ms).map(([name, ms]) => `${labels[name] ?? name} ${fixed(ms)}`).join(', ') +
      `, \`ready\` ${fixed(frame.frame_ready_ms.median)}.`);
  }
  say(`Bytes the frame fetched as served (transferSize): ${frame.frame_transfer_bytes}.`);
  say();
}

const seal = read('seal.json');
if (seal) {
  say('## Seal latency in headless Chromium');
  say();
  say(`Command: ${command('seal')}${loadAt('seal')}`);
  say();
  say(`Chromium ${seal.chromium}; per build ${seal.loads} fresh loads x ${seal.runs} timed runs per variant and size after warm-up; ` +
    'medians over all runs (ms); ratio against plain JavaScript WebCrypto in the same pages with the same key handling ' +
    '(`plain_webcrypto` for the cached-key variants, `plain_webcrypto_import` for those that import the key on each call).');
  say();
  for (const build of seal.builds) {
    const names = Object.keys(build.sizes[0].variants);
    say(`${build.build === 'webcrypto' ? 'Build without the pure-Rust fallback (what the hosted frame loads)' : 'Full build (with the pure-Rust fallback)'}, ` +
      `module instantiation median ${fixed(median(build.instantiate_ms))} ms:`);
    say();
    say(`| key | ${names.join(' | ')} |`);
    say(`|---|${names.map(() => '---:').join('|')}|`);
    for (const size of build.sizes) {
      say(`| ${size.bits} | ${names.map((n) => `${fixed(size.variants[n].median_ms, 3)} (x${fixed(size.variants[n].ratio, 2)})`).join(' | ')} |`);
    }
    say();
  }
  for (const bits of seal.builds[0].sizes.map((s) => s.bits)) {
    const ratios = seal.builds.map((b) => [b.build, b.sizes.find((s) => s.bits === bits).variants.cardseal_webcrypto.ratio]);
    const worst = Math.max(...ratios.map(([, r]) => r));
    say(`- ${bits}-bit: goal <= ${SEAL_GOAL_RATIO}x WebCrypto ${verdict(worst <= SEAL_GOAL_RATIO)} ` +
      `(cardseal_webcrypto ${ratios.map(([b, r]) => `x${fixed(r, 2)} in the ${b} build`).join(', ')})`);
  }
  say();
}

const open1 = read('open-1.json');
const open2 = read('open-2.json');
// Private-key operations per second (the sign/s column) by key size, from openssl speed.
function opensslSigns(output) {
  const signs = {};
  for (const match of output.matchAll(/rsa\s+(\d+)\s+bits\s+[\d.]+s\s+[\d.]+s\s+([\d.]+)\s+([\d.]+)/g)) {
    signs[match[1]] = Number(match[2]);
  }
  return signs;
}
const openssl = opensslSigns(text('openssl.txt'));
const openssl2 = opensslSigns(text('openssl-2.txt'));
if (open1) {
  say('## `open` throughput per core');
  say();
  say(`Commands: ${command('open-1')}${loadAt('open-1')}; ${command('open-2')}${loadAt('open-2')}; ` +
    `${command('openssl')}${loadAt('openssl')}; ${command('openssl-2')}`);
  say();
  say('One thread: operations per second of CPU time the bench thread got (median of interleaved rounds; ' +
    'time lost to other processes does not count), with the ratio against raw aws-lc-rs RSA-OAEP on the same key and ciphertext. ' +
    'Two threads and `openssl speed -multi 2`: total operations per wall-clock second.');
  say();
  say('| key | openssl speed (sign/s) | raw aws-lc-rs RSA-OAEP | raw JWE (RSA-OAEP + AES-GCM) | cardseal `ParsedEnvelope::open` | cardseal `envelope::open` (parse + open) | 2 threads: raw / open | openssl -multi 2 |');
  say('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const bits of [...new Set(open1.map((r) => r.bits))]) {
    const row = (rows, variant) => rows?.find((r) => r.bits === bits && r.variant === variant);
    const raw = row(open1, 'raw_oaep').ops_per_cpu_sec;
    const cell = (variant) => `${fixed(row(open1, variant).ops_per_cpu_sec)} (x${fixed(row(open1, variant).ops_per_cpu_sec / raw, 3)})`;
    say(`| ${bits} | ${fixed(openssl[bits])} | ${fixed(raw)} | ${cell('raw_jwe')} | ${cell('open')} | ${cell('parse_open')} | ` +
      `${fixed(row(open2, 'raw_oaep')?.ops_per_sec)} / ${fixed(row(open2, 'open')?.ops_per_sec)} | ${fixed(openssl2[bits])} |`);
  }
  say();
  const worst = Math.min(...open1.filter((r) => r.variant === 'parse_open').map((r) => {
    const raw = open1.find((x) => x.bits === r.bits && x.variant === 'raw_oaep').ops_per_cpu_sec;
    return r.ops_per_cpu_sec / raw;
  }));
  say(`Goal >= ${OPEN_GOAL_RATIO} of raw aws-lc-rs: ${verdict(worst >= OPEN_GOAL_RATIO)} (lowest ratio of parse + open: ${fixed(worst, 3)}).`);
  say();
}

/** Mean of the 2-thread open capacity measured right before and after a closed-loop phase. */
function adjacentCapacity(phase) {
  if (phase.open_2_threads_before === undefined) return undefined;
  return (phase.open_2_threads_before + phase.open_2_threads_after) / 2;
}

const payments = read('payments.json');
if (payments) {
  say('## `POST /v1/payments` throughput and latency');
  say();
  say(`Command: ${command('payments')}${loadAt('payments')}`);
  say();
  say(`Key: ${payments.bits}-bit RSA (the service default). Per-shop rate limit off (\`--rate-limit 0\`). ` +
    'Load generator on the same 2 cores, over loopback. Capacity of the cryptography measured in the same run on the same key: ' +
    `\`ParsedEnvelope::open\` ${fixed(payments.open_1_thread)}/s on 1 thread (${fixed(payments.open_per_cpu_second)} per CPU-second), ` +
    `${fixed(payments.open_2_threads)}/s on 2 threads.`);
  say();
  say('Closed loop (each connection sends its next payment when the response arrives). The machine\'s speed drifts by several ' +
    'percent within a minute, so each phase is also compared with the 2-thread open capacity measured right before and right after it:');
  say();
  // CPU that neither the service nor the load generator used, per second of the phase: other
  // processes, which should be near zero for the figures to stand.
  const other = (p) => (p.other_cpu_s === undefined ? 'n/a' : fixed((p.other_cpu_s * 1000) / p.elapsed_s, 0));
  say('| connections | payments | payments/s | p50 ms | p90 | p99 | max | server CPU ms/payment | load generator CPU ms/payment | other CPU ms/s | open/s before, after | rest of capacity |');
  say('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const p of payments.closed) {
    const adjacent = adjacentCapacity(p);
    const around = adjacent === undefined ? 'n/a' : `${fixed(p.open_2_threads_before)}, ${fixed(p.open_2_threads_after)}`;
    const rest = adjacent === undefined ? 'n/a' : `${fixed((1 - p.throughput / adjacent) * 100)}%`;
    say(`| ${p.concurrency} | ${p.approved} | ${fixed(p.throughput)} | ${fixed(p.p50_ms, 2)} | ${fixed(p.p90_ms, 2)} | ${fixed(p.p99_ms, 2)} | ${fixed(p.max_ms, 2)} | ${fixed(p.server_cpu_ms_per_payment, 2)} | ${fixed(p.client_cpu_s * 1000 / p.approved, 2)} | ${other(p)} | ${around} | ${rest} |`);
  }
  say();
  say('Open loop (payments due at a fixed rate; latency from the due time, so queueing counts):');
  say();
  say('| rate | payments | achieved/s | p50 ms | p90 | p99 | p99.9 | max | p99 from send | server CPU ms/payment | other CPU ms/s |');
  say('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const p of payments.open_loop) {
    say(`| ${fixed(p.fraction * 100, 0)}% of max = ${fixed(p.target_rate)}/s | ${p.approved} | ${fixed(p.throughput)} | ${fixed(p.p50_ms, 2)} | ${fixed(p.p90_ms, 2)} | ${fixed(p.p99_ms, 2)} | ${fixed(p.p999_ms, 2)} | ${fixed(p.max_ms, 2)} | ${fixed(p.service_p99_ms, 2)} | ${fixed(p.server_cpu_ms_per_payment, 2)} | ${other(p)} |`);
  }
  say();
  const best = payments.closed.reduce((a, b) => (b.throughput > a.throughput ? b : a));
  // The capacity around the phase where this run measured it, else the one at the start.
  const capacity = adjacentCapacity(best) ?? payments.open_2_threads;
  const ratio = best.throughput / capacity;
  const startRest = 1 - best.throughput / payments.open_2_threads;
  const openCpuMs = 1000 / (payments.open_per_cpu_second ?? payments.open_1_thread);
  const cpuShare = 1 - openCpuMs / best.server_cpu_ms_per_payment;
  say(`- Highest throughput ${fixed(best.throughput)} payments/s (${best.concurrency} connections) = ${fixed(ratio * 100)}% of the 2-thread open capacity ` +
    `measured around that phase (${fixed(capacity)}/s); everything but the cryptography takes ${fixed((1 - ratio) * 100)}% of it, load generator included. ` +
    `Goal <= ${OVERHEAD_GOAL * 100}%: ${verdict(1 - ratio <= OVERHEAD_GOAL)}. Against the capacity measured at the start of the run it is ${fixed(startRest * 100)}%.`);
  say(`- Server CPU per payment at that level ${fixed(best.server_cpu_ms_per_payment, 2)} ms against ${fixed(openCpuMs, 2)} ms for one open: ` +
    `the service's own work besides opening is ${fixed(cpuShare * 100)}% of its CPU time (load generator excluded).`);
  if (best.server_written_bytes_per_payment !== undefined) {
    say(`- The service wrote ${fixed(best.server_written_bytes_per_payment / 1000)} KB in ${fixed(best.server_write_calls_per_payment)} write calls ` +
      'per payment (SQLite WAL frames and log lines).');
  }
  for (const p of payments.open_loop) {
    const clusters = slowClusters(join(dir, 'service', `timeline-open-${Math.round(p.fraction * 100)}.csv`));
    if (clusters) {
      say(`- At ${fixed(p.fraction * 100, 0)}% of max: ${clusters.slow} of ${clusters.total} responses took over ${SLOW_MS} ms, ` +
        `in ${clusters.count} bursts; bursts began a median ${fixed(clusters.gapSeconds, 2)} s apart, every ${fixed(clusters.gapPayments, 0)} payments.`);
    }
  }
  const half = payments.open_loop.find((p) => Math.abs(p.fraction - 0.5) < 1e-9);
  if (half) say(`- p99 at half the maximum rate ${fixed(half.p99_ms, 2)} ms; goal < ${P99_GOAL_MS} ms: ${verdict(half.p99_ms < P99_GOAL_MS)}.`);
  say();
}

const tmpfs = read('payments-tmpfs.json');
if (payments && tmpfs) {
  say('### The same with the data directory on tmpfs');
  say();
  say(`Command: ${command('payments-tmpfs')}${loadAt('payments-tmpfs')}`);
  say();
  say('Everything as above except that the SQLite database (and the log file) live in memory, so that the difference is what the disk writes cost.');
  say();
  const halfOf = (run) => run.open_loop.find((p) => Math.abs(p.fraction - 0.5) < 1e-9);
  say('| data directory | max payments/s | p99 at 25% ms | p99 at 50% ms | p99.9 at 50% | p99 at 75% | server CPU ms/payment (max) |');
  say('|---|---:|---:|---:|---:|---:|---:|');
  for (const [label, run] of [['disk (ext4)', payments], ['tmpfs', tmpfs]]) {
    const at = (f) => run.open_loop.find((p) => Math.abs(p.fraction - f) < 1e-9);
    const best = run.closed.reduce((a, b) => (b.throughput > a.throughput ? b : a));
    say(`| ${label} | ${fixed(run.max_throughput)} | ${fixed(at(0.25)?.p99_ms, 2)} | ${fixed(halfOf(run)?.p99_ms, 2)} | ` +
      `${fixed(halfOf(run)?.p999_ms, 2)} | ${fixed(at(0.75)?.p99_ms, 2)} | ${fixed(best.server_cpu_ms_per_payment, 2)} |`);
  }
  say();
}

const startup = read('startup.json');
if (startup) {
  say('## Service start-up to ready (`/readyz` returns 200)');
  say();
  say(`Command: ${command('startup')}${loadAt('startup')}`);
  say();
  say('From spawning the release binary to the first 200 from `/readyz` (polled every 0.5 ms), in ms.');
  say();
  say('| data directory | key | median | min | max | runs |');
  say('|---|---|---:|---:|---:|---:|');
  for (const [label, key] of [['existing', 'existing_ms'], ['fresh (creates the database, generates the key)', 'fresh_ms']]) {
    for (const [bits, times] of Object.entries(startup[key])) {
      say(`| ${label} | ${bits}-bit | ${fixed(median(times))} | ${fixed(Math.min(...times))} | ${fixed(Math.max(...times))} | ${times.length} |`);
    }
  }
  say();
}

console.log(out.join('\n'));

/** Groups the slow responses of an open-loop timeline (due_s,latency_ms) into bursts. */
function slowClusters(path) {
  if (!existsSync(path)) return null;
  const rows = readFileSync(path, 'utf8').trim().split('\n').slice(1).map((line) => line.split(',').map(Number));
  const bursts = [];
  for (const [due, latency] of rows) {
    if (latency <= SLOW_MS) continue;
    const last = bursts[bursts.length - 1];
    if (last && due - last.end <= BURST_GAP_S) last.end = due;
    else bursts.push({ start: due, end: due });
  }
  const gaps = bursts.slice(1).map((burst, i) => burst.start - bursts[i].start);
  const rate = rows.length / (rows[rows.length - 1][0] - rows[0][0]);
  const slow = rows.filter(([, latency]) => latency > SLOW_MS).length;
  const gapSeconds = gaps.length ? median(gaps) : NaN;
  return { slow, total: rows.length, count: bursts.length, gapSeconds, gapPayments: gapSeconds * rate };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
