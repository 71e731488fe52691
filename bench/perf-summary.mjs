// Sums a `perf report --no-children --sort dso,sym --stdio` listing into the kinds of work a
// payment does: RSA and the rest of aws-lc, SQLite, kernel scheduling, file and network work,
// memory allocation, HTTP and JSON, logging, tokio, and cardseal's own parsing and checks.
//
// Usage: perf report -i perf.data --no-children --sort dso,sym --stdio | node bench/perf-summary.mjs

import { readFileSync } from 'node:fs';

// First match wins, so the narrower kernel and libc kinds come before the catch-alls.
const KINDS = [
  ['aws-lc (RSA private-key operation, AES-GCM, SHA-256)', /aws_lc|bn_|rsaz|RSA/],
  ['SQLite', /sqlite|wal[A-Z]|pcache|yy_|[bB]tree|[vV]dbe|[pP]ager|unix(Write|Read|Sync)/],
  ['kernel: scheduling and wake-ups', /\[k\] (finish_task_switch|_raw_spin|irqentry|__?schedule|try_to_wake|futex|dequeue|enqueue|pick_next|update_curr|select_task)/],
  ['kernel: file reads and writes', /\[k\] (folio|filemap|copy_folio|_copy_to_iter|shmem|xas_|generic_perform|ext4|iomap|vfs_|file_|fsnotify|page_cache|mark_buffer|fdget|jbd2)/],
  ['kernel: TCP on loopback', /\[k\] (tcp|ip_|__ip|skb|sock|inet|net_|__netif|loopback|__dev_queue|sk_|handle_softirqs|release_sock|lock_sock)/],
  ['kernel: other', /\[k\]/],
  ['libc: malloc, free, memcpy', /libc\.so.*(malloc|free|memmove|memcpy|memset|memcmp|_int_|realloc|calloc)/],
  ['libc: other (locks, system call wrappers)', /libc\.so/],
  ['logging and formatting', /tracing|core::fmt|Formatter|write_str|pad_integral/],
  ['HTTP and JSON (hyper, axum, serde)', /hyper|axum|http::|serde|httparse|tower/],
  ['tokio', /tokio/],
  ['cardseal: parsing, checks, base64', /cardseal|base64/],
];

const shares = new Map();
for (const line of readFileSync(0, 'utf8').split('\n')) {
  const match = line.match(/^\s+([\d.]+)%\s+(.*)$/);
  if (!match) continue;
  const kind = KINDS.find(([, pattern]) => pattern.test(match[2]))?.[0] ?? 'other';
  shares.set(kind, (shares.get(kind) ?? 0) + Number(match[1]));
}
for (const [kind, share] of [...shares].sort((a, b) => b[1] - a[1])) {
  console.log(`${share.toFixed(1).padStart(5)}%  ${kind}`);
}
