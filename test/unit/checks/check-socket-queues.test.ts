// The socket check's minRecvQ / minSendQ (the send-buffer lab), on `ss -tn` tables taken in that lab while
// the server was not reading: 127056 bytes unread on the server, 621192 unacknowledged on the client.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSocket } from '../../../src/checks/socket.js';
import { emptyObservations, type Observations } from '../../../src/exercise/observations.js';
import { parseSs } from '../../../src/observe/sockets.js';
import { ROOT } from '../../helpers/cli.js';

const table = (name: string) => parseSs(readFileSync(join(ROOT, 'test/fixtures/sockets', name), 'utf8'));

function observed(): Observations {
  const obs = emptyObservations({ server: ['10.220.114.10'], client: ['10.220.114.20'] });
  obs.probes.held = { node: 'server', kind: 'sockets', raw: '', sockets: table('send-buffer-server-ss-tn.txt') };
  obs.probes.heldc = { node: 'client', kind: 'sockets', raw: '', sockets: table('send-buffer-client-ss-tn.txt') };
  return obs;
}

describe('socket check: minRecvQ and minSendQ', () => {
  const obs = observed();
  it('passes when enough bytes wait in the buffer, and shows the queues', () => {
    const r = checkSocket({ node: 'server', tcp: 9000, state: 'ESTABLISHED', peer: 'client', minRecvQ: 1, probe: 'held' }, obs);
    expect(r.passed, r.message).toBe(true);
    expect(r.evidence?.[0]).toMatch(/Recv-Q 127056 Send-Q 0/);
    expect(
      checkSocket({ node: 'client', tcp: 9000, state: 'ESTABLISHED', peer: 'server', minSendQ: 600000, probe: 'heldc' }, obs).passed,
    ).toBe(true);
  });
  it('fails, saying which buffer was empty', () => {
    const r = checkSocket({ node: 'client', tcp: 9000, state: 'ESTABLISHED', peer: 'server', minRecvQ: 1, probe: 'heldc' }, obs);
    expect(r.passed).toBe(false);
    expect(r.message).toMatch(/not enough bytes were waiting unread in its receive buffer/);
    const s = checkSocket({ node: 'server', tcp: 9000, state: 'ESTABLISHED', minSendQ: 1, probe: 'held' }, obs);
    expect(s.passed).toBe(false);
    expect(s.message).toMatch(/unacknowledged in its send buffer.*Send-Q at least 1/);
  });
  it('without the options, queues do not matter', () => {
    expect(checkSocket({ node: 'client', tcp: 9000, state: 'ESTABLISHED', probe: 'heldc' }, obs).passed).toBe(true);
  });
});
