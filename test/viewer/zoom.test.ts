/** The viewer's scale arithmetic: fit both ways within MAX_FIT, the zoom steps, centring. */
import { describe, expect, it } from 'vitest';
import { MAX_FIT, ZOOM_STEPS, fitScale, offsetIn, stepDown, stepUp } from '../../packages/viewer/src/zoom.js';

describe('zoom', () => {
  it('fits a big page down and a small one up, never past MAX_FIT', () => {
    expect(fitScale({ width: 1280, height: 620 }, { width: 1920, height: 1080 })).toBeCloseTo(620 / 1080);
    expect(fitScale({ width: 1920, height: 980 }, { width: 800, height: 600 })).toBeCloseTo(980 / 600);
    expect(fitScale({ width: 4000, height: 4000 }, { width: 400, height: 300 })).toBe(MAX_FIT);
    expect(fitScale({ width: 100, height: 100 }, { width: 0, height: 0 })).toBe(1);
  });

  it('steps to the next zoom from any scale, and stops at the ends', () => {
    expect(stepUp(0.36)).toBe(0.5);
    expect(stepUp(1)).toBe(1.25);
    expect(stepUp(1.63)).toBe(2);
    expect(stepUp(3)).toBe(3);
    expect(stepDown(1.63)).toBe(1.5);
    expect(stepDown(1)).toBe(0.75);
    expect(stepDown(0.36)).toBe(0.5);
    expect(ZOOM_STEPS[0]).toBe(0.5);
    expect(ZOOM_STEPS.at(-1)).toBe(3);
  });

  it('centres a smaller stage, and starts a bigger one at 0', () => {
    expect(offsetIn(1000, 600)).toBe(200);
    expect(offsetIn(1000, 2000)).toBe(0);
  });
});
