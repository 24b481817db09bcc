import { EventEmitter } from 'node:events';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Lab } from '../lab/model.js';
import { loadLab } from '../lab/load.js';
import { errorMessage } from '../errors.js';
import { LABEL, WORKSHOP_LABEL, WORKSHOP_SERVER_LABEL } from '../plan/labels.js';
import { sweep } from '../deploy/sweep.js';
import type Docker from 'dockerode';
import type { Runtime } from '../runtime/runtime.js';
import type { ServerEngines } from './engines.js';
import {
  checkFiles,
  downInstance,
  instanceStatus,
  prepareObservers,
  restartPrograms,
  upInstance,
  type InstanceStatus,
} from '../app/instance.js';
import { editableFiles, starterContent } from '../app/lab-files.js';
import type { GradeResult } from '../report/result.js';
import { now, type AttemptRow, type StudentRow, type Store, type WorkshopRow } from './store.js';
import { labsOf, moveProblem, standings } from './progression.js';
import type { AttemptSummary, ServerEvent, Student, Workshop } from './api.js';

export interface OrchestratorOptions {
  store: Store;
  /** Where instances go: the local engine, or the engines of a pool (src/server/engines.ts). */
  engines: ServerEngines;
  image: string;
  dataDir: string;
  /** Warm instances kept per workshop ahead of joins (the workshop's own `warm` wins when set). */
  warm: number;
  /** Minutes without activity before a student's instance is culled; 0 turns culling off. */
  idleMinutes: number;
  /** Instances at most, all workshops together (with a pool, also at most the capacities of the engines that are up). */
  maxInstances: number;
  /** Instance creations at the same time. */
  parallel: number;
  log: (line: string) => void;
  /** This server's id (one per data directory): on every instance it makes, and all it reconciles. */
  serverId: string;
}

/** A workshop as the orchestrator knows it: the API's Workshop but its join address (http.ts adds that). */
export type WorkshopView = Omit<Workshop, 'joinUrl'>;

/**
 * What the orchestrator emits (`'event'`): the API's ServerEvent, but a workshop's without its join address.
 * src/server/http.ts sends each to the pages as a ServerEvent (src/server/api.ts).
 */
export type OrchestratorEvent =
  Exclude<ServerEvent, { type: 'workshop' }> | { type: 'workshop'; workshopId: string; workshop: WorkshopView };

/** A student's request the server refuses, with the HTTP status and the error code of docs/workshop.md. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * What a student whose lab is not `ready` can do, by state: press Start after `stopped` or `failed` (only
 * then is there a Start button), else wait (`queued`, `starting`, `resetting`, `checking` end by themselves).
 */
export function notReadyAdvice(state: StudentRow['state']): string {
  return state === 'stopped' || state === 'failed' ? 'press Start first' : 'wait until it is ready';
}

export function attemptSummary(a: AttemptRow): AttemptSummary {
  return {
    id: a.id,
    lab: a.lab,
    status: a.status,
    score: a.score,
    maxScore: a.max_score,
    startedAt: a.started_at,
    finishedAt: a.finished_at,
  };
}

const ACTIVE: StudentRow['state'][] = ['ready', 'checking'];

/**
 * Keeps every workshop's instances: the warm pool, the join queue, checks, resets, idle culls and the end of
 * a workshop. The database says who holds what; Docker's labels say what runs; `reconcile` makes them agree.
 */
export class Orchestrator extends EventEmitter {
  private readonly labs = new Map<string, Lab>();
  private readonly statusCache = new Map<string, InstanceStatus>();
  private creating = 0;
  /** Instances being created, oldest first: their workshop and how far along they are (for queued students). */
  private readonly building = new Map<string, { workshopId: string; lab: string; line: string }>();
  private timer: NodeJS.Timeout | undefined;
  private pumping = false;
  private pumpAgain = false;
  private backoffUntil = 0;
  private readonly busy = new Set<string>();
  /** Instance creations under way (removeAll waits for them). */
  private readonly creations = new Set<Promise<unknown>>();
  /** Instances whose observer sidecars are still being made ahead of the first Check. */
  private readonly observing = new Map<string, Promise<void>>();

  /** Runs `fn` once the instance's observers made ahead (if any) are there: two makers would race for one name. */
  private afterObservers<T>(instance: string, fn: () => Promise<T>): Promise<T> {
    const pending = this.observing.get(instance);
    return pending ? pending.then(fn) : fn();
  }
  private stopped = false;
  /** removeAll has begun: no creation starts after it. */
  private removingAll = false;

  constructor(readonly opts: OrchestratorOptions) {
    super();
    this.setMaxListeners(0);
  }

  get store(): Store {
    return this.opts.store;
  }

  lab(name: string): Lab {
    let lab = this.labs.get(name);
    if (!lab) this.labs.set(name, (lab = loadLab(name)));
    return lab;
  }

  labels(workshopId: string): Record<string, string> {
    return { [WORKSHOP_LABEL]: workshopId, [WORKSHOP_SERVER_LABEL]: this.opts.serverId };
  }

  start(): void {
    this.timer = setInterval(() => this.pump(), 2000);
    this.timer.unref();
    this.pump();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
  }

  // ---- views -------------------------------------------------------------------------------------

