/** The one label set toplab puts on everything it creates. `lab down` and clean-up find resources by these alone. */
export const LABEL = {
  managed: 'org.toplab.managed',
  lab: 'org.toplab.lab',
  instance: 'org.toplab.instance',
  node: 'org.toplab.node',
  network: 'org.toplab.network',
  role: 'org.toplab.role',
  /** Declared subnet of a network (the instance's real subnet is the Docker network's own). */
  declaredSubnet: 'org.toplab.declared-subnet',
  declaredSubnet6: 'org.toplab.declared-subnet6',
  /** Declared addresses of a node, `net=addr,...` (real ones are the container's). */
  declaredAddresses: 'org.toplab.declared-addresses',
  labFile: 'org.toplab.lab-file',
  created: 'org.toplab.created',
  /** On networks of labs that needed rules in the host's packet filter; the last one down takes the rules away. */
  hostRules: 'org.toplab.host-rules',
} as const;

export type Role = 'node' | 'observer' | 'network' | 'helper';

export function baseLabels(lab: string, instance: string): Record<string, string> {
  return { [LABEL.managed]: 'true', [LABEL.lab]: lab, [LABEL.instance]: instance };
}

/** Docker label filters for one lab instance, one lab, or every toplab resource. */
export function labelFilter(lab?: string, instance?: string): string[] {
  const f = [`${LABEL.managed}=true`];
  if (lab !== undefined) f.push(`${LABEL.lab}=${lab}`);
  if (instance !== undefined) f.push(`${LABEL.instance}=${instance}`);
  return f;
}

/** On every container and network of a workshop server's instance: the workshop's id (src/server). */
export const WORKSHOP_LABEL = 'org.toplab.workshop';
/** With it, the id of the server's data directory: a server reconciles only what it made itself. */
export const WORKSHOP_SERVER_LABEL = 'org.toplab.workshop-server';
