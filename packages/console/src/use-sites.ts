/** The sites the signed-in agent sees, for a screen's site picker (GET /api/v1/sites, once per screen). */
import { useEffect, useState } from 'preact/hooks';
import { api, type Site } from './api.js';

/** Null until the server answered; a failure goes to `onError` (the screen shows it its own way). */
export function useSites(onError?: (message: string) => void): Site[] | null {
  const [sites, setSites] = useState<Site[] | null>(null);
  useEffect(() => {
    let stopped = false;
    api.sites().then(
      (r) => !stopped && setSites(r.sites),
      (e: Error) => !stopped && onError?.(e.message),
    );
    return () => {
      stopped = true;
    };
  }, []);
  return sites;
}
