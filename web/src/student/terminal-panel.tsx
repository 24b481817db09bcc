import { useEffect, useRef, useState } from 'preact/hooks';
import { urls } from '../shared/api.js';
import { TerminalView, type TerminalState } from '../shared/terminal.js';
import { tablistKeys } from '../shared/tabs.js';
import type { T } from './workspace.js';

/**
 * A terminal per node in tabs; a node's tab is opened from the topology, the address table or the menu, which
 * also moves the keyboard into that terminal (`focusRequest` counts those openings). Choosing a tab (click,
 * arrow keys) leaves the focus on the tab, as the WAI-ARIA tabs pattern has it.
 */
export function TerminalPanel(props: {
  t: T;
  sid: string;
  nodes: string[];
  open: string[];
  active: string | undefined;
  onOpen: (node: string) => void;
  onSelect: (node: string) => void;
  focusRequest: number;
  ready: boolean;
}) {
  const { t, sid, open, active } = props;
  const views = useRef(new Map<string, TerminalView>());
  const hosts = useRef(new Map<string, HTMLDivElement>());
  const [states, setStates] = useState<Record<string, TerminalState>>({});

  useEffect(() => {
    if (!props.ready) return;
    for (const node of open) {
      const host = hosts.current.get(node);
      if (!host || views.current.has(node)) continue;
      views.current.set(
        node,
        new TerminalView(host, () => urls.terminal(sid, node), {
          label: `${t('openTerminal')} ${node}`,
          onState: (s) => setStates((o) => ({ ...o, [node]: s })),
        }),
      );
    }
  }, [open, props.ready, sid]);

  useEffect(() => {
    if (active === undefined) return;
    const v = views.current.get(active);
    if (v) requestAnimationFrame(() => v.refit());
  }, [active, states[active ?? '']]);

  useEffect(() => {
    if (props.focusRequest === 0 || active === undefined) return;
    requestAnimationFrame(() => views.current.get(active)?.focus());
  }, [props.focusRequest, props.ready]);

  useEffect(
    () => () => {
      for (const v of views.current.values()) v.dispose();
      views.current.clear();
    },
    [],
  );

  const closed = props.nodes.filter((n) => !open.includes(n));
  const stateText = (s: TerminalState | undefined): string =>
    s === 'reconnecting' ? t('reconnecting') : s === 'connecting' ? t('connecting') : '';

  return (
    <div class="term-panel">
      <div class="tabs">
        <div class="tablist" role="tablist" aria-label={t('terminals')} onKeyDown={tablistKeys}>
          {open.map((n) => (
            <button
              type="button"
              role="tab"
              key={n}
              id={`term-tab-${n}`}
              aria-selected={n === active}
              aria-controls={`term-pane-${n}`}
              tabIndex={n === active ? 0 : -1}
              onClick={() => props.onSelect(n)}
              data-node={n}
            >
              {n}
              {states[n] === 'reconnecting' && <span aria-hidden="true"> ⟳</span>}
            </button>
          ))}
        </div>
        {closed.length > 0 && (
          <label class="open-node">
            <span class="sr-only">{t('openTerminal')}</span>
            <select
              value=""
              onChange={(e) => {
                const v = (e.target as HTMLSelectElement).value;
                if (v) props.onOpen(v);
              }}
            >
              <option value="">+ {t('openTerminal')}…</option>
              {closed.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
        )}
        <span class="spacer" />
        <span class="muted small" role="status" data-testid="terminal-state">
          {stateText(states[active ?? ''])}
        </span>
      </div>
      {open.map((n) => (
        <div
          key={n}
          id={`term-pane-${n}`}
          role="tabpanel"
          aria-labelledby={`term-tab-${n}`}
          class="term-host"
          data-node={n}
          hidden={n !== active}
          ref={(el) => {
            if (el) hosts.current.set(n, el);
          }}
        />
      ))}
    </div>
  );
}
