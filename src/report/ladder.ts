/**
 * Ladders (src/observe/ladder.ts) as text: for a terminal (Unicode box drawing, or plain ASCII, with or
 * without colour) and as a Mermaid `sequenceDiagram`.
 */
import { endpointText, type CaptureLadder, type Ladder, type LadderArrow } from '../observe/ladder.js';

export interface LadderTextOptions {
  /** Unicode box drawing (default) or plain ASCII. */
  ascii?: boolean;
  color?: boolean;
}

/** Whether this terminal takes Unicode: a UTF-8 locale, and not the Linux console. */
export function unicodeTerminal(env: NodeJS.ProcessEnv = process.env): boolean {
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG || '';
  if (env.TERM === 'linux') return false;
  return locale === '' || /utf-?8/i.test(locale);
}

const STATE_WIDTH = 12; // 'SYN-RECEIVED'

/** The first line of an arrow's label: flags (or what the datagram is), relative numbers, length, notes. */
export function arrowLabel(x: LadderArrow): string {
  const parts = [x.label];
  if (x.seq !== undefined) parts.push(`seq=${x.seq}`);
  if (x.ack !== undefined) parts.push(`ack=${x.ack}`);
  parts.push(`len=${x.length}`);
  if (x.window === 0) parts.push('win=0');
  const notes = x.notes.filter((n) => n !== 'zero window');
  return parts.join(' ') + (notes.length ? ` [${notes.join('; ')}]` : '');
}

/** The absolute numbers, as they are on the wire (tcpdump -S). */
function absoluteLabel(x: LadderArrow): string | undefined {
  if (x.seqAbsolute === undefined) return undefined;
  return `seq ${x.seqAbsolute}${x.ackAbsolute !== undefined ? ` ack ${x.ackAbsolute}` : ''}`;
}

/**
 * The ladder for a terminal: the two endpoints as columns, each arrow under its label, each side's TCP
 * state beside its line after every segment (changed states in bold when in colour).
 */
