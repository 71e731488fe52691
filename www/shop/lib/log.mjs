// JSON-lines logger for the demo shop server: one object per line on stdout, and appended to a file
// when one is given, so tests can search everything the shop received and sent.
import { appendFileSync } from 'node:fs';

export function createLogger({ file } = {}) {
  function write(level, event, fields = {}) {
    const line = JSON.stringify({ time: new Date().toISOString(), level, event, ...fields });
    process.stdout.write(line + '\n');
    if (file) {
      appendFileSync(file, line + '\n', { mode: 0o600 });
    }
  }

  return {
    info: (event, fields) => write('info', event, fields),
    warn: (event, fields) => write('warn', event, fields),
    error: (event, fields) => write('error', event, fields),
  };
}
