/**
 * The ladders of a run: for each capture, the exchanges between two of the lab's nodes, their endpoints
 * named after the nodes. Pure: observations in, ladders out.
 */
import type { Observations } from '../exercise/observations.js';
import { conversationLadder, conversations, type CaptureLadder, type LadderEndpoint } from '../observe/ladder.js';

export interface LaddersOptions {
  /** Exchanges drawn per capture, first ones first (default 4). */
  perCapture?: number;
  /** Arrows per exchange (default 60; the first and the last are kept). */
  maxArrows?: number;
}

/** Every capture's exchanges between the lab's nodes, in capture order, then in order of first packet. */
export function laddersOf(obs: Observations, opts: LaddersOptions = {}): { ladders: CaptureLadder[]; leftOut: number } {
  const nodeOf = new Map<string, string>();
  for (const [node, addrs] of Object.entries(obs.addresses)) for (const a of addrs) nodeOf.set(a, node);
  const ladders: CaptureLadder[] = [];
  let leftOut = 0;
  for (const [capture, cap] of Object.entries(obs.captures)) {
    const between = conversations(cap.packets).filter((c) => nodeOf.has(c.a.address) && nodeOf.has(c.b.address));
    const shown = between.slice(0, opts.perCapture ?? 4);
    leftOut += between.length - shown.length;
    for (const c of shown) {
      const named = (e: LadderEndpoint): LadderEndpoint => {
        const node = nodeOf.get(e.address);
        return node !== undefined ? { ...e, name: node } : e;
      };
      ladders.push({
        capture,
        ...conversationLadder(cap.packets, { ...c, a: named(c.a), b: named(c.b) }, { maxArrows: opts.maxArrows ?? 60 }),
      });
    }
  }
  return { ladders, leftOut };
}
