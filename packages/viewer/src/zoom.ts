/**
 * How big the visitor's page is drawn in the agent's viewer. "Fit" scales the
 * whole viewport into the agent's room, up as well as down (a 800-px visitor
 * on a 1920-px agent screen is hard to read at 1:1), but never past MAX_FIT:
 * beyond twice the size the page only gets blurrier. A chosen zoom is one of
 * ZOOM_STEPS; past the agent's room the stage scrolls.
 */

export const ZOOM_STEPS = [0.5, 0.75, 1, 1.25, 1.5, 2, 2.5, 3] as const;
/** Auto-fit scales up to this much. */
export const MAX_FIT = 2;

export interface Zoom {
  /** The scale the page is drawn at now (1 = the visitor's CSS pixels). */
  scale: number;
  /** True while the scale follows the agent's room (auto-fit), false after zoom in or out. */
  fitted: boolean;
}

/** The scale at which a `page` fits whole in `room` (both in CSS px). */
export function fitScale(room: { width: number; height: number }, page: { width: number; height: number }): number {
  if (!page.width || !page.height) return 1;
  return Math.min(MAX_FIT, room.width / page.width, room.height / page.height);
}

/** The next step up from `scale` (the largest when already there). */
export function stepUp(scale: number): number {
  return ZOOM_STEPS.find((s) => s > scale + 0.001) ?? ZOOM_STEPS[ZOOM_STEPS.length - 1]!;
}

/** The next step down from `scale` (the smallest when already there). */
export function stepDown(scale: number): number {
  return [...ZOOM_STEPS].reverse().find((s) => s < scale - 0.001) ?? ZOOM_STEPS[0];
}

/** Where the stage sits in the room: centred along an axis when it is smaller, from 0 when it scrolls. */
export function offsetIn(room: number, drawn: number): number {
  return Math.max(0, Math.floor((room - drawn) / 2));
}
