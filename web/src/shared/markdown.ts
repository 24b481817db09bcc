import DOMPurify from 'dompurify';
import { marked } from 'marked';

const GRAPH_START = '<!-- lab graph:';
const GRAPH_END = '<!-- end of lab graph -->';

/**
 * A lab README (Markdown) as HTML that is safe to put in the page: marked renders it, DOMPurify removes
 * scripts, event handlers and `javascript:` links. The generated topology block is left out (the page draws
 * the topology itself). Links open in a new tab.
 */
export function renderReadme(markdown: string): string {
  const start = markdown.indexOf(GRAPH_START);
  const end = markdown.indexOf(GRAPH_END);
  const text = start >= 0 && end > start ? markdown.slice(0, start) + markdown.slice(end + GRAPH_END.length) : markdown;
  const html = marked.parse(text, { async: false, gfm: true });
  const clean = DOMPurify.sanitize(html, { USE_PROFILES: { html: true }, FORBID_TAGS: ['style', 'form', 'input', 'button'] });
  const doc = new DOMParser().parseFromString(`<div>${clean}</div>`, 'text/html');
  // Code blocks scroll sideways: each is a tab stop, so the keyboard can scroll it too.
  for (const pre of doc.querySelectorAll('pre')) pre.setAttribute('tabindex', '0');
  for (const a of doc.querySelectorAll('a[href]')) {
    a.setAttribute('target', '_blank');
    a.setAttribute('rel', 'noopener noreferrer');
  }
  return doc.body.firstElementChild?.innerHTML ?? '';
}
