/**
 * "Invite a colleague": the session's code and a console link that joins with
 * it, to bring a supervisor or a colleague into the session. They sign in as
 * themselves; the code alone lets no one in. A small disclosure, like Visitor info.
 */
import { useState } from 'preact/hooks';
import { useDisclosure } from './disclosure.js';

/** The console address that joins a session with its code once its reader has signed in. */
export const joinLink = (code: string) => `${location.origin}/console/#/join/${code}`;

export function InviteColleague({ code }: { code: string }) {
  const { open, setOpen, wrap, toggle, onKeyDown } = useDisclosure();
  const [copied, setCopied] = useState(false);
  const link = joinLink(code);
  return (
    <div class="colleague" ref={wrap} onKeyDown={onKeyDown}>
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