  workshopView(w: WorkshopRow): WorkshopView {
    const students = this.store.students(w.id);
    const instances = this.store.instances(w.id);
    return {
      id: w.id,
      code: w.code,
      title: w.title,
      labs: labsOf(w),
      progression: w.progression,
      capacity: w.capacity,
      warm: w.warm,
      endsAt: w.ends_at,
      createdAt: w.created_at,
      endedAt: w.ended_at,
      roster: this.store.roster(w.id),
      counts: {
        students: students.length,
        ready: students.filter((s) => ACTIVE.includes(s.state)).length,
        queued: students.filter((s) => s.state === 'queued').length,
        warmInstances: instances.filter((i) => i.state === 'warm').length,
      },
    };
  }

  studentView(s: StudentRow): Student {
    const w = this.store.workshop(s.workshop_id);
    const labs = w ? standings(w, s, (lab) => this.store.attemptsOn(s.id, lab)) : [];
    const here = labs.find((l) => l.current);
    const status = s.instance ? this.statusCache.get(s.instance) : undefined;
    const idleMs = this.opts.idleMinutes * 60_000;
    return {
      id: s.id,
      workshopId: s.workshop_id,
      name: s.name,
      lab: s.lab,
      state: s.state,
      queuePosition: this.store.queuePosition(s),
      progress: s.progress,
      message: s.message,
      joinedAt: s.joined_at,
      lastActiveAt: s.last_active_at,
      idleCullAt: idleMs > 0 && ACTIVE.includes(s.state) ? new Date(Date.parse(s.last_active_at) + idleMs).toISOString() : null,
      nodes: status?.nodes.map((n) => ({ name: n.name, running: n.running, addresses: n.addresses })) ?? [],
      engine: s.instance ? (this.store.instance(s.instance)?.engine ?? null) : null,
      attempts: here?.attempts ?? 0,
      lastScore: here?.lastScore ?? null,
      maxScore: here?.maxScore ?? null,
      lastStatus: here?.lastStatus ?? null,
      failing: here?.failing ?? [],
      labs,
    };
  }

  private changed(studentId: string): void {
    const s = this.store.student(studentId);
    if (s) this.emit('event', { type: 'student', student: this.studentView(s) } satisfies OrchestratorEvent);
  }

  private progress(s: StudentRow, line: string, attemptId: number | null = null): void {
    this.emit('event', { type: 'progress', studentId: s.id, workshopId: s.workshop_id, attemptId, line } satisfies OrchestratorEvent);
  }

  // ---- files --------------------------------------------------------------------------------------

  /** The student's files for a lab (default: the one they are on): what they saved, else the starter. */
  filesOf(s: StudentRow, labName = s.lab): Record<string, string> {
    const lab = this.lab(labName);
    const saved = new Map(this.store.files(s.id, labName).map((f) => [f.name, f.content]));
    return Object.fromEntries(editableFiles(lab).map((n) => [n, saved.get(n) ?? starterContent(lab, n)]));
  }

  touch(studentId: string): void {
    this.store.updateStudent(studentId, { last_active_at: now(), warned_at: null });
  }

  // ---- joining ------------------------------------------------------------------------------------

  /** A student joins (or comes back): the same row for the same name; an instance now if one is warm, else queued. */
  join(w: WorkshopRow, name: string): StudentRow {
    if (w.ended_at !== null || Date.parse(w.ends_at) <= Date.now())
      throw new RequestError(410, 'workshop-ended', 'this workshop has ended; ask your instructor for a new code');
    const roster = this.store.roster(w.id);
    if (roster && !roster.includes(name))
      throw new RequestError(
        403,
        'not-on-roster',
        `'${name}' is not on this workshop's list: pick your name from the list, or ask your instructor`,
      );
    let s = this.store.studentByName(w.id, name);
    if (!s) {
      const count = this.store.students(w.id).length;
      if (count >= w.capacity)
        throw new RequestError(
          409,
          'workshop-full',
          `the workshop is full (${count} of ${w.capacity} places): ask your instructor to raise its capacity`,
        );
      s = this.store.addStudent(w.id, name, labsOf(w)[0] ?? '');
      this.store.audit(`student:${s.id}`, 'join', s.id, { name, workshop: w.id });
    } else {
      this.store.audit(`student:${s.id}`, 'rejoin', s.id, { name });
      if (s.state === 'stopped' || s.state === 'failed') this.requeue(s);
      else this.touch(s.id);
    }
    this.assignIfWarm(this.store.student(s.id) as StudentRow);
    this.pump();
    return this.store.student(s.id) as StudentRow;
  }

  private requeue(s: StudentRow): void {
    this.movedFrom.delete(s.id);
    this.store.updateStudent(s.id, {
      state: 'queued',
      instance: null,
      progress: 'waiting for an instance',
      message: null,
      last_active_at: now(),
      warned_at: null,
    });
    this.changed(s.id);
  }

  private assignIfWarm(s: StudentRow): void {
    if (s.state !== 'queued') return;
    const name = this.store.assignWarm(s);
    if (name === undefined) return;
    this.opts.log(`${s.name} (${s.id}) got the warm instance ${name}`);
    const lost = this.movedFrom.get(s.id);
    if (lost !== undefined) {
      // Still said once the new instance is there: the student sees why their lab changed under them.
      this.movedFrom.delete(s.id);
      const engine = this.store.instance(name)?.engine;
      this.store.updateStudent(s.id, {
        message: `${lost}: your lab was moved to a fresh instance${engine ? ` on engine ${engine}` : ''}; your files are kept`,
      });
    }
    void this.refreshStatus(name, s.lab, s.workshop_id).finally(() => this.changed(s.id));
  }

