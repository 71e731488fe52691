// Waits until the machine is quiet: less than a threshold of its CPU time busy over a short
// window, read from /proc/stat. Prints the last reading. Exits 0 even when the wait times out,
// so that a benchmark still runs and its record shows how busy the machine was.
//
// Usage: node bench/quiet.mjs [--threshold 0.05] [--window 2] [--maxWait 600]

import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? Number(args[index + 1]) : fallback;
};
const threshold = option('threshold', 0.05);
const windowSeconds = option('window', 2);
const maxWait = option('maxWait', 600);

/** Busy and total jiffies of all CPUs (proc(5): user nice system idle iowait irq softirq steal). */
function cpuTimes() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

const start = Date.now();
let share = 1;
for (;;) {
  const before = cpuTimes();
  await sleep(windowSeconds * 1000);
  const after = cpuTimes();
  share = (after.busy - before.busy) / Math.max(1, after.total - before.total);
  if (share < threshold) break;
  if ((Date.now() - start) / 1000 > maxWait) {
    process.stderr.write(`quiet: still ${(share * 100).toFixed(0)}% busy after ${maxWait} s; measuring anyway\n`);
    break;
  }
  process.stderr.write(`quiet: machine ${(share * 100).toFixed(0)}% busy; waiting\n`);
}
console.log(`${(share * 100).toFixed(1)}% of CPU busy over ${windowSeconds} s before start`);
