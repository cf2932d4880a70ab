/**
 * The watch page's line to the agent desktop that frames it. Events go to the
 * parent window, at its origin only; the browser has already checked that
 * origin against the page's frame-ancestors (the desktops an admin allowed),
 * so a page framed anywhere else never loads to post anything. Commands are
 * taken from that window and origin alone, and checked field by field.
 */
import { EMBED_SOURCE, readEmbedCommand, type EmbedCommand, type EmbedEvent } from '@tandem/protocol';

export class HostLink {
  /** The parent's origin, or null when the page is not framed (or the origin cannot be known). */
  readonly origin: string | null;

  constructor(
    private readonly log: (...args: unknown[]) => void,
    onCommand: (command: EmbedCommand) => void,
  ) {
    this.origin = parentOrigin();
    if (this.origin === null) return;
    addEventListener('message', (e: MessageEvent) => {
      if (e.source !== parent || e.origin !== this.origin) return;
      const command = readEmbedCommand(e.data);
      this.log('command from the host', command ?? e.data);
      if (command) onCommand(command);
    });
  }

  post(event: EmbedEvent): void {
    this.log('event to the host', event);
    if (this.origin === null) return;
    try {
      parent.postMessage({ source: EMBED_SOURCE, ...event }, this.origin);
    } catch (err) {
      // A host the page cannot address must not stop the page itself.
      this.log('could not post to the host', err);
    }
  }
}

function parentOrigin(): string | null {
  if (parent === window) return null;
  // Chromium and Safari name the ancestors; elsewhere the Referer of the framed page does.
  const ancestors = (location as Location & { ancestorOrigins?: DOMStringList }).ancestorOrigins;
  const named = ancestors && ancestors.length > 0 ? ancestors[0] : document.referrer ? safeOrigin(document.referrer) : null;
  // "null": the browser hides the parent (a no-referrer frame, a file: or sandboxed desktop). Nothing can be posted to it.
  return named && named !== 'null' ? named : null;
}

function safeOrigin(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}
