/**
 * "Invite a colleague": the session's code and a console link that joins with
 * it, to bring a supervisor or a colleague into the session. They sign in as
 * themselves; the code alone lets no one in. A small disclosure, like Visitor info.
 */
import { useEffect, useRef, useState } from 'preact/hooks';

/** The console address that joins a session with its code once its reader has signed in. */
export const joinLink = (code: string) => `${location.origin}/console/#/join/${code}`;

export function InviteColleague({ code }: { code: string }) {
  const [open, setOpen] = useState(false);
  const [copied, setCopied] = useState(false);
  const wrap = useRef<HTMLDivElement>(null);
  const toggle = useRef<HTMLButtonElement>(null);
  const link = joinLink(code);
  useEffect(() => {
    if (!open) return;
    const outside = (e: PointerEvent) => {
      if (!wrap.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', outside);
    return () => document.removeEventListener('pointerdown', outside);
  }, [open]);
  return (
    <div
      class="colleague"
      ref={wrap}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && open) {
          e.stopPropagation();
          setOpen(false);
          toggle.current?.focus();
        }
      }}
    >
      <button
        type="button"
        ref={toggle}
        data-invite-colleague
        aria-expanded={open}
        aria-controls="colleague-panel"
        onClick={() => {
          setCopied(false);
          setOpen(!open);
        }}
      >
        Invite a colleague
      </button>
      <div class="colleague-panel" id="colleague-panel" role="group" aria-label="Invite a colleague" hidden={!open}>
        <p>A colleague joins with this code in their console, or opens the link and signs in.</p>
        <p class="colleague-code" data-colleague-code={code} aria-label={`Session code ${code.split('').join(' ')}`}>
          {code.replace(/(\d{3})(?=\d)/g, '$1 ')}
        </p>
        <label for="colleague-link">Link</label>
        <div class="colleague-link">
          <input id="colleague-link" type="text" readOnly value={link} onFocus={(e) => e.currentTarget.select()} />
          <button
            type="button"
            data-copy-link
            onClick={() =>
              void navigator.clipboard?.writeText(link).then(
                () => setCopied(true),
                () => setCopied(false),
              )
            }
          >
            {copied ? 'Copied' : 'Copy'}
          </button>
        </div>
      </div>
    </div>
  );
}
