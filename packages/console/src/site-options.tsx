/** The sites as a site picker's options, each by its name (its key when it has none). */
import type { Site } from './api.js';

export function SiteOptions({ sites }: { sites: Site[] }) {
  return (
    <>
      {sites.map((s) => (
        <option key={s.key} value={s.key}>
          {s.name || s.key}
        </option>
      ))}
    </>
  );
}
