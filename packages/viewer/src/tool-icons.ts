/**
 * The agent's pointer tools as both agent pages show them (the console's
 * session view and the watch page): label, tooltip and a 16×16 SVG path, drawn
 * with a 1.8 px round stroke. Plain data, so that either page can import it.
 */
import type { Tool } from './ink-input.js';

export interface ToolInfo {
  tool: Tool;
  label: string;
  title: string;
  /** An SVG path in a 16×16 box. */
  icon: string;
}

export const TOOL_INFO: readonly ToolInfo[] = [
  { tool: 'point', label: 'Point', title: 'Point and act as the visitor allows', icon: 'M3 2l5 13 2-5 5-2z' },
  { tool: 'highlight', label: 'Highlight', title: 'Outline the element you click, for everyone', icon: 'M2.5 2.5h11v11h-11z' },
  { tool: 'draw', label: 'Draw', title: 'Draw on the page; strokes fade after a moment', icon: 'M2 12c2-5 4-5 5-2s3 3 7-6' },
  {
    tool: 'laser',
    label: 'Laser',
    title: 'A laser pointer that leaves a short trail',
    icon: 'M8 5.5a2.5 2.5 0 1 1 0 5a2.5 2.5 0 1 1 0-5M8 1v2M8 13v2M1 8h2M13 8h2',
  },
  { tool: 'text', label: 'Select text', title: 'Select text: the visitor sees your selection', icon: 'M5 2h6M5 14h6M8 2v12' },
];

/** "Clear": every agent's drawings and selections. */
export const CLEAR_INFO = {
  label: 'Clear',
  ariaLabel: 'Clear drawings',
  title: 'Clear every agent’s drawings and selections',
  icon: 'M3 3l10 10M13 3L3 13',
};
