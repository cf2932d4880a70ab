/**
 * Canvas pixels. A 2D canvas keeps its pixels and is read whenever capture
 * asks. A WebGL canvas made without `preserveDrawingBuffer` does not: once the
 * browser has presented a frame (after the task that drew it) its drawing
 * buffer reads as empty. So the WebGL contexts' draw and clear calls are
 * wrapped, and in the task that drew, once the page's own code has returned
 * (a microtask), the frame is copied into a 2D canvas that capture reads
 * instead. A canvas drawn before capture started cannot be recovered: the
 * browser no longer gives its pixels to anyone (toDataURL, drawImage,
 * createImageBitmap, captureStream all see an empty buffer) until the page
 * draws again.
 */
import { PROP, type Attrs } from '@tandem/protocol';
import { afterCall, type Restore } from './patch.js';
import { pristine } from './pristine.js';

/** The last frame of each WebGL canvas drawn since capture started. */
const frames = new WeakMap<HTMLCanvasElement, HTMLCanvasElement>();

/** Methods that change what a WebGL canvas shows (the extensions' instanced draws are left out). */
const DRAWS = ['clear', 'drawArrays', 'drawElements'];
const DRAWS_2 = [
  ...DRAWS,
  'drawArraysInstanced',
  'drawElementsInstanced',
  'drawRangeElements',
  'blitFramebuffer',
  'clearBufferfv',
  'clearBufferiv',
  'clearBufferuiv',
  'clearBufferfi',
];

export function canvasProp(canvas: HTMLCanvasElement): Attrs | null {
  if (!canvas.width || !canvas.height) return null;
  const style = canvas.ownerDocument.defaultView?.getComputedStyle(canvas);
  let pixels: string;
  try {
    pixels = (frames.get(canvas) ?? canvas).toDataURL();
  } catch {
    return null; // tainted by cross-origin images: the agent sees an empty canvas
  }
  return { [PROP.canvas]: `${style?.width ?? canvas.width + 'px'},${style?.height ?? canvas.height + 'px'},${pixels}` };
}

type Gl = WebGLRenderingContext | WebGL2RenderingContext;

/**
 * Wraps the draw calls of `win`'s WebGL contexts (capture calls it for the
 * page's window and for each same-origin frame's). After a task drew on a
 * canvas that `wanted` accepts, its frame is copied and `drawn` is called.
 * One copy per canvas per task: a drawImage, which stays on the GPU where
 * there is one; the PNG encoding is left to capture's throttle.
 */
export function watchWebGl(
  win: Window & typeof globalThis,
  wanted: (canvas: HTMLCanvasElement) => boolean,
  drawn: (canvas: HTMLCanvasElement) => void,
): Restore[] {
  const queued = new Set<HTMLCanvasElement>();
  const preserved = new WeakMap<Gl, boolean>();
  const copy = () => {
    for (const canvas of queued) {
      try {
        if (grab(canvas)) drawn(canvas);
      } catch {
        // A lost context or a tainted canvas: nothing to copy.
      }
    }
    queued.clear();
  };
  const after = (gl: Gl) => {
    const canvas = gl.canvas as HTMLCanvasElement;
    // An OffscreenCanvas has no element to mirror; a preserved buffer can be read at any time.
    if (!canvas || canvas.nodeType !== 1 || !wanted(canvas)) return;
    let keep = preserved.get(gl);
    if (keep === undefined) preserved.set(gl, (keep = gl.getContextAttributes()?.preserveDrawingBuffer === true));
    if (keep) {
      drawn(canvas);
      return;
    }
    if (!queued.size) pristine.queueMicrotask(copy);
    queued.add(canvas);
  };
  const restores: (Restore | null)[] = [];
  for (const name of DRAWS) restores.push(afterCall<Gl>(win.WebGLRenderingContext?.prototype, name, after));
  for (const name of DRAWS_2) restores.push(afterCall<Gl>(win.WebGL2RenderingContext?.prototype, name, after));
  return restores.filter((r): r is Restore => r !== null);
}

/** Copies the drawing buffer while it is still there; false when there is nothing to copy. */
function grab(canvas: HTMLCanvasElement): boolean {
  if (!canvas.width || !canvas.height) return false;
  let frame = frames.get(canvas);
  if (!frame) {
    frame = canvas.ownerDocument.createElement('canvas');
    frames.set(canvas, frame);
  }
  if (frame.width !== canvas.width || frame.height !== canvas.height) {
    frame.width = canvas.width;
    frame.height = canvas.height;
  }
  const ctx = frame.getContext('2d');
  if (!ctx) return false;
  ctx.clearRect(0, 0, frame.width, frame.height);
  ctx.drawImage(canvas, 0, 0);
  return true;
}
