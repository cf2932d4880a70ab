/**
 * The agent's tools over the visitor's page: point (act as the mode allows), highlight an element,
 * draw strokes that fade, a laser pointer, select text, and clear everyone's ink. One tool at a
 * time, shown pressed; labels fold to icons on a narrow session (console.css). The labels and
 * icons are the watch page's too (@tandem/viewer/tool-icons).
 */
import { useState } from 'preact/hooks';
import type { Tool, Viewer } from '@tandem/viewer';
import { CLEAR_INFO, TOOL_INFO } from '@tandem/viewer/tool-icons';

export function InkTools({ viewer }: { viewer: Viewer | null }) {
  const [tool, setTool] = useState<Tool>(viewer?.tool ?? 'point');
  const choose = (t: Tool) => {
    viewer?.setTool(t);
    setTool(t);
  };
  return (
    <div class="ink-tools" role="toolbar" aria-label="Pointer tools">
      {TOOL_INFO.map(({ tool: t, label, title, icon }) => (
        <button type="button" key={t} data-tool={t} aria-pressed={tool === t} aria-label={label} title={title} onClick={() => choose(t)}>
          <Icon d={icon} />
          <span class="tool-label" aria-hidden="true">
            {label}
          </span>
        </button>
      ))}
      <button
        type="button"
        data-tool-action="clear"
        aria-label={CLEAR_INFO.ariaLabel}
        title={CLEAR_INFO.title}
        onClick={() => viewer?.clearInk()}
      >
        <Icon d={CLEAR_INFO.icon} />
        <span class="tool-label" aria-hidden="true">
          {CLEAR_INFO.label}
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
