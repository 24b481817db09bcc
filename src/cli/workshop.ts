import { createWriteStream } from 'node:fs';
import { readUserFile } from '../util/user-files.js';
import { pipeline } from 'node:stream/promises';
import { UsageError } from '../errors.js';
import { resolve } from 'node:path';
import { loadEnginesFile } from '../engines/engines-file.js';
import { loadLab } from '../lab/load.js';
import { writeOutput } from './args.js';
import { dataDirOf, loadServer } from './serve.js';

/** An end time from `--ends`: an ISO time, or `+90m` / `+2h` from now. */
export function endsAtOf(v: string | undefined, nowMs = Date.now()): string {
  if (v === undefined) return new Date(nowMs + 3 * 3600_000).toISOString();
  const rel = /^\+(\d+)([mh])$/.exec(v);
  const t = rel ? nowMs + Number(rel[1]) * (rel[2] === 'h' ? 3600_000 : 60_000) : Date.parse(v);
  if (Number.isNaN(t) || t <= nowMs) throw new UsageError(`--ends must be a future time (ISO 8601) or +90m / +2h, not '${v}'`);
  return new Date(t).toISOString();
}

/** `lab workshop …`'s options, as declared in src/cli/program.ts. */
export interface WorkshopOptions {
  data?: string;
  capacity?: string;
  ends?: string;
  roster?: string;
  title?: string;
  warm?: string;
  progression?: string;
  lab?: string;
  format?: string;
  output?: string;
  /** The engines file (--engines or TOPLAB_ENGINES): `end` removes the workshop's containers on its engines. */
  engines?: string;
}

