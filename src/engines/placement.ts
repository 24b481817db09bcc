/** What placement needs to know of one engine. */
export interface PlacementCandidate {
  name: string;
  /** Answered its last health probe. */
  up: boolean;
  /** `lab engines drain NAME`: keeps its instances, takes no new ones. */
  draining: boolean;
  capacity: number;
  /** Lab instances on it now (plus any this process has just placed there). */
  instances: number;
  /** Holds the lab image already (no copy needed). */
  hasImage: boolean;
}

export type Placement = { engine: string } | { engine?: undefined; reason: string };

/**
 * Chooses the engine for a new lab instance: among engines that are up, not draining and below capacity,
 * one that has the lab image first, then the least loaded (instances / capacity), then the fewest instances,
 * then the order of the engines file. When none qualifies, the reason names each engine's state. Pure.
 */
export function chooseEngine(candidates: PlacementCandidate[]): Placement {
  const eligible = candidates.map((c, order) => ({ c, order })).filter(({ c }) => c.up && !c.draining && c.instances < c.capacity);
  eligible.sort(
    (a, b) =>
      Number(b.c.hasImage) - Number(a.c.hasImage) ||
      a.c.instances / a.c.capacity - b.c.instances / b.c.capacity ||
      a.c.instances - b.c.instances ||
      a.order - b.order,
  );
  const best = eligible[0];
  if (best) return { engine: best.c.name };
  if (candidates.length === 0) return { reason: 'the engines file lists no engine' };
  const why = candidates.map((c) => `${c.name} ${!c.up ? 'unreachable' : c.draining ? 'draining' : `full (${c.instances}/${c.capacity})`}`);
  return { reason: `no engine can take a new instance: ${why.join(', ')}` };
}
