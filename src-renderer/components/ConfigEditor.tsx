/**
 * The profile editor: CodeMirror 6 with JSON highlighting and a lint gutter. Errors come from the
 * engine's config layer (`validateProfile`), placed at their line:column, so what the editor marks
 * is what `porthole test` says.
 */
import { json } from '@codemirror/lang-json';
import { lintGutter, setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { Compartment, EditorState, type Text } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import { useEffect, useRef } from 'react';
import type { ErrorEnvelope } from '../../src-core/host/api/index.js';

interface ConfigEditorProps {
  text: string;
  readOnly: boolean;
  /** The current config error, if any. */
  error: ErrorEnvelope | null;
  onChange(text: string): void;
  /** Bumping this moves the cursor to the error and scrolls it into view. */
  revealError?: number;
}

/** 1-based line and column → a document offset, clamped into the document. */
export function offsetOf(doc: Text, line: number, column: number): number {
  const lineInfo = doc.line(Math.min(Math.max(1, line), doc.lines));
  return Math.min(lineInfo.to, lineInfo.from + Math.max(0, column - 1));
}

function diagnosticsFor(doc: Text, error: ErrorEnvelope | null): Diagnostic[] {
  if (!error) return [];
  const line = error.where?.line ?? 1;
  const column = error.where?.column ?? 1;
  const from = offsetOf(doc, line, column);
  // Mark the token at the place (to the end of the word, or one character), as compilers do.
  const lineEnd = doc.lineAt(from).to;
  const rest = doc.sliceString(from, lineEnd);
  const word = /^("(?:[^"\\]|\\.)*"|[\w.-]+)/.exec(rest)?.[0].length ?? 1;
  const to = Math.min(lineEnd, from + Math.max(1, word));
  const path = error.where?.path ? `${error.where.path}: ` : '';
  return [{ from, to: to > from ? to : from, severity: 'error', message: `${path}${error.message}`, source: 'porthole' }];
}

/**
 * Colours come from the page's CSS variables (they inherit into the shadow root), so one theme
 * serves light and dark.
 */
const editorTheme = EditorView.theme({
  '&': { backgroundColor: 'var(--surface)', color: 'var(--text)', height: '100%' },
  '&.cm-focused': { outline: 'none' },
  '.cm-scroller': { fontFamily: 'var(--mono)', fontSize: '12.5px', lineHeight: '1.55' },
  '.cm-content': { caretColor: 'var(--text)' },
  '.cm-gutters': { backgroundColor: 'var(--surface-2)', color: 'var(--text-faint)', borderRight: '1px solid var(--border)' },
  '.cm-activeLine': { backgroundColor: 'color-mix(in srgb, var(--accent-soft) 45%, transparent)' },
  '.cm-activeLineGutter': { backgroundColor: 'var(--accent-soft)', color: 'var(--text)' },
  '.cm-cursor': { borderLeftColor: 'var(--text)' },
  '&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection': { backgroundColor: 'color-mix(in srgb, var(--accent) 28%, transparent) !important' },
  '.cm-tooltip': { backgroundColor: 'var(--surface)', border: '1px solid var(--border-strong)', color: 'var(--text)' },
  '.cm-diagnostic-error': { borderLeftColor: 'var(--danger)' },
  '.cm-lintRange-error': { backgroundImage: 'none', textDecoration: 'underline wavy var(--danger)', textUnderlineOffset: '3px', backgroundColor: 'var(--danger-soft)' },
});

export function ConfigEditor({ text, readOnly, error, onChange, revealError = 0 }: ConfigEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const readOnlyCompartment = useRef(new Compartment());
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;

  useEffect(() => {
    const element = host.current;
    if (!element) return undefined;
    // The editor lives in a shadow root: there CodeMirror's styles go into an adopted stylesheet,
    // which the page's strict CSP (style-src 'self', no inline <style>) allows.
    const shadow = element.shadowRoot ?? element.attachShadow({ mode: 'open' });
    const parent = document.createElement('div');
    parent.style.height = '100%';
    shadow.replaceChildren(parent);
    const editor = new EditorView({
      parent,
      root: shadow,
      state: EditorState.create({
        doc: text,
        extensions: [
          basicSetup,
          json(),
          lintGutter(),
          editorTheme,
          readOnlyCompartment.current.of([EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)]),
          EditorView.contentAttributes.of({ 'aria-label': 'Profile JSON', 'data-testid': 'profile-editor' }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) onChangeRef.current(update.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = editor;
    return () => {
      editor.destroy();
      view.current = null;
    };
    // Created once; later props are applied by the effects below.
  }, []);

  useEffect(() => {
    const editor = view.current;
    if (!editor || editor.state.doc.toString() === text) return;
    editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: text } });
  }, [text]);

  useEffect(() => {
    view.current?.dispatch({ effects: readOnlyCompartment.current.reconfigure([EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)]) });
  }, [readOnly]);

  useEffect(() => {
    const editor = view.current;
    if (!editor) return;
    editor.dispatch(setDiagnostics(editor.state, diagnosticsFor(editor.state.doc, error)));
  }, [error, text]);

  useEffect(() => {
    const editor = view.current;
    if (!editor || revealError === 0) return;
    const [diagnostic] = diagnosticsFor(editor.state.doc, error);
    if (!diagnostic) return;
    editor.dispatch({ selection: { anchor: diagnostic.from }, effects: EditorView.scrollIntoView(diagnostic.from, { y: 'center' }) });
    editor.focus();
    // Only an explicit request moves the cursor (the error is read then), never a new validation result.
  }, [revealError]);

  return <div className="editor" ref={host} />;
}
