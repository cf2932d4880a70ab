/**
 * "Visitor info" in the session bar: the visitor's browser, system, viewport,
 * language and time zone, as their page said it (never anything of the page's
 * content). A small disclosure: the button opens it, Escape or a click
 * elsewhere closes it, and the focus goes back to the button.
 */
import { useDisclosure } from './disclosure.js';
import type { PlatformInfo } from '@tandem/protocol';

const FIELDS: [keyof PlatformInfo, string][] = [
  ['browser', 'Browser'],
  ['os', 'System'],
  ['viewport', 'Window'],
  ['language', 'Language'],
  ['timeZone', 'Time zone'],
];

export function VisitorDetails({ platform }: { platform: PlatformInfo | null | undefined }) {
  const { open, setOpen, wrap, toggle, onKeyDown } = useDisclosure();
  return (
    <div class="visitor-details" ref={wrap} onKeyDown={onKeyDown}>
      <button
        type="button"
        class="icon"
        ref={toggle}
        data-visitor-info
        aria-label="Visitor info"
        title="Visitor info: browser, system, window"
        aria-expanded={open}
        aria-controls="visitor-details"
        onClick={() => setOpen(!open)}
      >
        <InfoIcon />
      </button>
      <div class="visitor-details-panel" id="visitor-details" role="group" aria-label="Visitor info" hidden={!open}>
        {platform ? (
          <dl>
            {FIELDS.map(([key, label]) => (
              <div key={key}>
                <dt>{label}</dt>
                <dd data-platform={key}>{platform[key] || '—'}</dd>
              </div>
            ))}
          </dl>
        ) : (
          <p class="muted">The visitor’s page has not said yet.</p>
        )}
      </div>
    </div>
  );
}

function InfoIcon() {
  return (
    <svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true" focusable="false" style="display:block;margin:auto">
      <circle cx="8" cy="8" r="6.6" fill="none" stroke="currentColor" stroke-width="1.6" />
      <path d="M8 7v4.2" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" />
      <circle cx="8" cy="4.8" r="1.1" fill="currentColor" />
    </svg>
  );
}