  private async refreshStatus(instance: string, labName: string, workshopId: string): Promise<InstanceStatus | undefined> {
    try {
      const st = await instanceStatus({
        runtime: this.runtimeOf(instance),
        image: this.opts.image,
        lab: this.lab(labName),
        instance,
        labels: this.labels(workshopId),
      });
      this.statusCache.set(instance, st);
      return st;
    } catch {
      return undefined;
    }
  }

  /** The container id of a node of the student's instance, when it is up. */
  async containerOf(s: StudentRow, node: string): Promise<string | undefined> {
    if (!s.instance || !ACTIVE.includes(s.state)) return undefined;
    let st = this.statusCache.get(s.instance);
    if (!st?.nodes.some((n) => n.name === node && n.running)) st = await this.refreshStatus(s.instance, s.lab, s.workshop_id);
    return st?.nodes.find((n) => n.name === node)?.container;
  }

  /** The client of the engine that holds the student's instance (terminals exec there). */
  dockerOfStudent(studentId: string): Docker {
    const s = this.store.student(studentId);
    return this.opts.engines.docker((s?.instance ? this.store.instance(s.instance)?.engine : null) ?? null);
  }

  /** The runtime of the engine that holds an instance; on an engine that is down, every call fails at once, naming it. */
  private runtimeOf(instance: string): Runtime {
    return this.opts.engines.runtime(this.store.instance(instance)?.engine ?? null);
  }

  // ---- the pump: pool, queue, idle, end --------------------------------------------------------------

  /** One round of keeping the pools and queues; runs again at once when asked while running. */
  pump(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    this.pumpOnce()
      .catch((e: unknown) => this.opts.log(`workshop upkeep failed: ${errorMessage(e)}`))
      .finally(() => {
        this.pumping = false;
        if (this.pumpAgain) {
          this.pumpAgain = false;
          this.pump();
        }
      });
  }

  private rounds = 0;

  /**
   * Docker's labels are the truth: an instance whose containers went away (removed by hand, a crash) is
   * dropped, and its student gets a fresh one with their files.
   */
  private async recheckInstances(): Promise<void> {
    // Which instances were up before the engine is asked: one that comes up while the list is on its way
    // is not in it, and must not be judged on it.
    const before = new Set(
      this.store
        .instances()
        .filter((i) => i.state === 'warm' || i.state === 'assigned')
        .map((i) => i.name),
    );
    const running = new Map<string, number>();
    // Each engine that answers is asked; an instance on one that does not is not judged here (the health loop
    // marks that engine down and moves its students).
    const listed = new Set<string | null>();
    await Promise.all(
      this.opts.engines.upNames().map(async (engine) => {
        const containers = await this.opts.engines
          .runtime(engine)
          .listContainers([`${LABEL.managed}=true`, `${WORKSHOP_SERVER_LABEL}=${this.opts.serverId}`, `${LABEL.role}=node`])
          .catch((e: unknown) => void this.opts.log(`could not list the instances on ${engine ?? 'the engine'}: ${errorMessage(e)}`));
        if (!containers) return;
        for (const c of containers) {
          const inst = c.labels[LABEL.instance];
          if (inst !== undefined && c.running) running.set(inst, (running.get(inst) ?? 0) + 1);
        }
        listed.add(engine);
      }),
    );
    for (const inst of this.store.instances()) {
      if ((inst.state !== 'warm' && inst.state !== 'assigned') || !before.has(inst.name) || !listed.has(inst.engine)) continue;
      if (inst.student_id !== null && this.busy.has(inst.student_id)) continue;
      // Listed after the instance was read: a row made since then is not judged on an older list.
      if (Date.now() - Date.parse(inst.created_at) < 5000) continue;
      if ((running.get(inst.name) ?? 0) >= Object.keys(this.lab(inst.lab).nodes).length) continue;
      this.opts.log(`instance ${inst.name} lost its containers; replacing it`);
      this.store.audit('system', 'instance-lost', inst.student_id, { instance: inst.name });
      await this.removeInstanceNamed(inst.name, inst.lab);
      const s = inst.student_id !== null ? this.store.student(inst.student_id) : undefined;
      if (s && (s.state === 'ready' || s.state === 'checking')) {
        this.requeue(s);
        this.store.updateStudent(s.id, { message: 'your lab stopped running; a fresh one is starting (your files are kept)' });
        this.changed(s.id);
      }
    }
  }

  private async pumpOnce(): Promise<void> {
    if (this.rounds++ % 5 === 4)
      await this.recheckInstances().catch((e: unknown) => this.opts.log(`could not list instances: ${errorMessage(e)}`));
    for (const w of this.store.activeWorkshops()) {
      if (Date.parse(w.ends_at) <= Date.now()) {
        await this.endWorkshop(w.id, 'system');
        continue;
      }
      const queued = this.store.students(w.id).filter((s) => s.state === 'queued');
      for (const s of queued) this.assignIfWarm(s);
      this.idle(w);
      this.fill(w);
      this.queueProgress(w.id);
    }
    // Workshops ended by `lab workshop end` (another process): their instances go.
    for (const inst of this.store.instances()) {
      const w = this.store.workshop(inst.workshop_id);
      if (w?.ended_at && inst.state !== 'removing') await this.endWorkshop(w.id, 'system');
    }
  }

