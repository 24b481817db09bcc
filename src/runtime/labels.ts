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
  /** Ownership: the command that made it (`up`, `check`, `grade`, or a library caller's name), where and when. */
  ownerCommand: 'org.toplab.owner.command',
  ownerHost: 'org.toplab.owner.host',
  ownerPid: 'org.toplab.owner.pid',
  ownerStarted: 'org.toplab.owner.started',
  /** Until when (ISO 8601) the owner holds it: after that, with the owner gone, any command may remove it. */
  leaseUntil: 'org.toplab.lease-until',
  /** `grading` instances are temporary (removed by their grader, or at the end of their lease); `lab` ones are the user's. */
  purpose: 'org.toplab.purpose',
  /** On an instance's creation lock: the lab and instance being created. */
  lockLab: 'org.toplab.lock.lab',
  lockInstance: 'org.toplab.lock.instance',
} as const;
