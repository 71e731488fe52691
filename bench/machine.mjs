// Prints, as JSON, what the benchmark figures depend on: cores, CPU model, memory, OS, tool
// versions and the load average at this moment.
//
// Usage: node bench/machine.mjs

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

function run(command, args) {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'not found';
  }
}

function field(text, name) {
  const line = text.split('\n').find((l) => l.startsWith(name));
  return line ? line.split(':').slice(1).join(':').trim() : 'unknown';
}

const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
const osRelease = readFileSync('/etc/os-release', 'utf8');
const prettyName = osRelease.match(/^PRETTY_NAME="?([^"\n]*)"?/m)?.[1] ?? 'unknown';
const flags = field(cpuinfo, 'flags').split(' ');

const machine = {
  nproc: Number(run('nproc', [])),
  cpu_model: field(cpuinfo, 'model name'),
  cpu_family_model: `family ${field(cpuinfo, 'cpu family')}, model ${field(cpuinfo, 'model')}, stepping ${field(cpuinfo, 'stepping')}`,
  cpu_mhz: Number(field(cpuinfo, 'cpu MHz')) || cpus()[0]?.speed,
  cpu_features: ['adx', 'bmi2', 'avx2', 'avx512f', 'avx512ifma', 'sha_ni', 'aes', 'vaes', 'vpclmulqdq']
    .filter((flag) => flags.includes(flag)),
  memory_gib: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  os: prettyName,
  kernel: run('uname', ['-r']),
  rustc: run('rustc', ['-V']),
  node: process.version,
  chromium: run('/usr/bin/chromium', ['--version']).split('\n').pop(),
  openssl: run('openssl', ['version']),
  loadavg: loadavg().map((v) => Math.round(v * 100) / 100),
  at: new Date().toISOString(),
};
console.log(JSON.stringify(machine, null, 2));