  /**
   * Tells each queued student what they wait for: the n-th in the queue for a lab gets the n-th instance of
   * that lab being created for their workshop (warm ones are handed out first), so it sees that one's progress
   * ("starting your lab: 2 of 4 containers"); those beyond wait in the queue.
   */
  private queueProgress(workshopId: string): void {
    const queued = this.store
      .students(workshopId)
      .filter((x) => x.state === 'queued')
      .map((x, i) => ({ s: x, pos: this.store.queuePosition(x) ?? i + 1 }))
      .sort((a, b) => a.pos - b.pos);
    for (const { s, pos } of queued) {
      // In a workshop of several labs, a student waits for an instance of the lab they are on.
      const ahead = queued.filter((x) => x.s.lab === s.lab && x.pos < pos).length;
      const coming = [...this.building.values()].filter((b) => b.workshopId === workshopId && b.lab === s.lab);
      const line =
        coming[ahead]?.line ??
        (coming.length > 0
          ? `waiting for an instance: ${pos} in the queue, ${coming.length} being started`
          : `waiting for an instance: ${pos} in the queue`);
      if (s.progress !== line) {
        this.store.updateStudent(s.id, { progress: line });
        this.changed(s.id);
      }
    }
  }

  /**
   * Starts instance creations within the limits, most needed first: one per queued student without one coming
   * (in queue order, each of the lab that student is on), then warm spares: of the first lab for joins still to
   * come, and of the next lab for students who have passed theirs (they are likely to move on soon).
   */
  private fill(w: WorkshopRow): void {
    // The server is going away (removeAll): an upkeep round still under way makes nothing new.
    if (this.removingAll || Date.now() < this.backoffUntil) return;
    const labs = labsOf(w);
    const first = labs[0];
    if (first === undefined) return;
    const students = this.store.students(w.id);
    const instances = this.store.instances(w.id);
    const queued = students.filter((s) => s.state === 'queued');
    const holding = instances.filter((i) => i.state === 'assigned').length;
    const most = Math.min(this.opts.maxInstances, this.opts.engines.capacity());
    let room = Math.max(0, w.capacity - holding - queued.length);
    const wanted: string[] = queued.map((s) => s.lab);
    const firstWarm = Math.min(w.warm, room);
    room -= firstWarm;
    for (let k = 0; k < firstWarm; k++) wanted.push(first);
    const movers = new Map<string, number>();
    for (const s of students) {
      const next = labs[labs.indexOf(s.lab) + 1];
      if (next !== undefined && ACTIVE.includes(s.state) && this.store.attemptsOn(s.id, s.lab).some((a) => a.status === 'passed'))
        movers.set(next, (movers.get(next) ?? 0) + 1);
    }
    for (const [lab, n] of movers) {
      const k = Math.min(n, w.warm, room);
      room -= k;
      for (let i = 0; i < k; i++) wanted.push(lab);
    }
    // Spares already warm or warming cover the first wants of their lab.
    const spare = new Map<string, number>();
    for (const i of instances) if (i.state === 'warming' || i.state === 'warm') spare.set(i.lab, (spare.get(i.lab) ?? 0) + 1);
    for (const lab of wanted) {
      const covered = spare.get(lab) ?? 0;
      if (covered > 0) {
        spare.set(lab, covered - 1);
        continue;
      }
      if (this.creating >= this.opts.parallel || this.store.instances().length >= most) break;
      this.createInstance(w, lab);
    }
  }

