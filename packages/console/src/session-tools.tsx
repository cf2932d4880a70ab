/**
 * The session bar's parts that fold: the zoom and full-screen controls, the
 * "More" menu that holds the secondary controls on a narrow bar, and the
 * confirmation before ending a session for everyone.
 */
import type { ComponentChildren } from 'preact';
import { useDisclosure } from './disclosure.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { MAX_FIT, ZOOM_STEPS, type Viewer, type ViewerZoom } from '@tandem/viewer';

export function ViewTools({ viewer, zoom }: { viewer: Viewer | null; zoom: ViewerZoom }) {
  const pct = Math.round(zoom.scale * 100);
  return (
    <div class="view-tools" role="group" aria-label="Zoom and full screen">
      <button
        type="button"
        class="icon"
        data-zoom="out"
        aria-label="Zoom out"
        disabled={zoom.scale <= ZOOM_STEPS[0]}
        onClick={() => viewer?.zoomOut()}
      >
        −
      </button>
      <span class="zoom-level" data-zoom-level={pct} aria-live="polite" aria-label={`Zoom ${pct}%${zoom.fitted ? ', fitted' : ''}`}>
        {pct}%
      </span>
      <button
        type="button"
        class="icon"
        data-zoom="in"
        aria-label="Zoom in"
        disabled={zoom.scale >= ZOOM_STEPS[ZOOM_STEPS.length - 1]!}
        onClick={() => viewer?.zoomIn()}
      >
        +
      </button>
      <button
        type="button"
        data-zoom="fit"
        aria-pressed={zoom.fitted}
        title={`Fit the visitor’s screen to this window (up to ${MAX_FIT * 100}%)`}
        onClick={() => viewer?.fit()}
      >
        Fit
      </button>
      {document.fullscreenEnabled && (
        <button
          type="button"
          class="icon"
          data-fullscreen
          aria-label={zoom.fullscreen ? 'Leave full screen' : 'Full screen'}
          aria-pressed={zoom.fullscreen}
          title={zoom.fullscreen ? 'Leave full screen (Esc)' : 'Full screen'}
          onClick={() => void viewer?.fullscreen().catch(() => {})}
        >
          <FullscreenIcon on={zoom.fullscreen} />
        </button>
      )}
    </div>
  );
}

/**
 * Secondary controls: inline on a wide bar, behind a "More" button on a narrow
 * one (console.css decides by the bar's width). Escape or a click elsewhere closes it.
 */
export function MoreMenu({ children }: { children: ComponentChildren }) {
  const { open, setOpen, wrap, toggle, onKeyDown } = useDisclosure();
  return (
    <div class="more" ref={wrap} onKeyDown={onKeyDown}>
      <button type="button" class="more-toggle" ref={toggle} aria-expanded={open} aria-controls="session-more" onClick={() => setOpen(!open)}>
        More <span aria-hidden="true">▾</span>
      </button>
      <div class="more-panel" id="session-more" data-open={open}>
        {children}
      </div>
    </div>
  );
}

/** Asks before ending for everyone; Cancel (the default, and Escape) keeps the session. */
export function ConfirmEnd({ open, onCancel, onEnd }: { open: boolean; onCancel: () => void; onEnd: () => void }) {
  return (
    <ConfirmDialog open={open} id="end" title="End the session for everyone?" action="End for everyone" onCancel={onCancel} onConfirm={onEnd}>
      The visitor stops sharing their screen and every agent in the session is disconnected.
    </ConfirmDialog>
  );
}

/** Four corners, out to enter full screen, in to leave it. */
function FullscreenIcon({ on }: { on: boolean }) {
  const d = on ? 'M6 2v4H2M10 2v4h4M6 14v-4H2M10 14v-4h4' : 'M2 6V2h4M14 6V2h-4M2 10v4h4M14 10v4h-4';
  return (
    <svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true" focusable="false" style="display:block;margin:auto">
      <path d={d} fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" />
    </svg>
  );
}
