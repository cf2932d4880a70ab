/**
 * The agent's tools over the visitor's page: point (act as the mode allows), highlight an element,
 * draw strokes that fade, a laser pointer, select text, and clear everyone's ink. One tool at a
 * time, shown pressed; labels fold to icons on a narrow session (console.css).
 */
import { useState } from 'preact/hooks';
import type { Tool, Viewer } from '@tandem/viewer';

const TOOL_INFO: [Tool, string, string, string][] = [
  ['point', 'Point', 'Point and act as the visitor allows', 'M3 2l5 13 2-5 5-2z'],
  ['highlight', 'Highlight', 'Outline the element you click, for everyone', 'M2.5 2.5h11v11h-11z'],
  ['draw', 'Draw', 'Draw on the page; strokes fade after a moment', 'M2 12c2-5 4-5 5-2s3 3 7-6'],
  ['laser', 'Laser', 'A laser pointer that leaves a short trail', 'M8 5.5a2.5 2.5 0 1 1 0 5a2.5 2.5 0 1 1 0-5M8 1v2M8 13v2M1 8h2M13 8h2'],
  ['text', 'Select text', 'Select text: the visitor sees your selection', 'M5 2h6M5 14h6M8 2v12'],
];

export function InkTools({ viewer }: { viewer: Viewer | null }) {
  const [tool, setTool] = useState<Tool>(viewer?.tool ?? 'point');
  const choose = (t: Tool) => {
    viewer?.setTool(t);
    setTool(t);
  };
  return (
    <div class="ink-tools" role="toolbar" aria-label="Pointer tools">
      {TOOL_INFO.map(([t, label, title, d]) => (
        <button type="button" key={t} data-tool={t} aria-pressed={tool === t} aria-label={label} title={title} onClick={() => choose(t)}>
          <Icon d={d} />
          <span class="tool-label" aria-hidden="true">
            {label}
          </span>
        </button>
      ))}
      <button
        type="button"
        data-tool-action="clear"
        aria-label="Clear drawings"
        title="Clear every agent’s drawings and selections"
        onClick={() => viewer?.clearInk()}
      >
        <Icon d="M3 3l10 10M13 3L3 13" />
        <span class="tool-label" aria-hidden="true">
          Clear
        </span>
      </button>
    </div>
  );
}

function Icon({ d }: { d: string }) {
  return (
    <svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
      <path d={d} fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" />
    </svg>
  );
}