  private createInstance(w: WorkshopRow, labName: string): void {
    const name = `w${w.id.slice(0, 6)}-${randomBytes(2).toString('hex')}`;
    this.store.addInstance(name, w.id, labName);
    this.creating++;
    const started = Date.now();
    const nodes = Object.keys(this.lab(labName).nodes).length;
    const step = (line: string): void => {
      this.building.set(name, { workshopId: w.id, lab: labName, line });
      this.queueProgress(w.id);
    };
    step(`starting your lab: 0 of ${nodes} containers`);
    const sec = (ms: number): string => (ms / 1000).toFixed(1);
    // With a pool, placed first (like `lab up`); the engine is recorded before anything is made there.
    const key = `${labName}/${name}`;
    let engine: string | null = null;
    let opts: Parameters<typeof upInstance>[0] | undefined;
    const creation = this.opts.engines
      .place(key, step)
      .then((placed) => {
        engine = placed;
        this.store.setInstanceEngine(name, placed);
        if (placed !== null) this.opts.log(`instance ${name} (${labName}) placed on engine ${placed}`);
        opts = {
          runtime: this.opts.engines.runtime(placed),
          image: this.opts.image,
          lab: this.lab(labName),
          instance: name,
          labels: this.labels(w.id),
          onContainer: (n: number, total: number) => step(`starting your lab: ${n} of ${total} containers`),
        };
        return upInstance(opts);
      })
      .then(async (r) => {
        const o = opts as Parameters<typeof upInstance>[0];
        const up = Date.now();
        this.statusCache.set(name, r.status);
        if (this.store.instance(name)?.state !== 'warming') {
          // The workshop ended while it was being made. Awaited: it is part of the creation, which removeAll
          // (the server going away) waits for; a removal left running then would be cut short by the exit,
          // its containers gone and its networks left.
          await downInstance({ runtime: o.runtime, lab: labName, instance: name }).catch((e: unknown) =>
            this.opts.log(`could not remove ${name}: ${errorMessage(e)}`),
          );
          return;
        }
        // Usable now: a student's terminals need only the nodes. The observer sidecars (captures, socket
        // tables) come next, before the creation slot is given back; a Check or a restart waits for them
        // (afterObservers), so a student's first Check waits for no container.
        const observing = prepareObservers(o).then(
          () =>
            this.opts.log(
              `instance ${name} (${labName}) is warm in ${sec(Date.now() - started)}s (containers ${sec(up - started)}s, observers ${sec(Date.now() - up)}s; ${this.creating} being made)`,
            ),
          (e: unknown) =>
            this.opts.log(`instance ${name}: its observers could not be prepared ahead (${errorMessage(e)}); a Check makes them`),
        );
        this.observing.set(name, observing);
        void observing.finally(() => {
          if (this.observing.get(name) === observing) this.observing.delete(name);
        });
        this.store.setInstance(name, 'warm', null);
        // Straight to the first in the queue for this lab: no wait for the next round of upkeep.
        const next = this.store.students(w.id).find((x) => x.state === 'queued' && x.lab === labName);
        if (next) this.assignIfWarm(next);
        await observing;
      })
      .catch((e: unknown) => {
        this.opts.log(`could not create instance ${name}: ${errorMessage(e)}`);
        this.store.deleteInstance(name);
        // Its engine was lost meanwhile: the others take the next one at once, and the students already know.
        if (engine !== null && !this.opts.engines.isUp(engine)) return;
        this.backoffUntil = Date.now() + 5000;
        for (const s of this.store.students(w.id).filter((x) => x.state === 'queued')) {
          // A student whose engine was lost keeps being told so (and that their files are kept) while no other
          // engine has room: "an instance could not be started" alone reads as if their lab simply failed.
          const lost = this.movedFrom.get(s.id);
          const message =
            lost !== undefined
              ? `${lost}: your lab there is lost and no fresh one could be started yet (${errorMessage(e)}); trying again in a few seconds (your files are kept)`
              : `an instance could not be started (${errorMessage(e)}); trying again in a few seconds`;
          this.store.updateStudent(s.id, { message });
          this.changed(s.id);
        }
      })
      .finally(() => {
        this.opts.engines.settled(engine, key);
        this.creating--;
        this.building.delete(name);
        this.creations.delete(creation);
        this.pump();
      });
    this.creations.add(creation);
  }

  private idle(w: WorkshopRow): void {
    const idleMs = this.opts.idleMinutes * 60_000;
    if (idleMs <= 0) return;
    const warnMs = idleMs >= 120_000 ? 60_000 : idleMs / 2;
    for (const s of this.store.students(w.id)) {
      if (s.state !== 'ready' || this.busy.has(s.id)) continue;
      const quiet = Date.now() - Date.parse(s.last_active_at);
      const cullAt = new Date(Date.parse(s.last_active_at) + idleMs).toISOString();
      if (quiet >= idleMs) {
        void this.cull(s);
      } else if (quiet >= idleMs - warnMs && s.warned_at === null) {
        this.store.updateStudent(s.id, { warned_at: now() });
        this.emit('event', { type: 'idle-warning', studentId: s.id, workshopId: s.workshop_id, cullAt } satisfies OrchestratorEvent);
      }
    }
  }

  private async cull(s: StudentRow): Promise<void> {
    this.busy.add(s.id);
    try {
      this.store.audit('system', 'idle-cull', s.id, { instance: s.instance, minutes: this.opts.idleMinutes });
      this.store.updateStudent(s.id, {
        state: 'resetting',
        progress: `stopping your lab after ${this.opts.idleMinutes} minutes without activity (your files are kept)`,
      });
      this.changed(s.id);
      if (s.instance) await this.removeInstanceNamed(s.instance, s.lab);
      this.store.updateStudent(s.id, {
        state: 'stopped',
        progress: null,
        message: `your lab was stopped after ${this.opts.idleMinutes} minutes without activity; your files are kept: press Start to get it back`,
      });
      this.changed(s.id);
    } finally {
      this.busy.delete(s.id);
    }
  }

  private async removeInstanceNamed(name: string, labName: string): Promise<void> {
    const holder = this.store.instance(name)?.student_id ?? null;
    const runtime = this.runtimeOf(name);
    this.store.setInstance(name, 'removing', holder);
    // Its terminals end with it.
    if (holder !== null) this.emit('instance-gone', holder);
    // An observer still being made would outlive a removal that ran first.
    await this.observing.get(name);
    await downInstance({ runtime, lab: labName, instance: name }).catch((e: unknown) =>
      this.opts.log(`could not remove ${name}: ${errorMessage(e)}`),
    );
    this.store.deleteInstance(name);
    this.statusCache.delete(name);
  }

  // ---- student actions -------------------------------------------------------------------------------

  private guard(s: StudentRow, what: string): void {
    if (this.busy.has(s.id))
      throw new RequestError(409, 'busy', `your lab is busy (${s.state}); wait for it to finish, then ${what} again`);
  }

