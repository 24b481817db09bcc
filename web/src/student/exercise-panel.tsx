import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { LabInfo, NodeInfo } from '../shared/api.js';
import { drawTopology } from '../shared/graph.js';
import type { Lang } from '../shared/i18n.js';
import { renderReadme } from '../shared/markdown.js';
import { workshopTitle } from '../shared/readme-title.js';
import { withInstanceAddresses } from '../shared/topology-text.js';
import type { T } from './workspace.js';

/**
 * The exercise (README.md or README.zh.md, sanitised) and the topology with each node's addresses. `position`:
 * the lab's place in the workshop's list (from 1) when it has several; the README's own "Lab N" (the course's
 * order) becomes it, or goes when the workshop has one lab (workshopTitle).
 */
export function ExercisePanel(props: {
  t: T;
  lang: Lang;
  lab: LabInfo;
  position?: number;
  nodes: NodeInfo[];
  onNode: (node: string) => void;
}) {
  const { t, lab, lang } = props;
  const graphRef = useRef<HTMLDivElement>(null);
  const [graphError, setGraphError] = useState('');
  const onNode = useRef(props.onNode);
  onNode.current = props.onNode;
  const markdown = (lang === 'zh' ? (lab.readme.zh ?? lab.readme.en) : (lab.readme.en ?? lab.readme.zh)) ?? lab.summary ?? '';
  const html = useMemo(() => renderReadme(workshopTitle(markdown, props.position)), [markdown, props.position]);

  // The graph labels each link with the lab file's address; the student's instance has its own subnets.
  const graph = useMemo(() => withInstanceAddresses(lab.graph, props.nodes), [lab.graph, props.nodes]);
  useEffect(() => {
    const host = graphRef.current;
    if (!host || !graph) return;
    drawTopology(host, graph, lab.nodes, (n) => onNode.current(n)).catch((e: unknown) =>
      setGraphError(e instanceof Error ? e.message : String(e)),
    );
  }, [graph, lab.nodes]);

  return (
    <div class="exercise">
      <h2 class="sec">{t('topology')}</h2>
      <div ref={graphRef} class="graph" data-testid="topology" />
      {graphError && <pre class="error-text">{graphError}</pre>}
      <p class="muted hint">{t('topologyHint')}</p>
      <table class="addresses">
        <caption class="sr-only">{t('topology')}: addresses</caption>
        <tbody>
          {props.nodes.map((n) => (
            <tr key={n.name}>
              <th scope="row">
                <button type="button" class="linklike" onClick={() => props.onNode(n.name)} title={`${t('openTerminal')}: ${n.name}`}>
                  {n.name}
                </button>
              </th>
              <td>{n.addresses.map((a) => [a.address, a.address6].filter(Boolean).join(' ')).join(', ')}</td>
              <td>
                <span class={`dot ${n.running ? 'up' : 'down'}`} role="img" aria-label={n.running ? 'running' : 'not running'} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2 class="sec">{t('exercise')}</h2>
      <article class="readme" lang={lang === 'zh' && lab.readme.zh !== null ? 'zh-CN' : 'en'} dangerouslySetInnerHTML={{ __html: html }} />
    </div>
  );
}
