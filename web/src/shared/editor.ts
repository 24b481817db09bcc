/** A CodeMirror 6 editor for one submission file, loaded on first use (TypeScript highlighting for .ts). */
export interface CodeEditor {
  getText(): string;
  setText(text: string): void;
  focus(): void;
  destroy(): void;
}

export async function createEditor(host: HTMLElement, opts: { text: string; fileName: string; readOnly?: boolean; onChange?: (text: string) => void }): Promise<CodeEditor> {
  const [{ basicSetup }, { EditorView, keymap }, { EditorState }, { javascript }, { indentWithTab }] = await Promise.all([
    import('codemirror'),
    import('@codemirror/view'),
    import('@codemirror/state'),
    import('@codemirror/lang-javascript'),
    import('@codemirror/commands'),
  ]);
  const ts = /\.(ts|tsx|js|mjs)$/.test(opts.fileName);
  const view = new EditorView({
    parent: host,
    state: EditorState.create({
      doc: opts.text,
      extensions: [
        basicSetup,
        keymap.of([indentWithTab]),
        ...(ts ? [javascript({ typescript: true })] : []),
        EditorState.readOnly.of(opts.readOnly === true),
        EditorView.contentAttributes.of({ 'aria-label': `Editor: ${opts.fileName}` }),
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