  /** Starts a Check: the attempt's id at once; the result comes as an event and in the attempt. */
  check(s: StudentRow, actor: string): number {
    if (s.state === 'checking' || this.busy.has(s.id))
      throw new RequestError(409, 'check-running', 'a check is already running: wait for its result');
    if (s.state !== 'ready') throw new RequestError(409, 'not-ready', `your lab is not ready (${s.state}); ${notReadyAdvice(s.state)}`);
    const files = this.filesOf(s);
    const attemptId = this.store.addAttempt(s.id, s.lab, files);
    this.busy.add(s.id);
    this.store.updateStudent(s.id, { state: 'checking', progress: 'checking', last_active_at: now(), warned_at: null });
    this.store.audit(actor, 'check', s.id, { attempt: attemptId });
    this.changed(s.id);
    const started = this.store.attempt(s.id, attemptId) as AttemptRow;
    this.emit('event', {
      type: 'attempt',
      studentId: s.id,
      workshopId: s.workshop_id,
      attempt: attemptSummary(started),
    } satisfies OrchestratorEvent);
    // Not created here: the run claims the folder itself (claimRunFolder), and would write to `<id>-2`
    // beside one that already exists, where artifacts() does not look.
    const artifactsDir = join(this.opts.dataDir, 'attempts', String(attemptId));
    const instance = s.instance as string;
    this.afterObservers(instance, () =>
      checkFiles({
        runtime: this.runtimeOf(instance),
        image: this.opts.image,
        lab: this.lab(s.lab),
        instance,
        labels: this.labels(s.workshop_id),
        files,
        submission: s.name,
        artifactsDir,
        onProgress: (line) => {
          this.store.updateStudent(s.id, { progress: line });
          this.progress(s, line, attemptId);
        },
      }),
    )
      .then((result) => this.finishCheck(s, attemptId, result))
      .catch((e: unknown) => this.finishCheck(s, attemptId, undefined, errorMessage(e)))
      .finally(() => {
        this.busy.delete(s.id);
        const cur = this.store.student(s.id);
        if (cur?.state === 'checking') this.store.updateStudent(s.id, { state: 'ready', progress: null, last_active_at: now() });
        this.changed(s.id);
      });
    return attemptId;
  }

  private finishCheck(s: StudentRow, attemptId: number, result: GradeResult | undefined, error?: string): void {
    if (result) this.store.finishAttempt(attemptId, result.status, result.score, result.maxScore, result);
    else this.store.finishAttempt(attemptId, 'error', null, null, { message: error });
    const a = this.store.attempt(s.id, attemptId);
    if (a)
      this.emit('event', {
        type: 'attempt',
        studentId: s.id,
        workshopId: s.workshop_id,
        attempt: attemptSummary(a),
      } satisfies OrchestratorEvent);
  }

  artifacts(attemptId: number): { name: string; size: number }[] {
    const dir = join(this.opts.dataDir, 'attempts', String(attemptId));
    try {
      return readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((d) => d.isFile())
        .map((d) => {
          const full = join(d.parentPath, d.name);
          return { name: full.slice(dir.length + 1), size: statSync(full).size };
        })
        .sort((a, b) => a.name.localeCompare(b.name));
    } catch {
      return [];
    }
  }

  /** Replaces the student's instance with a fresh one (a warm one when there is one); files are kept. */
  reset(s: StudentRow, actor: string): void {
    this.guard(s, 'reset');
    if (s.state === 'removed') throw new RequestError(410, 'workshop-ended', 'this workshop has ended');
    this.busy.add(s.id);
    this.store.audit(actor, 'reset', s.id, { instance: s.instance });
    this.store.updateStudent(s.id, { state: 'resetting', progress: 'removing your old instance (your files are kept)' });
    this.changed(s.id);
    const old = s.instance;
    void (async () => {
      try {
        if (old) await this.removeInstanceNamed(old, s.lab);
      } finally {
        this.busy.delete(s.id);
        this.requeue(this.store.student(s.id) as StudentRow);
        this.assignIfWarm(this.store.student(s.id) as StudentRow);
        this.pump();
      }
    })();
  }

  /**
   * Moves the student to another of the workshop's labs (docs/workshop.md, "Labs in order"): their instance of
   * the old lab goes, one of the new lab comes (a warm one when there is one); the files and attempts of every
   * lab are kept. A student may move only where progression allows (`403 lab-locked`); the instructor anywhere.
   */
  moveTo(s: StudentRow, lab: string, actor: string, byInstructor: boolean): void {
    const w = this.store.workshop(s.workshop_id);
    if (!w || w.ended_at !== null || s.state === 'removed')
      throw new RequestError(410, 'workshop-ended', 'this workshop has ended; your files and results are kept');
    const problem = moveProblem(w, s, lab, byInstructor, (l) => this.store.attemptsOn(s.id, l));
    if (problem) throw new RequestError(problem.status, problem.code, problem.message);
    if (lab === s.lab) {
      this.touch(s.id);
      return;
    }
    if (s.state === 'checking')
      throw new RequestError(409, 'check-running', 'a check is running: wait for its result, then change the lab');
    this.guard(s, 'change the lab');
    this.busy.add(s.id);
    const old = { lab: s.lab, instance: s.instance };
    const reached = Math.max(s.reached, labsOf(w).indexOf(lab));
    this.store.audit(actor, 'move-lab', s.id, { from: old.lab, to: lab, instance: old.instance });
    this.store.updateStudent(s.id, {
      lab,
      reached,
      state: 'resetting',
      progress: `moving to ${lab}: removing your instance of ${old.lab} (your files are kept)`,
      message: null,
      last_active_at: now(),
      warned_at: null,
    });
    this.changed(s.id);
    void (async () => {
      try {
        if (old.instance) await this.removeInstanceNamed(old.instance, old.lab);
      } finally {
        this.busy.delete(s.id);
        this.requeue(this.store.student(s.id) as StudentRow);
        this.assignIfWarm(this.store.student(s.id) as StudentRow);
        this.pump();
      }
    })();
  }