export function renderLadderText(l: Ladder, opts: LadderTextOptions = {}): string {
  const g = opts.ascii
    ? { line: '|', dash: '-', right: '>', left: '<', dots: ':' }
    : { line: '│', dash: '─', right: '▶', left: '◀', dots: '┆' };
  const c = (code: string, s: string): string => (opts.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const tcp = l.protocol === 'tcp';
  const sw = tcp ? STATE_WIDTH : 0;
  const labels = l.arrows.map((x) => [arrowLabel(x), ...(tcp ? [absoluteLabel(x) ?? ''] : [])]);
  const inner = Math.min(96, Math.max(36, ...labels.flat().map((s) => s.length + 4)));
  // A label longer than the ladder is wide is cut, so the lifelines stay straight.
  const fit = (s: string): string => (s.length > inner - 2 ? s.slice(0, inner - 2 - (opts.ascii ? 3 : 1)) + (opts.ascii ? '...' : '…') : s);
  const timeW = 10;
  const pad = ' '.repeat(timeW);
  const left = (s: string): string => s.padStart(sw);
  const lines: string[] = [];

  const aText = endpointText(l.a);
  const bText = endpointText(l.b);
  // Each endpoint's name centred over its own line.
  const aCol = timeW + sw + (sw ? 1 : 0);
  const bCol = aCol + inner + 1;
  const head = ' '.repeat(Math.max(0, aCol - Math.floor(aText.length / 2))) + aText;
  lines.push(c('1', head + ' '.repeat(Math.max(2, bCol - Math.floor(bText.length / 2) - head.length)) + bText));
  const row = (time: string, aState: string, mid: string, bState: string): string =>
    `${time.padStart(timeW - 1)} ${tcp ? left(aState) + ' ' : ''}${g.line}${mid}${g.line}${tcp ? ' ' + bState : ''}`.trimEnd();
  if (tcp && l.initial) {
    lines.push(
      row('', l.initial.a, ' '.repeat(inner), l.initial.b) +
        (l.initial.assumed
          ? c(
              '90',
              `   (assumed: ${l.arrows.some((x) => x.flags?.includes('SYN')) ? 'no answer to the SYN was captured' : 'the capture starts mid-connection'})`,
            )
          : ''),
    );
  } else lines.push(row('', '', ' '.repeat(inner), ''));

  let prev = l.initial ? { a: l.initial.a, b: l.initial.b } : undefined;
  l.arrows.forEach((x, i) => {
    const [label = '', abs] = labels[i] ?? [];
    const colour = arrowColour(x);
    const text = (s: string, dim = false): string => {
      const body = x.from === 'a' ? ` ${fit(s)}`.padEnd(inner) : `${fit(s)} `.padStart(inner);
      return dim ? c('90', body) : colour ? c(colour, body) : body;
    };
    lines.push(row(x.time.toFixed(6), '', text(label), ''));
    if (abs) lines.push(row('', '', text(abs, true), ''));
    const shaft = g.dash.repeat(inner - 1);
    const arrow = x.from === 'a' ? shaft + g.right : g.left + shaft;
    const st = x.states;
    const paint = (side: 'a' | 'b', s: string): string => (st && prev && prev[side] !== st[side] ? c('1', s) : s);
    const aState = st ? paint('a', left(st.a)) : '';
    const bState = st ? paint('b', st.b) : '';
    lines.push(
      `${pad}${tcp ? aState + ' ' : ''}${g.line}${colour ? c(colour, arrow) : arrow}${g.line}${tcp ? ' ' + bState : ''}`.trimEnd(),
    );
    prev = st ? { ...st } : prev;
    if (l.omitted && l.omitted.after === i) {
      const msg = ` ${l.omitted.count} more packet(s) not drawn `;
      lines.push(
        `${pad}${tcp ? ' '.repeat(sw) + ' ' : ''}${g.dots}${msg.padStart(Math.floor((inner + msg.length) / 2)).padEnd(inner)}${g.dots}`,
      );
    }
  });
  return lines.join('\n') + '\n';
}

function arrowColour(x: LadderArrow): string | undefined {
  if (x.flags?.includes('RST')) return '31';
  if (x.notes.some((n) => n.startsWith('retransmission'))) return '35';
  if (x.flags?.includes('SYN')) return '32';
  if (x.flags?.includes('FIN')) return '33';
  return undefined;
}

/** Mermaid `sequenceDiagram` text: a note beside a side whenever its TCP state changes. */
export function renderLadderMermaid(l: Ladder): string {
  const esc = (s: string): string => s.replace(/#/g, '#35;').replace(/;/g, '#59;');
  const lines = ['sequenceDiagram', `    participant A as ${esc(endpointText(l.a))}`, `    participant B as ${esc(endpointText(l.b))}`];
  if (l.initial) {
    lines.push(`    Note left of A: ${l.initial.a}`);
    lines.push(`    Note right of B: ${l.initial.b}${l.initial.assumed ? ' (assumed)' : ''}`);
  }
  let prev = l.initial ? { a: l.initial.a, b: l.initial.b } : undefined;
  l.arrows.forEach((x, i) => {
    // Solid arrows; dotted for a retransmission; a cross at the end for a reset.
    const kind = x.flags?.includes('RST') ? '-x' : x.notes.some((n) => n.startsWith('retransmission')) ? '-->>' : '->>';
    const abs = absoluteLabel(x);
    lines.push(`    ${x.from === 'a' ? 'A' : 'B'}${kind}${x.from === 'a' ? 'B' : 'A'}: ${esc(arrowLabel(x))}${abs ? ` (${abs})` : ''}`);
    if (x.states) {
      if (!prev || prev.a !== x.states.a) lines.push(`    Note left of A: ${x.states.a}`);
      if (!prev || prev.b !== x.states.b) lines.push(`    Note right of B: ${x.states.b}`);
      prev = { ...x.states };
    }
    if (l.omitted && l.omitted.after === i) lines.push(`    Note over A,B: ${l.omitted.count} more packet(s) not drawn`);
  });
  return lines.join('\n') + '\n';
}

export type LadderStyle = 'unicode' | 'ascii' | 'mermaid';

/** A run's ladders (the report's `ladder` section), each under a line naming its capture and exchange. */
export function renderLadders(ladders: CaptureLadder[], opts: { style: LadderStyle; color: boolean }): string {
  if (ladders.length === 0) return "ladder: no exchange between two of the lab's nodes was captured\n";
  return ladders
    .map((l) => {
      const title = `ladder: capture ${l.capture}, ${l.protocol.toUpperCase()} ${endpointText(l.a)} ↔ ${endpointText(l.b)} (${l.packets} packet${l.packets === 1 ? '' : 's'})`;
      if (opts.style === 'mermaid') return `%% ${title}\n${renderLadderMermaid(l)}`;
      const head = opts.style === 'ascii' ? title.replace('↔', '<->') : title;
      return `${opts.color ? `\x1b[1m${head}\x1b[0m` : head}\n${renderLadderText(l, { ascii: opts.style === 'ascii', color: opts.color })}`;
    })
    .join('\n');
}
