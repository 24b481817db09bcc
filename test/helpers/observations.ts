import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { emptyObservations, type Observations } from '../../src/exercise/observations.js';
import { decodePcap } from '../../src/observe/pcap.js';

export function fixture(path: string): Buffer {
  return readFileSync(fileURLToPath(new URL(`../fixtures/${path}`, import.meta.url)));
}

/** Observations around one real capture, with the fixture network's addresses (see test/fixtures/pcap/*.json). */
export function withCapture(pcap: string, extra: Partial<Observations> = {}): Observations {
  return {
    ...emptyObservations({ server: ['10.77.251.10', 'fd00:7e57:77::10'], client: ['10.77.251.20', 'fd00:7e57:77::20'] }),
    captures: { wire: { node: 'server', packets: decodePcap(fixture(`pcap/${pcap}`)) } },
    ...extra,
  };
}
