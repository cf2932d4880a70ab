/**
 * Reads DOM frames in order: checks the stream's sequence, gunzips when flagged
 * and parses. A gap drops everything until the next keyframe and asks for one,
 * so the agent never sees a silently wrong page.
 */
import { FrameFlag, framePayload, readFrameHeader, type DomEvent } from '@tandem/protocol';

export class FrameDecoder {
  private expected: number | null = null;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly deliver: (events: DomEvent[]) => void,
    private readonly requestResync: () => void,
  ) {}

  push(bytes: Uint8Array): void {
    const header = readFrameHeader(bytes);
    if (!header) return;
    if (header.flags & FrameFlag.Keyframe) {
      this.expected = header.seq + 1;
    } else if (this.expected === null) {
      return; // waiting for a keyframe
    } else if (header.seq !== this.expected) {
      this.expected = null;
      this.requestResync();
      return;
    } else {
      this.expected++;
    }
    const payload = framePayload(bytes);
    const gzip = (header.flags & FrameFlag.Gzip) !== 0;
    this.chain = this.chain
      .then(async () => {
        const text = gzip ? await gunzip(payload) : new TextDecoder().decode(payload);
        this.deliver(JSON.parse(text) as DomEvent[]);
      })
      .catch((err: unknown) => {
        console.error('Tandem viewer: a frame could not be applied', err);
        this.expected = null;
        this.requestResync();
      });
  }
}

async function gunzip(bytes: Uint8Array): Promise<string> {
  const stream = new Blob([bytes.slice()]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Response(stream).text();
}
