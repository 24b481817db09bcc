// Prints a trace written by trace.mjs: one line per engine call, with its start and duration in ms.
import { readFileSync } from 'node:fs';
const events = JSON.parse(readFileSync(process.argv[2], 'utf8'));
for (const e of events) {
  const dur = e.end !== undefined ? (e.end - e.start).toFixed(1).padStart(7) : ''.padStart(7);
  console.log(`${e.start.toFixed(1).padStart(8)} ${dur}  ${e.kind.padEnd(6)} ${e.what}${e.cmd ? ` [${e.cmd}]` : ''}${e.error ? ' !' + e.error : ''}`);
}