  /** Brings an instance back after an idle cull or a failure. */
  startAgain(s: StudentRow, actor: string): void {
    this.guard(s, 'start');
    if (s.state === 'removed') throw new RequestError(410, 'workshop-ended', 'this workshop has ended');
    if (s.state !== 'stopped' && s.state !== 'failed') {
      this.touch(s.id);
      return;
    }
    this.store.audit(actor, 'start', s.id);
    this.requeue(s);
    this.assignIfWarm(this.store.student(s.id) as StudentRow);
    this.pump();
  }

  /** Restarts the lab's programs with the student's files (its setup steps); failures come as progress lines. */
  restart(s: StudentRow, actor: string): void {
    this.guard(s, 'restart');
    if (s.state !== 'ready') throw new RequestError(409, 'not-ready', `your lab is not ready (${s.state})`);
    this.busy.add(s.id);
    this.store.audit(actor, 'restart-programs', s.id);
    this.store.updateStudent(s.id, { state: 'starting', progress: 'restarting your programs', last_active_at: now(), warned_at: null });
    this.changed(s.id);
    this.afterObservers(s.instance as string, () =>
      restartPrograms({
        runtime: this.runtimeOf(s.instance as string),
        image: this.opts.image,
        lab: this.lab(s.lab),
        instance: s.instance as string,
        labels: this.labels(s.workshop_id),
        files: this.filesOf(s),
        onProgress: (line) => this.progress(s, line),
      }),
    )
      .then((r) => this.store.updateStudent(s.id, { message: r.failures.length > 0 ? r.failures.join('\n') : null }))
      .catch((e: unknown) =>
        this.store.updateStudent(s.id, { message: `your programs could not be restarted: ${errorMessage(e)}; try Reset` }),
      )
      .finally(() => {
        this.busy.delete(s.id);
        // Unless the instance went meanwhile (its engine was lost): then the student is queued for a new one.
        if (this.store.student(s.id)?.state === 'starting') this.store.updateStudent(s.id, { state: 'ready', progress: null });
        this.changed(s.id);
      });
  }

  // ---- workshops -----------------------------------------------------------------------------------

  /** Ends a workshop: every container of it goes; files, attempts and students stay. */
  async endWorkshop(id: string, actor: string): Promise<void> {
    const w = this.store.workshop(id);
    if (!w) return;
    if (!w.ended_at) {
      this.store.updateWorkshop(id, { ended_at: now() });
      this.store.audit(actor, 'end-workshop', id);
    }
    for (const s of this.store.students(id)) {
      if (s.state !== 'removed') {
        this.store.updateStudent(s.id, {
          state: 'removed',
          progress: null,
          message: 'the workshop has ended; your files and results are kept',
        });
        this.changed(s.id);
      }
    }
    await Promise.all(this.store.instances(id).map((i) => this.removeInstanceNamed(i.name, i.lab)));
    // Anything else labelled for it (an instance being created when it ended).
    await this.removeLabelled((labels) => labels[WORKSHOP_LABEL] === id);
    const after = this.store.workshop(id);
    if (after) this.emit('event', { type: 'workshop', workshopId: id, workshop: this.workshopView(after) } satisfies OrchestratorEvent);
  }

