/**
 * The agents in the session, each with the colour of its cursor and ink on
 * both sides, and who holds the controls: only that agent's clicks and typing
 * reach the visitor's page. The holder hands them over from here; another
 * agent asks for them (the holder sees the request as a notice).
 */
import type { Viewer, ViewerStatus } from '@tandem/viewer';

/** `admin`: this agent may take the controls from whoever holds them (a holder who walked away blocks everyone). */
export function Roster({ status, viewer, admin = false }: { status: ViewerStatus; viewer: Viewer | null; admin?: boolean }) {
  const you = status.you?.id;
  const holding = you !== undefined && status.controlBy === you;
  return (
    <ul class="roster" aria-label="Agents in this session">
      {(status.roster ?? []).map((a) => {
        const holder = a.id === status.controlBy;
        return (
          <li key={a.id} data-agent-id={a.id} data-color={a.color} data-holder={holder || undefined}>
            <span class="swatch" style={{ background: a.color }} aria-hidden="true" />
            {a.name}
            {a.id === you && <small> (you)</small>}
            {holder && (
              <span class="holder-badge" title="Only this agent’s clicks and typing reach the visitor’s page">
                has the controls
              </span>
            )}
            {holding && a.id !== you && (
              <button
                type="button"
                class="small"
                data-hand-over={a.id}
                aria-label={`Hand the controls to ${a.name}`}
                onClick={() => viewer?.handOver(a.id)}
              >
                Hand over
              </button>
            )}
            {!holding && holder && a.id !== you && (
              <button
                type="button"
                class="small"
                data-ask-control
                aria-label={`Ask ${a.name} for the controls`}
                onClick={() => viewer?.askControl()}
              >
                Ask for the controls
              </button>
            )}
            {!holding && holder && a.id !== you && admin && you !== undefined && (
              <button
                type="button"
                class="small"
                data-take-control
                aria-label={`Take the controls from ${a.name}`}
                onClick={() => viewer?.handOver(you)}
              >
                Take
              </button>
            )}
          </li>
        );
      })}
    </ul>
  );
}
