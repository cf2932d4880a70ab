/**
 * The watch page's session bar beyond the mode buttons: zoom, fit and full
 * screen, the "More" menu the asks fold into on a narrow page (watch.html's CSS
 * decides when), and the confirmation before the agent's own "End session".
 * A host's `end` command does not come through here: the host asked already.
 */
import { ZOOM_STEPS, type Viewer, type ViewerZoom } from '../index.js';

const EXPAND = 'M2 6V2h4M14 6V2h-4M2 10v4h4M14 10v4h-4';
const SHRINK = 'M6 2v4H2M10 2v4h4M6 14v-4H2M10 14v-4h4';

export class WatchBar {
  private readonly $ = (id: string) => document.getElementById(id)!;
  private readonly toggle = document.querySelector<HTMLButtonElement>('.more-toggle')!;
  private readonly panel = this.$('more-panel');
  private readonly dialog = this.$('confirm-end') as HTMLDialogElement;

  /** `viewer` is asked on each click (the session opens later); `end` ends the session for everyone. */
  constructor(
    private readonly viewer: () => Viewer | null,
    end: () => void,
  ) {
    const zoom = (which: string, act: (v: Viewer) => void) =>
      document.querySelector(`[data-zoom=${which}]`)!.addEventListener('click', () => {
        const v = this.viewer();
        if (v) act(v);
      });
    zoom('in', (v) => v.zoomIn());
    zoom('out', (v) => v.zoomOut());
    zoom('fit', (v) => v.fit());
    const full = this.$('fullscreen');
    // In a frame without allow="fullscreen" the page may not go full screen: no button then.
    full.hidden = !document.fullscreenEnabled;
    full.addEventListener(
      'click',
      () =>
        void this.viewer()
          ?.fullscreen()
          .catch(() => {}),
    );

    this.toggle.addEventListener('click', () => this.menu(this.toggle.getAttribute('aria-expanded') !== 'true'));
    this.panel.parentElement!.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this.toggle.getAttribute('aria-expanded') === 'true') {
        this.menu(false);
        this.toggle.focus();
      }
    });
    document.addEventListener('pointerdown', (e) => {
      if (!this.panel.parentElement!.contains(e.target as Node)) this.menu(false);
    });

    this.$('end').addEventListener('click', () => this.dialog.showModal());
    this.$('confirm-end-no').addEventListener('click', () => this.dialog.close());
    this.$('confirm-end-yes').addEventListener('click', () => {
      this.dialog.close();
      end();
    });
  }

  private menu(open: boolean): void {
    this.toggle.setAttribute('aria-expanded', String(open));
    this.panel.dataset.open = String(open);
  }

  /** The viewer's scale or full screen changed. */
  zoom(z: ViewerZoom): void {
    const pct = Math.round(z.scale * 100);
    const level = this.$('zoom-level');
    level.textContent = `${pct}%`;
    level.setAttribute('aria-label', `Zoom ${pct}%${z.fitted ? ', fitted' : ''}`);
    (document.querySelector('[data-zoom=out]') as HTMLButtonElement).disabled = z.scale <= ZOOM_STEPS[0];
    (document.querySelector('[data-zoom=in]') as HTMLButtonElement).disabled = z.scale >= ZOOM_STEPS[ZOOM_STEPS.length - 1]!;
    document.querySelector('[data-zoom=fit]')!.setAttribute('aria-pressed', String(z.fitted));
    const full = this.$('fullscreen');
    full.setAttribute('aria-pressed', String(z.fullscreen));
    full.setAttribute('aria-label', z.fullscreen ? 'Leave full screen' : 'Full screen');
    full.querySelector('path')!.setAttribute('d', z.fullscreen ? SHRINK : EXPAND);
  }

  /** The session ended: nothing left to confirm. */
  ended(): void {
    if (this.dialog.open) this.dialog.close();
  }
}