  /** Removes what this server made and `match` picks, on each engine that answers (or on `engines`). */
  private async removeLabelled(match: (labels: Record<string, string>) => boolean, engines = this.opts.engines.upNames()): Promise<number> {
    // Only what this server made: other servers (other data directories) share the engine.
    const mine = [`${LABEL.managed}=true`, WORKSHOP_LABEL, `${WORKSHOP_SERVER_LABEL}=${this.opts.serverId}`];
    const counts = await Promise.all(
      engines.map(async (engine) => {
        const runtime = this.opts.engines.runtime(engine);
        try {
          const [containers, networks] = await Promise.all([runtime.listContainers(mine), runtime.listNetworks(mine)]);
          const instances = new Map<string, string>();
          for (const r of [...containers, ...networks]) {
            const inst = r.labels[LABEL.instance];
            const lab = r.labels[LABEL.lab];
            if (inst !== undefined && lab !== undefined && match(r.labels)) instances.set(inst, lab);
          }
          await Promise.all([...instances].map(([inst, lab]) => downInstance({ runtime, lab, instance: inst }).catch(() => undefined)));
          return instances.size;
        } catch (e) {
          // Only a pool has several engines: there, one that fails must not keep the others from being cleaned.
          if (!this.opts.engines.pooled) throw e;
          this.opts.log(`could not clean up on engine ${engine ?? ''}: ${errorMessage(e)}`);
          return 0;
        }
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  /** Removes every instance of every workshop (the server is going away with `--remove-on-exit`). */
  async removeAll(): Promise<number> {
    this.removingAll = true;
    // Creations under way finish first: a container made after the removal would be left behind. One that
    // an upkeep round already under way starts meanwhile is waited for too.
    while (this.creations.size > 0) await Promise.allSettled([...this.creations]);
    const list = this.store.instances();
    await Promise.all(list.map((i) => this.removeInstanceNamed(i.name, i.lab)));
    return list.length + (await this.removeLabelled(() => true));
  }

  /**
   * Makes the database and the engine agree after a (re)start: keeps complete instances the database knows,
   * removes the rest (and everything of ended or unknown workshops), puts students whose instance is gone
   * back in the queue, and marks checks a restart interrupted as `error` (never `failed`).
   */
  async reconcile(): Promise<{ kept: number; removed: number; requeued: number }> {
    let kept = 0;
    let requeued = 0;
    for (const a of this.store.runningAttempts()) {
      this.store.finishAttempt(a.id, 'error', null, null, { message: 'the check was interrupted by a server restart; press Check again' });
    }
    const lostAt = new Map<string, string>();
    for (const inst of this.store.instances()) {
      const down = this.opts.engines.downReason(inst.engine);
      if (down !== undefined) {
        // Its engine does not answer (or is no longer in the engines file): what is left there goes when it answers.
        if (inst.student_id !== null) lostAt.set(inst.student_id, down);
        this.dropInstance(inst.name);
        continue;
      }
      const w = this.store.workshop(inst.workshop_id);
      const st = await this.refreshStatus(inst.name, inst.lab, inst.workshop_id);
      if (w && !w.ended_at && (inst.state === 'warm' || inst.state === 'assigned') && st?.complete) {
        kept++;
        continue;
      }
      await this.removeInstanceNamed(inst.name, inst.lab);
    }
    // What a killed command (or an earlier run of this server) left half made, once its owner is gone and its
    // lease ran out: the sweep every command does first, on each engine that answers.
    await Promise.all(this.opts.engines.upNames().map((e) => sweep(this.opts.engines.runtime(e)).catch(() => [])));
    const known = new Set(this.store.instances().map((i) => i.name));
    const removed = await this.removeLabelled((labels) => !known.has(labels[LABEL.instance] ?? ''));
    for (const s of this.store.studentsIn(['queued', 'starting', 'ready', 'checking', 'resetting'])) {
      const w = this.store.workshop(s.workshop_id);
      if (!w || w.ended_at) continue;
      if (s.instance && known.has(s.instance)) {
        if (s.state !== 'ready') this.store.updateStudent(s.id, { state: 'ready', progress: null });
        continue;
      }
      requeued++;
      this.requeue(s);
      const why = lostAt.get(s.id);
      if (why !== undefined) this.tellMoved(s.id, why);
    }
    return { kept, removed, requeued };
  }

  // ---- engines of a pool --------------------------------------------------------------------------------

  /** Students whose instance went with its engine, and why: said again when they get the next instance. */
  private readonly movedFrom = new Map<string, string>();

  private tellMoved(studentId: string, reason: string): void {
    this.movedFrom.set(studentId, reason);
    this.store.updateStudent(studentId, {
      message: `${reason}: your lab there is lost; a fresh one is being started on another engine (your files are kept)`,
    });
    this.changed(studentId);
  }

  /** Forgets an instance without asking its engine (which does not answer): its terminals end, its row goes. */
  private dropInstance(name: string): void {
    const holder = this.store.instance(name)?.student_id ?? null;
    if (holder !== null) this.emit('instance-gone', holder);
    this.store.deleteInstance(name);
    this.statusCache.delete(name);
  }

  /**
   * An engine of the pool stopped answering (src/server/engines.ts marks it down). Only its instances are
   * affected: they are forgotten (what is left there is removed when it answers again), a Check running there
   * ends as `error` (the engine failed, not the student), and their students are queued for a fresh instance
   * on the other engines, told which engine failed. Their files live in the server's database: nothing is lost.
   */
  engineLost(engine: string, reason: string): void {
    for (const inst of this.store.instances().filter((i) => i.engine === engine)) {
      const s = inst.student_id !== null ? this.store.student(inst.student_id) : undefined;
      this.dropInstance(inst.name);
      this.store.audit('system', 'engine-lost', inst.student_id, { engine, instance: inst.name });
      // A reset in progress queues its student itself.
      if (!s || s.instance !== inst.name || !['ready', 'checking', 'starting'].includes(s.state)) continue;
      this.requeue(this.store.student(s.id) as StudentRow);
      this.tellMoved(s.id, reason);
    }
    this.pump();
  }

  /** An engine answers again: what this server left there when it was lost goes, and it takes new instances. */
  async engineBack(engine: string): Promise<void> {
    // Judged after the listing, against the rows then: an instance placed there since it came back is kept.
    const n = await this.removeLabelled((labels) => this.store.instance(labels[LABEL.instance] ?? '') === undefined, [engine]);
    if (n > 0) this.opts.log(`removed ${n} instance(s) left on engine ${engine} from before it was lost`);
    this.pump();
  }
}
