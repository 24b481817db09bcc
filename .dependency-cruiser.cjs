// The layer rules of src/ (`npm run lint`; docs/architecture.md, "Layers", draws them). A folder may import
// its own folder and the folders BELOW it in LAYERS, never one above: with no cycle between files either,
// dependencies point one way. Type-only imports count (tsPreCompilationDeps).
/** @type {string[][]} Lowest first; the folders on one line are one layer (they may import each other, without cycles). */
const LAYERS = [
  ['util', 'sh', 'errors\\.ts', 'paths\\.ts'], // sh: the shell scripts run in nodes and on engine hosts
  ['runtime'], // the Runtime interface; its Docker implementation is reached only through src/docker.ts
  ['lab'],
  ['plan'],
  ['programs'],
  ['observe'],
  ['deploy'],
  ['exercise'],
  ['checks'],
  ['report'],
  ['grade'],
  ['engines'], // engine pools: placement, drain, image copy, batch grading over a pool
  ['app'], // use cases: options in, data out; they reach the engines through src/app/engine-access.ts
  ['server'],
  ['cli'],
];

const folder = (names) => `^src/(${names.join('|')})(/|$)`;

/**
 * The one crossing allowed upwards: the lab format (src/lab) is composed from the check kinds' declarations
 * (src/checks/registry.ts: each kind is one module with its schema fragment and its evaluation), so a new kind
 * is one file and one registry line. The check modules' own imports still obey their layer.
 */
const ALLOWED_UP = { lab: ['checks'] };

const layerRules = LAYERS.slice(0, -1).map((layer, i) => {
  const above = LAYERS.slice(i + 1)
    .flat()
    .filter((f) => !(ALLOWED_UP[layer[0]] ?? []).includes(f));
  return {
    name: `layer-${layer[0]}`,
    comment: `${layer.join(', ')} may not import a higher layer (${above.join(', ')})`,
    severity: 'error',
    from: { path: folder(layer) },
    to: { path: folder(above) },
  };
});

/** Modules that talk to the world: files, sockets, processes, the engine, the database. */
const IO = [
  '^node:(fs|fs/promises|net|dgram|http|https|http2|tls|child_process|worker_threads)$',
  '^(fs|net|dgram|http|https|tls|child_process)$',
  'node_modules/(dockerode|docker-modem|better-sqlite3|tar-stream|tar-fs)/',
];

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'a cycle between files: one of them must give up its import (move what both need lower)',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'pure-checks-and-reports',
      comment: 'checks and report formats are pure functions of observations: no files, sockets, processes or engine',
      severity: 'error',
      from: { path: folder(['checks', 'report']) },
      to: { path: [...IO, folder(['runtime', 'deploy', 'engines', 'server'])] },
    },
    {
      name: 'pure-checks-and-reports-indirectly',
      comment: 'nor through what they import (type-only imports aside)',
      severity: 'error',
      from: { path: folder(['checks', 'report']) },
      to: { path: IO, reachable: true },
    },
    {
      name: 'docker-only-through-the-composition-root',
      comment: 'the Docker implementation is constructed in one place, src/docker.ts; the rest works on the Runtime interface',
      severity: 'error',
      from: { pathNot: ['^src/docker\\.ts$', '^src/runtime/docker/'] },
      to: { path: '^src/runtime/docker/' },
    },
    {
      name: 'runtime-below-everything',
      comment: 'the runtime (interface and Docker implementation) knows nothing of labs, plans or what runs on it',
      severity: 'error',
      from: { path: '^src/runtime/' },
      to: { path: '^src/', pathNot: ['^src/runtime/', folder(LAYERS[0])] },
    },
    {
      name: 'composition-root-imports-only-the-runtime',
      comment: 'src/docker.ts constructs the Docker implementation and nothing else',
      severity: 'error',
      from: { path: '^src/docker\\.ts$' },
      to: { path: '^src/', pathNot: ['^src/runtime/', folder(LAYERS[0])] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
    exclude: { path: '\\.d\\.ts$' },
  },
};
