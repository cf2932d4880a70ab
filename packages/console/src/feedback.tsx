/**
 * Pieces every console screen shares: what an action did (announced politely) and what went wrong
 * (announced at once), and a table's header row with its last, unnamed column of buttons.
 */
export function Feedback({ saved, error }: { saved?: string | null | false; error?: string | null | false }) {
  return (
    <>
      <div role="status" aria-live="polite">
        {saved && <p class="saved">{saved}</p>}
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </>
  );
}

/** The header row of a list table: its columns, then the buttons' column (named for screen readers only). */
export function Columns({ names }: { names: string[] }) {
  return (
    <thead>
      <tr>
        {names.map((n) => (
          <th scope="col" key={n}>
            {n}
          </th>
        ))}
        <th scope="col">
          <span class="visually-hidden">Action</span>
        </th>
      </tr>
    </thead>
  );
}