/** `lab workshop create|list|export|end`: the workshop server's database, for scripts. `ref`: the labs (create) or the workshop (export, end). */
export async function workshop(sub: string, ref: string | undefined, values: WorkshopOptions): Promise<number> {
  const server = await loadServer();
  const store = new server.Store(server.openDatabase(dataDirOf(values.data)));
  const find = (): ReturnType<typeof store.workshop> & object => {
    if (ref === undefined)
      throw new UsageError(`which workshop? lab workshop ${sub ?? ''} <id or code>`, { hint: 'run `lab workshop list`' });
    const w = store.workshop(ref) ?? store.workshopByCode(ref);
    if (!w)
      throw new UsageError(`no workshop '${ref}' in ${dataDirOf(values.data)}`, {
        hint: 'run `lab workshop list` (and --data if the server uses another folder)',
      });
    return w;
  };
  try {
    switch (sub) {
      case 'create': {
        if (ref === undefined) throw new UsageError('which lab? lab workshop create tcp-handshake [--capacity 30] [--ends +2h]');
        const labs = ref
          .split(',')
          .map((l) => l.trim())
          .filter(Boolean);
        const loaded = labs.map((l) => loadLab(l));
        const capacity = values.capacity === undefined ? 30 : Number(values.capacity);
        if (!Number.isInteger(capacity) || capacity < 1 || capacity > 500)
          throw new UsageError(`--capacity must be a whole number from 1 to 500`);
        const warm = values.warm === undefined ? 2 : Number(values.warm);
        if (!Number.isInteger(warm) || warm < 0 || warm > 100) throw new UsageError(`--warm must be a whole number from 0 to 100`);
        const progression = values.progression ?? 'ordered';
        if (progression !== 'ordered' && progression !== 'free')
          throw new UsageError(
            `--progression must be ordered (the next lab opens once the last reached is passed) or free, not '${progression}'`,
          );
        const roster = values.roster
          ? readUserFile(values.roster, 'the roster')
              .toString('utf8')
              .split(/\r?\n/)
              .map((l) => l.split(',')[0]?.trim() ?? '')
              .filter(Boolean)
          : null;
        const w = store.createWorkshop({
          title: values.title ?? loaded[0]?.title ?? labs.join(', '),
          labs: loaded.map((l) => l.name),
          capacity,
          warm,
          endsAt: endsAtOf(values.ends),
          roster: roster && roster.length > 0 ? roster : null,
          progression,
        });
        store.audit('cli', 'create-workshop', w.id, { labs, capacity, progression });
        process.stdout.write(
          `workshop ${w.id}: code ${w.code}, ${labs.join(labs.length > 1 ? ` → ` : '')}${labs.length > 1 ? ` (${progression})` : ''}, ${capacity} places, ends ${w.ends_at}\nstudents join at <server address>/join/${w.code}\n`,
        );
        return 0;
      }
      case 'list': {
        const rows = store.workshops();
        if (rows.length === 0) process.stdout.write('no workshops\n');
        for (const w of rows)
          process.stdout.write(
            `${w.id}  ${w.code}  ${(w.ended_at ? 'ended' : 'open').padEnd(5)}  ${String(store.students(w.id).length).padStart(3)}/${w.capacity}  ends ${w.ends_at}  ${(JSON.parse(w.labs) as string[]).join(',')}  ${w.title}\n`,
          );
        return 0;
      }
      case 'export': {
        const w = find();
        const orch = new server.Orchestrator({
          store,
          engines: await server.openEngines({ image: '', log: () => undefined }),
          image: '',
          dataDir: dataDirOf(values.data),
          warm: 0,
          idleMinutes: 0,
          maxInstances: 0,
          parallel: 1,
          log: () => undefined,
          serverId: store.setting('server_id') ?? 'none',
        });
        if (values.format === 'bundle') {
          // The evidence bundle (.tar.gz): to a file, or to a pipe, never to a terminal.
          if (!values.output && process.stdout.isTTY)
            throw new UsageError('the evidence bundle is a .tar.gz: give -o FILE.tar.gz, or pipe it');
          const out = values.output ? createWriteStream(values.output) : process.stdout;
          await pipeline(server.workshopBundle(orch, w, server.exportWorkshop(orch, w, 'csv').body), out);
          return 0;
        }
        if (values.lab !== undefined && !(JSON.parse(w.labs) as string[]).includes(values.lab))
          throw new UsageError(`--lab ${values.lab} is not one of this workshop's labs (${(JSON.parse(w.labs) as string[]).join(', ')})`);
        const e = server.exportWorkshop(orch, w, values.format ?? 'csv', values.lab);
        if (values.output) writeOutput(values.output, e.body);
        else process.stdout.write(e.body);
        return 0;
      }
      case 'end': {
        const w = find();
        // Every engine of the pool (TOPLAB_ENGINES, --engines) that answers, else the local engine.
        const enginesFile = values.engines === undefined || values.engines === '' ? undefined : resolve(values.engines);
        // Checked here first: an engines file's problems are reported with their positions (exit code 3).
        if (enginesFile !== undefined) loadEnginesFile(enginesFile);
        const engines = await server.openEngines({ ...(enginesFile !== undefined ? { enginesFile } : {}), log: () => undefined });
        await engines.start();
        const up = engines.pooled
          ? engines.upNames().length > 0
          : await engines
              .runtime(null)
              .ping()
              .then(
                () => true,
                () => false,
              );
        const orch = new server.Orchestrator({
          store,
          engines,
          image: '',
          dataDir: dataDirOf(values.data),
          warm: 0,
          idleMinutes: 0,
          maxInstances: 0,
          parallel: 1,
          log: () => undefined,
          serverId: store.setting('server_id') ?? 'none',
        });
        try {
          if (up) await orch.endWorkshop(w.id, 'cli');
          else {
            store.updateWorkshop(w.id, { ended_at: new Date().toISOString() });
            store.audit('cli', 'end-workshop', w.id);
          }
        } finally {
          engines.stop();
        }
        const down = engines.pooled ? engines.names().filter((n) => !engines.isUp(n)) : [];
        const where =
          down.length > 0 ? `; engine ${down.join(', ')} did not answer: a server removes its containers there when it answers again` : '';
        process.stdout.write(
          `workshop ${w.code} ended${up ? `; its containers are removed${where}` : ' (no engine answered: a server removes its containers when it starts)'}; files and results are kept\n`,
        );
        if (down.length > 0) return 4;
        return 0;
      }
      default:
        throw new UsageError('usage: lab workshop create <lab> | list | export <id|code> | end <id|code>');
    }
  } finally {
    store.db.close();
  }
}
