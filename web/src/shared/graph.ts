/**
 * The lab topology (Mermaid flowchart text from `lab graph`) drawn as SVG into `host`. Mermaid is loaded on
 * first use (it is most of the bundle). Each lab node becomes a focusable button: a click or Enter calls
 * `onNode(name)`. Node ids follow src/lab/graph.ts: `node_<name with - as _>`.
 */
import { importRetrying } from './lazy.js';

let mermaidPromise: Promise<(typeof import('mermaid'))['default']> | undefined;
let counter = 0;

function loadMermaid(): Promise<(typeof import('mermaid'))['default']> {
  mermaidPromise ??= importRetrying(() => import('mermaid')).then((m) => {
    m.default.initialize({ startOnLoad: false, securityLevel: 'strict', theme: 'neutral', flowchart: { htmlLabels: false } });
    return m.default;
  });
  return mermaidPromise;
}

export async function drawTopology(
  host: HTMLElement,
  text: string,
  nodes: readonly string[],
  onNode: (name: string) => void,
): Promise<void> {
  let svg = '';
  for (let attempt = 0; ; attempt++) {
    try {
      // Mermaid loads the flowchart renderer as another chunk: a failed fetch is tried again too.
      const mermaid = await loadMermaid();
      svg = (await mermaid.render(`topology-${++counter}`, text)).svg;
      break;
    } catch (e) {
      mermaidPromise = undefined;
      if (attempt >= 2) throw e;
      await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
    }
  }
  host.innerHTML = svg;
  const svgEl = host.querySelector('svg');
  if (svgEl) {
    svgEl.setAttribute('role', 'group');
    svgEl.setAttribute('aria-label', 'Lab topology');
    svgEl.style.maxWidth = '100%';
  }
  const byId = new Map(nodes.map((n) => [`node_${n.replace(/-/g, '_')}`, n]));
  for (const g of host.querySelectorAll<SVGGElement>('g.node')) {
    const m = /(node_[A-Za-z0-9_]+)-\d+$/.exec(g.id);
    const name = m?.[1] !== undefined ? byId.get(m[1]) : undefined;
    if (name === undefined) continue;
    g.setAttribute('tabindex', '0');
    g.setAttribute('role', 'button');
    g.setAttribute('aria-label', `Open a terminal in ${name}`);
    g.dataset['node'] = name;
    g.classList.add('clickable-node');
    g.addEventListener('click', () => onNode(name));
    g.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        onNode(name);
      }
    });
  }
}
