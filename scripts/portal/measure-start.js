#!/usr/bin/env node
// Measures start-up time to "listening" (docs/portal-one-file.md): runs each command with
// `run -c CONFIG` several times, interleaved, and prints the median time from spawn to the
// "porthole: started" line (printed once every inbound listens), then stops it with SIGTERM.
//
//   node scripts/portal/measure-start.js --runs 11 --config portal.json \
//     'one file=release/porthole-portal-linux-x64' 'node=node_modules/.bin/node bin/porthole.js'
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  options: { runs: { type: 'string', default: '11' }, config: { type: 'string' } },
  allowPositionals: true,
});
if (!values.config || positionals.length === 0) {
  console.error('measure-start: usage: --config FILE [--runs N] "label=command args" ...');
  process.exit(2);
}
const commands = positionals.map((text) => {
  const at = text.indexOf('=');
  return { label: text.slice(0, at), argv: text.slice(at + 1).split(' ') };
});

/** Milliseconds from spawn to the started line. */
function timeToListening([command, ...args]) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, [...args, 'run', '-c', values.config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let output = '';
    let elapsed;
    child.stderr.on('data', (chunk) => {
      output += chunk.toString();
      if (elapsed === undefined && output.includes('porthole: started')) {
        elapsed = Number(process.hrtime.bigint() - started) / 1e6;
        child.kill('SIGTERM');
      }
    });
    child.once('exit', () => (elapsed === undefined ? reject(new Error(`${command} did not start:\n${output}`)) : resolve(elapsed)));
  });
}

const times = new Map(commands.map(({ label }) => [label, []]));
for (let run = 0; run < Number(values.runs); run += 1) {
  for (const { label, argv } of commands) times.get(label).push(await timeToListening(argv));
}
for (const [label, samples] of times) {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  console.log(`${label}: median ${median.toFixed(0)} ms (min ${sorted[0].toFixed(0)}, max ${sorted.at(-1).toFixed(0)}, ${sorted.length} runs)`);
}
