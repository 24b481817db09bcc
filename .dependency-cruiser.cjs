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
 * The kind modules: each check kind, step kind and probe kind is one module declaring its schema fragment, its
 * defaults, its text and what it does, listed once in its registry, so a new kind is one file and one registry
 * line. The lab format (src/lab) is composed from those declarations, so src/lab may import them although they
 * sit in higher folders: the check kinds (src/checks) and the step and probe kinds (src/exercise/step-kinds/,
 * src/exercise/probe-kinds/). A step kind's `run` is written against a port declared in its module, which the
 * step runner (src/exercise/steps.ts) implements, so the kind modules themselves import only what KIND_IMPORTS
 * allows (rule `kind-modules-are-declarations`) and never the engine: the crossing brings no runtime into src/lab.
 */
const KIND_FOLDERS = ['exercise/step-kinds', 'exercise/probe-kinds'];
const ALLOWED_UP = { lab: ['checks', ...KIND_FOLDERS] };
/** What a step or probe kind module may import: the low layers, the pure parsers, the observation types, each other. */
const KIND_IMPORTS = [
  folder(LAYERS[0]),
  '^src/schema/',
  '^src/observe/',
  '^src/exercise/(observations|socket-scope)\\.ts$',
  ...KIND_FOLDERS.map((f) => `^src/${f}/`),
];

const layerRules = LAYERS.slice(0, -1).map((layer, i) => {
  const allowed = ALLOWED_UP[layer[0]] ?? [];
  const above = LAYERS.slice(i + 1).flat();
  return {
    name: `layer-${layer[0]}`,
    comment: `${layer.join(', ')} may not import a higher layer (${above.join(', ')})${allowed.length ? `, but for the kind modules of ${allowed.join(', ')}` : ''}`,
    severity: 'error',
    from: { path: folder(layer) },
    to: { path: folder(above), pathNot: allowed.map((f) => `^src/${f}/`) },
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
      name: 'kind-modules-are-declarations',
      comment:
        'a step or probe kind module declares its schema, defaults, text and what it does against its own port; it imports only low layers, pure parsers and types (KIND_IMPORTS), so src/lab can import it',
      severity: 'error',
      from: { path: `^src/(${KIND_FOLDERS.join('|')})/` },
      to: { path: '^src/', pathNot: KIND_IMPORTS },
    },
    {
      name: 'pure-kind-modules',
      comment: 'nor anything that talks to the world, directly or through what they import (type-only imports aside)',
      severity: 'error',
      from: { path: `^src/(${KIND_FOLDERS.join('|')})/` },
      to: { path: IO, reachable: true },
    },
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
