import { importRetrying } from './lazy.js';

/** A CodeMirror 6 editor for one submission file, loaded on first use (TypeScript highlighting for .ts). */
export interface CodeEditor {
  getText(): string;
  setText(text: string): void;
  focus(): void;
  destroy(): void;
}

export async function createEditor(
  host: HTMLElement,
  opts: { text: string; fileName: string; readOnly?: boolean; onChange?: (text: string) => void },
): Promise<CodeEditor> {
  const [
    { basicSetup },
    { EditorView, keymap },
    { EditorState },
    { javascript },
    { indentWithTab },
    { HighlightStyle, syntaxHighlighting },
    { tags: t },
  ] = await Promise.all([
    importRetrying(() => import('codemirror')),
    importRetrying(() => import('@codemirror/view')),
    importRetrying(() => import('@codemirror/state')),
    importRetrying(() => import('@codemirror/lang-javascript')),
    importRetrying(() => import('@codemirror/commands')),
    importRetrying(() => import('@codemirror/language')),
    importRetrying(() => import('@lezer/highlight')),
  ]);
  // CodeMirror's default colours, with the two below WCAG AA contrast on white (#e40, #f00) darkened.
  const highlight = HighlightStyle.define([
    { tag: t.meta, color: '#404740' },
    { tag: t.link, textDecoration: 'underline' },
    { tag: t.heading, textDecoration: 'underline', fontWeight: 'bold' },
    { tag: t.emphasis, fontStyle: 'italic' },
    { tag: t.strong, fontWeight: 'bold' },
    { tag: t.strikethrough, textDecoration: 'line-through' },
    { tag: t.keyword, color: '#708' },
    { tag: [t.atom, t.bool, t.url, t.contentSeparator, t.labelName], color: '#219' },
    { tag: [t.literal, t.inserted], color: '#164' },
    { tag: [t.string, t.deleted], color: '#a11' },
    { tag: [t.regexp, t.escape, t.special(t.string)], color: '#a33200' },
    { tag: t.definition(t.variableName), color: '#00f' },
    { tag: t.local(t.variableName), color: '#30a' },
    { tag: [t.typeName, t.namespace], color: '#085' },
    { tag: t.className, color: '#167' },
    { tag: [t.special(t.variableName), t.macroName], color: '#256' },
    { tag: t.definition(t.propertyName), color: '#00c' },
    { tag: t.comment, color: '#940' },
    { tag: t.invalid, color: '#c00' },
  ]);
  const ts = /\.(ts|tsx|js|mjs)$/.test(opts.fileName);
  const view = new EditorView({
    parent: host,
    state: EditorState.create({
      doc: opts.text,
      extensions: [
        basicSetup,
        syntaxHighlighting(highlight),
        keymap.of([indentWithTab]),
        ...(ts ? [javascript({ typescript: true })] : []),
        EditorState.readOnly.of(opts.readOnly === true),
        // An explicit tab stop on the content: the scrolling region then has keyboard access (axe).
        EditorView.contentAttributes.of({ 'aria-label': `Editor: ${opts.fileName}`, tabindex: '0' }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) opts.onChange?.(u.state.doc.toString());
        }),
      ],
    }),
  });
  return {
    getText: () => view.state.doc.toString(),
    setText: (text) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }),
    focus: () => view.focus(),
    destroy: () => view.destroy(),
  };
}
